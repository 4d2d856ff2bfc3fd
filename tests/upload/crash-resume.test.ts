import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

import { afterAll, beforeAll, describe, expect, test } from 'vitest';

import { sha256OfFile, writeNoiseWav } from '../support/audio-files';
import type { ServerKind } from '../support/s3-servers';
import { startUploadHarness, TEST_BUCKET } from '../support/upload-harness';
import type { UploadHarness } from '../support/upload-harness';

const MIB = 1024 * 1024;
const FILE_BYTES = 80 * MIB;
const PART_BYTES = 5 * MIB;
const PARALLEL_PARTS = 4;

/** Runs the engine in a child process and kills it with SIGKILL once `killAtBytes` are sent. */
async function uploadUntilKilled(
  harness: UploadHarness,
  path: string,
  stateDir: string,
  killAtBytes: number,
): Promise<string> {
  const settings = {
    endpoint: harness.proxy.endpoint,
    bucket: TEST_BUCKET,
    stateDir,
    path,
    partSizeBytes: PART_BYTES,
    parallelParts: PARALLEL_PARTS,
  };
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      join(import.meta.dirname, '../support/engine-child.ts'),
      JSON.stringify(settings),
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const exited = new Promise<NodeJS.Signals | null>((resolve) =>
    child.once('exit', (_code, signal) => resolve(signal)),
  );

  let batchId: string | null = null;
  for await (const line of createInterface({ input: child.stdout })) {
    const message = JSON.parse(line) as { batchId?: string; bytesSent?: number; done?: boolean };
    batchId = message.batchId ?? batchId;
    if (message.done === true) {
      throw new Error('the child finished the upload before it could be killed');
    }
    if (batchId !== null && (message.bytesSent ?? 0) >= killAtBytes && child.pid !== undefined) {
      process.kill(child.pid, 'SIGKILL');
      break;
    }
  }
  expect(await exited).toBe('SIGKILL');
  if (batchId === null) {
    throw new Error('the child never reported its batch id');
  }
  return batchId;
}

// moto lists no part checksums, so there the engine recognises stored parts by their MD5 ETag.
describe.each<ServerKind>(['embedded', 'moto'])('on the %s server', (kind) => {
  let harness: UploadHarness;

  beforeAll(async () => {
    harness = await startUploadHarness(kind);
  });

  afterAll(async () => {
    await harness.close();
  });

  test('killed upload resumes with only missing parts', { timeout: 180_000 }, async () => {
    const path = join(harness.dir, 'source', 'Live Set.wav');
    await writeNoiseWav(path, FILE_BYTES);
    const stateDir = join(harness.dir, 'state-crash');

    const batchId = await uploadUntilKilled(harness, path, stateDir, FILE_BYTES / 2);
    // The child counts bytes as it writes them; some may still sit in socket buffers, at most the
    // parts in flight, when the proxy is read.
    const sentBeforeKill = harness.proxy.bytesFromClients();
    expect(sentBeforeKill).toBeGreaterThanOrEqual(FILE_BYTES / 2 - PART_BYTES * PARALLEL_PARTS);
    expect(await harness.trackKeys()).toEqual([]);
    expect(await harness.pendingUploads()).toHaveLength(1);

    const engine = harness.engine({
      stateDir,
      tuning: { partSizeBytes: PART_BYTES, parallelParts: PARALLEL_PARTS },
    });
    const report = await engine.whenBatchDone(batchId);

    expect(report.entries.map((entry) => entry.outcome)).toEqual(['uploaded']);
    expect(engine.snapshot().jobs[0]?.resumed).toBe(true);
    // Across both runs: every part once, plus at most the parts in flight at the kill.
    if (kind === 'embedded') {
      expect(harness.serverBodyBytes()).toBeLessThan(FILE_BYTES + PART_BYTES * PARALLEL_PARTS);
    }
    expect(harness.proxy.bytesFromClients()).toBeLessThan(FILE_BYTES + PART_BYTES * PARALLEL_PARTS);
    expect(await harness.trackKeys()).toEqual(['tracks/Live Set.wav']);
    expect(await harness.pendingUploads()).toEqual([]);
    expect(await harness.objectSha256('tracks/Live Set.wav')).toBe(await sha256OfFile(path));
  });
});
