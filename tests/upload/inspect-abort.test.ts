import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inspectFile } from '../../electron/main/upload/inspect/inspect-file.js';
import { ffmpeg, pcmFile } from './inspect-helpers.js';

let dir: string;

/** Process ids of this process's children running `command`. */
async function children(command: string): Promise<string[]> {
  const { stdout } = await promisify(execFile)('ps', [
    ...['-o', 'pid=,comm=', '--ppid', String(process.pid)],
  ]);
  return stdout
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .filter(([, name]) => name === command)
    .map(([pid]) => pid ?? '');
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cratebox-inspect-abort-'));
  // 60 s of 48 kHz stereo silence: 11.5 MB, read in a dozen chunks.
  await writeFile(join(dir, 'long.wav'), pcmFile([new Float32Array(48_000 * 60)], 96_000, 's16le'));
  await ffmpeg('-f', 'lavfi', '-i', 'sine=duration=2', '-c:a', 'aac', join(dir, 'tone.m4a'));
  // Stands in for an ffmpeg that hangs, so the test can abort while the decoder runs.
  await writeFile(join(dir, 'hung-ffmpeg'), '#!/bin/sh\nexec sleep 60\n', { mode: 0o755 });
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('inspectFile abort', () => {
  it('rejects at once when the signal is already aborted', async () => {
    const reason = new Error('cancelled by the user');

    const inspection = inspectFile(join(dir, 'long.wav'), {
      partSizeBytes: 1 << 20,
      signal: AbortSignal.abort(reason),
    });

    await expect(inspection).rejects.toBe(reason);
  });

  it('rejects with the reason when aborted during the read', async () => {
    const controller = new AbortController();
    const reason = new Error('cancelled by the user');

    const inspection = inspectFile(join(dir, 'long.wav'), {
      partSizeBytes: 1 << 20,
      signal: controller.signal,
    });
    setImmediate(() => controller.abort(reason));

    await expect(inspection).rejects.toBe(reason);
  });

  it('kills ffmpeg when aborted while it decodes', async () => {
    const controller = new AbortController();
    const reason = new Error('cancelled by the user');

    const inspection = inspectFile(join(dir, 'tone.m4a'), {
      partSizeBytes: 1 << 20,
      signal: controller.signal,
      ffmpegPath: join(dir, 'hung-ffmpeg'),
    });
    const settled = inspection.catch((error: unknown) => error);
    let running = await children('sleep');
    for (let attempt = 0; attempt < 500 && running.length === 0; attempt += 1) {
      running = await children('sleep');
    }
    expect(running).toHaveLength(1);
    controller.abort(reason);

    expect(await settled).toBe(reason);
    // SIGKILL has been sent; wait for the child to be reaped instead of asserting a time.
    for (let attempt = 0; attempt < 100 && running.length > 0; attempt += 1) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      running = await children('sleep');
    }
    expect(running).toEqual([]);
  });
});
