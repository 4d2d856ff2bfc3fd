import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import { inspectFile } from '../../electron/main/upload/inspect/inspect-file.js';
import type { Inspection } from '../../electron/main/upload/inspect/inspect-file.js';
import { createInspectPool } from '../../electron/main/upload/inspect/inspect-pool.js';
import type { InspectPool } from '../../electron/main/upload/inspect/inspect-pool.js';
import { INSPECT_WORKER_SOURCE, typeScriptWorker } from '../support/inspect-workers.js';
import { createMemoryLogger } from '../support/memory-logger.js';
import { waitUntil } from '../support/wait.js';
import { ffmpeg, FIXTURES, pcmFile, readManifest } from './inspect-helpers.js';

const PART_SIZE = 1 << 20;
/** Worker script of the electron-vite build, which the Electron, web and CLI entries start. */
const BUILT_WORKER = join(import.meta.dirname, '..', '..', 'out', 'main', 'inspect-worker.js');
let dir: string;
let pools: InspectPool[] = [];

/** Creates a pool that the test's cleanup closes. */
function pool(size: number, script: URL = INSPECT_WORKER_SOURCE): InspectPool {
  const created = createInspectPool({ script, size });
  pools.push(created);
  return created;
}

/** Worker that crashes on files named `crash-exit` or `crash-throw`. */
const CRASHING_WORKER = typeScriptWorker(
  new URL('../support/crashing-inspect-worker.ts', import.meta.url),
);

/** Process ids of this process's children running `command`. */
async function children(command: string): Promise<string[]> {
  const { stdout } = await promisify(execFile)('ps', [
    '-o',
    'pid=,comm=',
    '--ppid',
    `${process.pid}`,
  ]);
  return stdout
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .filter(([, name]) => name === command)
    .map(([pid]) => pid ?? '');
}

/** Returns the error that `promise` rejects with; fails when it resolves. */
async function errorOf(promise: Promise<unknown>): Promise<NodeJS.ErrnoException> {
  const outcome = await promise.then(
    () => null,
    (error: unknown) => error,
  );
  if (!(outcome instanceof Error)) {
    throw new Error(`expected a rejection with an Error, got ${String(outcome)}`);
  }
  return outcome;
}

/** Starts an inspection of the AAC file whose decoder hangs, until aborted, in `sleep 60`. */
function hungInspection(target: InspectPool, signal: AbortSignal): Promise<Inspection> {
  return target.inspect(join(dir, 'tone.m4a'), {
    partSizeBytes: PART_SIZE,
    signal,
    ffmpegPath: join(dir, 'hung-ffmpeg'),
  });
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cratebox-inspect-pool-'));
  await ffmpeg('-f', 'lavfi', '-i', 'sine=duration=2', '-c:a', 'aac', join(dir, 'tone.m4a'));
  // Stands in for an ffmpeg that hangs, so an inspection stays busy until it is aborted.
  await writeFile(join(dir, 'hung-ffmpeg'), '#!/bin/sh\nexec sleep 60\n', { mode: 0o755 });
  const wav = pcmFile([new Float32Array(8_000).fill(0.25)], 8_000, 's16le');
  for (const name of ['crash-exit.wav', 'crash-throw.wav', 'after-crash.wav']) {
    await writeFile(join(dir, name), wav);
  }
});

afterEach(async () => {
  await Promise.all(pools.map((created) => created.close()));
  pools = [];
  await waitUntil(async () => (await children('sleep')).length === 0);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('inspection pool', () => {
  it('matches inspectFile on every fixture', async () => {
    const paths = readManifest().map((entry) => join(FIXTURES, entry.file));
    const target = pool(2);

    const pooled = await Promise.all(
      paths.map((path) => target.inspect(path, { partSizeBytes: PART_SIZE })),
    );

    expect(pooled).toHaveLength(18);
    for (const [index, path] of paths.entries()) {
      expect(pooled[index]).toEqual(await inspectFile(path, { partSizeBytes: PART_SIZE }));
    }
  });

  // `npm test` builds before it runs the suites; a plain `vitest run` may find no build.
  it.skipIf(!existsSync(BUILT_WORKER))('inspects with the built worker', async () => {
    const path = join(FIXTURES, 'nirvana-2sec.opus.ogg');

    const built = await pool(1, pathToFileURL(BUILT_WORKER)).inspect(path, {
      partSizeBytes: PART_SIZE,
    });

    expect(built).toEqual(await inspectFile(path, { partSizeBytes: PART_SIZE }));
  });

  it('runs as many inspections at once as it has workers', async () => {
    const target = pool(2);
    const controller = new AbortController();

    const jobs = [1, 2, 3].map(() => hungInspection(target, controller.signal).catch(() => null));
    await waitUntil(async () => (await children('sleep')).length === 2);
    // The third job waits for a worker, so it has started no ffmpeg of its own.
    expect(await children('sleep')).toHaveLength(2);
    controller.abort(new Error('stop'));

    expect(await Promise.all(jobs)).toEqual([null, null, null]);
  });

  it('starts waiting jobs of higher priority first', async () => {
    const target = pool(1);
    const running = new AbortController();
    const finished: number[] = [];

    const first = hungInspection(target, running.signal).catch(() => null);
    const waiting = [1, 5, 3, 5].map((priority, index) =>
      target
        .inspect(join(dir, 'after-crash.wav'), { partSizeBytes: PART_SIZE, priority })
        .then(() => finished.push(priority * 10 + index)),
    );
    running.abort();
    await first;
    await Promise.all(waiting);

    // Equal priorities keep their order: the job added second runs before the one added fourth.
    expect(finished).toEqual([51, 53, 32, 10]);
  });

  it('rejects with the reason when aborted', async () => {
    const target = pool(1);
    const controller = new AbortController();
    const reason = new Error('cancelled by the user');

    const inspection = hungInspection(target, controller.signal);
    await waitUntil(async () => (await children('sleep')).length === 1);
    controller.abort(reason);

    await expect(inspection).rejects.toBe(reason);
    // The worker killed its ffmpeg child and takes the next job.
    await waitUntil(async () => (await children('sleep')).length === 0);
    const next = await target.inspect(join(dir, 'after-crash.wav'), { partSizeBytes: PART_SIZE });
    expect(next.kind).toBe('audio');
  });

  it('rejects a waiting job when aborted', async () => {
    const target = pool(1);
    const running = new AbortController();
    const queued = new AbortController();
    const reason = new Error('cancelled while queued');

    const first = hungInspection(target, running.signal).catch(() => null);
    const second = target.inspect(join(dir, 'after-crash.wav'), {
      partSizeBytes: PART_SIZE,
      signal: queued.signal,
    });
    queued.abort(reason);

    await expect(second).rejects.toBe(reason);
    running.abort();
    expect(await first).toBeNull();
  });

  it('rejects at once when already aborted', async () => {
    const reason = new Error('cancelled before the start');

    const inspection = pool(1).inspect(join(dir, 'after-crash.wav'), {
      partSizeBytes: PART_SIZE,
      signal: AbortSignal.abort(reason),
    });

    await expect(inspection).rejects.toBe(reason);
  });

  it('keeps the name, message and code of errors', async () => {
    const missing = join(dir, 'missing.wav');
    const inThread = await errorOf(inspectFile(missing, { partSizeBytes: PART_SIZE }));

    const pooled = await errorOf(pool(1).inspect(missing, { partSizeBytes: PART_SIZE }));

    expect(pooled).toBeInstanceOf(Error);
    expect(pooled.message).toBe(inThread.message);
    expect(pooled.name).toBe(inThread.name);
    expect(pooled.code).toBe('ENOENT');
  });

  it('relays log records to the caller logger', async () => {
    const memory = createMemoryLogger();
    const path = join(dir, 'after-crash.wav');

    await pool(1).inspect(path, { partSizeBytes: PART_SIZE, logger: memory.logger });

    const record = memory.lines.find((line) => line.msg === 'inspected audio file');
    expect(record?.level).toBe(20);
    expect(record?.path).toBe(path);
    expect(record?.codec).toBe('PCM');
  });

  it('survives a worker that exits', async () => {
    const target = pool(1, CRASHING_WORKER);

    const crashed = target.inspect(join(dir, 'crash-exit.wav'), { partSizeBytes: PART_SIZE });

    await expect(crashed).rejects.toThrow(
      /crash-exit\.wav failed: the inspection worker stopped \(exit code 3\)/,
    );
    const next = await target.inspect(join(dir, 'after-crash.wav'), { partSizeBytes: PART_SIZE });
    expect(next.kind).toBe('audio');
  });

  it('survives an uncaught worker exception', async () => {
    const target = pool(1, CRASHING_WORKER);

    const crashed = target.inspect(join(dir, 'crash-throw.wav'), { partSizeBytes: PART_SIZE });

    await expect(crashed).rejects.toThrow(
      /the inspection worker stopped \(decoder bug triggered by .*crash-throw\.wav\)/,
    );
    const next = await target.inspect(join(dir, 'after-crash.wav'), { partSizeBytes: PART_SIZE });
    expect(next.kind).toBe('audio');
  });

  it('close rejects running and later jobs', async () => {
    const target = pool(1);
    const running = errorOf(hungInspection(target, new AbortController().signal));
    const queued = errorOf(
      target.inspect(join(dir, 'after-crash.wav'), { partSizeBytes: PART_SIZE }),
    );
    await waitUntil(async () => (await children('sleep')).length === 1);

    await target.close();

    expect((await running).message).toMatch(/tone\.m4a stopped: the inspection pool closed/);
    expect((await queued).message).toMatch(/after-crash\.wav: the inspection pool closed/);
    await expect(
      target.inspect(join(dir, 'after-crash.wav'), { partSizeBytes: PART_SIZE }),
    ).rejects.toThrow(/the inspection pool is closed/);
    // The running job was aborted before its thread ended, so its ffmpeg child is gone too.
    await waitUntil(async () => (await children('sleep')).length === 0);
  });
});
