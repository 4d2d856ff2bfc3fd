import { join } from 'node:path';

import { afterAll, afterEach, beforeAll, expect, test } from 'vitest';

import { sha256OfFile, writeNoiseWav } from '../support/audio-files';
import { startUploadHarness } from '../support/upload-harness';
import type { UploadHarness } from '../support/upload-harness';

const MIB = 1024 * 1024;
let harness: UploadHarness;

beforeAll(async () => {
  harness = await startUploadHarness();
});

afterEach(() => {
  harness.proxy.setShouldDrop(undefined);
  harness.resetCounters();
});

afterAll(async () => {
  await harness.close();
});

/** Cuts the first `count` connections that carry more than 3 MiB, in the middle of a part. */
function dropPartUploads(count: number): (connectionBytes: number) => boolean {
  let left = count;
  return (connectionBytes) => {
    if (left > 0 && connectionBytes > 3 * MIB) {
      left -= 1;
      return true;
    }
    return false;
  };
}

test.each([
  ['the engine', 1],
  ['the SDK', 5],
])('dropped connections are retried by %s', { timeout: 120_000 }, async (_who, sdkAttempts) => {
  const name = `Set ${sdkAttempts}.wav`;
  const path = join(harness.dir, 'source', name);
  await writeNoiseWav(path, 60 * MIB + 44);
  harness.proxy.setShouldDrop(dropPartUploads(3));
  const engine = harness.engine({
    stateDir: join(harness.dir, `state-${sdkAttempts}`),
    sdkAttempts,
    tuning: { partSizeBytes: 5 * MIB, parallelParts: 4 },
    retry: { maxAttempts: 6, baseDelayMs: 20, maxDelayMs: 200 },
  });

  const { batchId } = await engine.add([{ path }], { origin: 'desktop' });
  const report = await engine.whenBatchDone(batchId);

  expect(harness.proxy.drops()).toBe(3);
  expect(report.entries[0]?.outcome).toBe('uploaded');
  expect(report.entries[0]?.message).toBeNull();
  expect(await harness.objectSha256(`tracks/${name}`)).toBe(await sha256OfFile(path));
  expect(await harness.pendingUploads()).toEqual([]);
  const job = engine.snapshot().jobs[0];
  expect(job?.state).toBe('done');
  if (sdkAttempts === 1) {
    expect(job?.attempts).toBeGreaterThan(1);
  }
  // Each drop costs at most the part it cut, so little more than the file crosses the proxy.
  expect(harness.proxy.bytesFromClients()).toBeLessThan(60 * MIB + 4 * 5 * MIB);
});
