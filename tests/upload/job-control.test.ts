import { open } from 'node:fs/promises';
import { join } from 'node:path';

import {
  AbortMultipartUploadCommand,
  DeleteObjectCommand,
  ListPartsCommand,
} from '@aws-sdk/client-s3';
import { afterAll, afterEach, beforeAll, expect, test } from 'vitest';

import { peaksKeyFor } from '../../electron/main/library/track-metadata';
import type { UploadEngine } from '../../electron/main/upload/engine-types';
import type { InspectFile } from '../../electron/main/upload/inspection';
import type { UploadJobView } from '../../shared/uploads';
import { sha256OfFile, writeNoiseWav } from '../support/audio-files';
import { createMemoryLogger } from '../support/memory-logger';
import { startUploadHarness, TEST_BUCKET } from '../support/upload-harness';
import type { UploadHarness } from '../support/upload-harness';
import { waitUntil } from '../support/wait';

const MIB = 1024 * 1024;
let harness: UploadHarness;
let stateCounter = 0;

beforeAll(async () => {
  harness = await startUploadHarness();
});

afterEach(async () => {
  harness.proxy.setShouldDrop(undefined);
  harness.proxy.setBytesPerSecond(undefined);
  harness.resetCounters();
  await harness.emptyBucket();
});

afterAll(async () => {
  await harness.close();
});

function newEngine(options: Parameters<UploadHarness['engine']>[0] = {}): UploadEngine {
  stateCounter += 1;
  return harness.engine({ stateDir: join(harness.dir, `state-${stateCounter}`), ...options });
}

async function sourceFile(name: string, bytes: number): Promise<string> {
  const path = join(harness.dir, 'source', name);
  await writeNoiseWav(path, bytes);
  return path;
}

function onlyJob(engine: UploadEngine, batchId: string): UploadJobView {
  const job = engine.snapshot().jobs.find((view) => view.batchId === batchId);
  if (job === undefined) {
    throw new Error(`batch ${batchId} has no job`);
  }
  return job;
}

// Bytes of the parts the server holds for the one pending multipart upload.
async function storedPartBytes(): Promise<number> {
  const [upload] = await harness.pendingUploads();
  if (upload === undefined) {
    return 0;
  }
  const listing = await harness.direct.send(
    new ListPartsCommand({ Bucket: TEST_BUCKET, Key: upload.key, UploadId: upload.uploadId }),
  );
  return (listing.Parts ?? []).reduce((sum, part) => sum + (part.Size ?? 0), 0);
}

// Holds each inspection at its start while `hold` is set, until `release` is called.
function inspectionGate(): {
  wrap: (inspect: InspectFile) => InspectFile;
  hold: () => void;
  release: () => void;
} {
  let released: Promise<void> = Promise.resolve();
  let release = (): void => undefined;
  const wrap =
    (inspect: InspectFile): InspectFile =>
    async (file, options) => {
      options.onProgress?.(0);
      await released;
      return inspect(file, options);
    };
  return {
    wrap,
    hold: () => {
      released = new Promise<void>((resolve) => (release = resolve));
    },
    release: () => release(),
  };
}

async function expectNothingStored(): Promise<void> {
  expect(await harness.trackKeys()).toEqual([]);
  expect(await harness.pendingUploads()).toEqual([]);
}

test('cancel right after add leaves nothing', async () => {
  const path = await sourceFile('Cancel Early.wav', 30 * MIB);
  const engine = newEngine();

  const { batchId } = await engine.add([{ path }], { origin: 'desktop' });
  const view = await engine.cancel(onlyJob(engine, batchId).id);
  const report = await engine.whenBatchDone(batchId);

  expect(view.state).toBe('cancelled');
  expect(report.entries.map((entry) => entry.outcome)).toEqual(['cancelled']);
  expect(report.summary.cancelled).toBe(1);
  await expectNothingStored();
});

test('cancel during multipart upload leaves nothing', async () => {
  const path = await sourceFile('Cancel Parts.wav', 40 * MIB);
  harness.proxy.setBytesPerSecond(40 * MIB);
  const engine = newEngine();

  const { batchId } = await engine.add([{ path }], { origin: 'desktop' });
  await waitUntil(() => onlyJob(engine, batchId).bytesSent >= 12 * MIB);
  expect(await harness.pendingUploads()).toHaveLength(1);
  const view = await engine.cancel(onlyJob(engine, batchId).id);

  expect(view.state).toBe('cancelled');
  await expectNothingStored();
  expect(harness.uploadedKeys).toEqual([]);
});

test('cancel during single PUT leaves nothing', async () => {
  const path = await sourceFile('Cancel Put.wav', 3 * MIB);
  harness.proxy.setBytesPerSecond(2 * MIB);
  const engine = newEngine();

  const { batchId } = await engine.add([{ path }], { origin: 'desktop' });
  await waitUntil(() => onlyJob(engine, batchId).bytesSent > 0);
  const view = await engine.cancel(onlyJob(engine, batchId).id);

  expect(view.state).toBe('cancelled');
  await expectNothingStored();
});

test('cancel of a queued job leaves nothing', async () => {
  const first = await sourceFile('Ahead.wav', 6 * MIB);
  const second = await sourceFile('Behind.wav', 6 * MIB);
  harness.proxy.setBytesPerSecond(6 * MIB);
  const engine = newEngine({ tuning: { parallelFiles: 1 }, prepareAhead: 0 });

  const { batchId } = await engine.add([{ path: first }, { path: second }], { origin: 'desktop' });
  const behind = engine.snapshot().jobs.find((job) => job.name === 'Behind.wav');
  expect(behind?.state).toBe('queued');
  const view = await engine.cancel(behind?.id ?? '');
  const report = await engine.whenBatchDone(batchId);

  expect(view.state).toBe('cancelled');
  expect(report.entries.map((entry) => entry.outcome)).toEqual(['uploaded', 'cancelled']);
  expect(await harness.trackKeys()).toEqual(['tracks/Ahead.wav']);
  expect(await harness.pendingUploads()).toEqual([]);
});

test.each(['preparing', 'uploading'] as const)('cancel when %s leaves nothing', async (state) => {
  const path = await sourceFile(`Cancel ${state}.wav`, 12 * MIB);
  harness.proxy.setBytesPerSecond(8 * MIB);
  const engine = newEngine();

  const { batchId } = await engine.add([{ path }], { origin: 'desktop' });
  await waitUntil(() => onlyJob(engine, batchId).state === state);
  const view = await engine.cancel(onlyJob(engine, batchId).id);

  expect(view.state).toBe('cancelled');
  await expectNothingStored();
});

test('pause keeps parts and resume finishes', async () => {
  const size = 30 * MIB;
  const path = await sourceFile('Pause.wav', size);
  harness.proxy.setBytesPerSecond(30 * MIB);
  const engine = newEngine();

  const { batchId } = await engine.add([{ path }], { origin: 'desktop' });
  await waitUntil(() => onlyJob(engine, batchId).bytesSent >= 10 * MIB);
  const paused = engine.pause(onlyJob(engine, batchId).id);
  expect(paused.state).toBe('paused');
  expect(await harness.pendingUploads()).toHaveLength(1);

  harness.proxy.setBytesPerSecond(undefined);
  const resumed = engine.resume(paused.id);
  expect(['queued', 'preparing', 'uploading']).toContain(resumed.state);
  const report = await engine.whenBatchDone(batchId);

  expect(report.entries.map((entry) => entry.outcome)).toEqual(['uploaded']);
  expect(await harness.objectSha256('tracks/Pause.wav')).toBe(await sha256OfFile(path));
  expect(await harness.pendingUploads()).toEqual([]);
  expect(harness.proxy.bytesFromClients()).toBeLessThan(size + 4 * 5 * MIB);
});

test('next file is inspected during an upload', async () => {
  const first = await sourceFile('Uploading.wav', 12 * MIB);
  const second = await sourceFile('Prepared.wav', 1 * MIB);
  harness.proxy.setBytesPerSecond(4 * MIB);
  const memory = createMemoryLogger();
  const engine = newEngine({ tuning: { parallelFiles: 1 }, logger: memory.logger });
  const inspected = (path: string): boolean =>
    memory.lines.some((line) => line.msg === 'inspected audio file' && line.path === path);

  const { batchId } = await engine.add([{ path: first }, { path: second }], { origin: 'desktop' });
  await waitUntil(() => inspected(second) && engine.snapshot().jobs[0]?.state === 'uploading');
  const [uploading, prepared] = engine.snapshot().jobs;

  // The second file is ready, but waits for the only upload slot.
  expect(uploading?.state).toBe('uploading');
  expect(prepared?.state).toBe('preparing');
  expect(prepared?.bytesSent).toBe(0);
  harness.proxy.setBytesPerSecond(undefined);
  const report = await engine.whenBatchDone(batchId);
  expect(report.entries.map((entry) => entry.outcome)).toEqual(['uploaded', 'uploaded']);
  expect(await harness.trackKeys()).toEqual(['tracks/Prepared.wav', 'tracks/Uploading.wav']);
});

test('paused job shows stored parts after restart', async () => {
  const path = await sourceFile('Paused Restart.wav', 30 * MIB);
  harness.proxy.setBytesPerSecond(20 * MIB);
  const stateDir = join(harness.dir, 'state-paused-restart');
  const first = harness.engine({ stateDir, tuning: { parallelParts: 1 } });

  const { batchId } = await first.add([{ path }], { origin: 'desktop' });
  await waitUntil(() => onlyJob(first, batchId).bytesSent >= 12 * MIB);
  first.pause(onlyJob(first, batchId).id);
  await first.close();
  const stored = await storedPartBytes();

  const second = harness.engine({ stateDir, tuning: { parallelParts: 1 } });
  await waitUntil(() => second.snapshot().jobs.length === 1);
  const restored = onlyJob(second, batchId);
  expect(restored.state).toBe('paused');
  expect(stored).toBeGreaterThanOrEqual(10 * MIB);
  expect(restored.bytesSent).toBe(stored);

  harness.proxy.setBytesPerSecond(undefined);
  second.resume(restored.id);
  const report = await second.whenBatchDone(batchId);
  expect(report.entries.map((entry) => entry.outcome)).toEqual(['uploaded']);
});

test('resumed job shows stored parts while read', async () => {
  const path = await sourceFile('Resume Read.wav', 30 * MIB);
  harness.proxy.setBytesPerSecond(20 * MIB);
  const stateDir = join(harness.dir, 'state-resume-read');
  const first = harness.engine({ stateDir, tuning: { parallelParts: 1 } });

  const { batchId } = await first.add([{ path }], { origin: 'desktop' });
  await waitUntil(() => onlyJob(first, batchId).bytesSent >= 12 * MIB);
  first.pause(onlyJob(first, batchId).id);
  await first.close();
  const stored = await storedPartBytes();

  // The job runs again in another engine, which stops its inspection of the file at the start.
  const gate = inspectionGate();
  gate.hold();
  const second = harness.engine({ stateDir, wrapInspect: gate.wrap });
  await waitUntil(() => second.snapshot().jobs.length === 1);
  second.resume(onlyJob(second, batchId).id);
  await waitUntil(() => onlyJob(second, batchId).bytesRead === 0);
  const reading = onlyJob(second, batchId);
  gate.release();
  harness.proxy.setBytesPerSecond(undefined);
  const report = await second.whenBatchDone(batchId);

  expect(stored).toBeGreaterThanOrEqual(10 * MIB);
  expect(reading.state).toBe('preparing');
  expect(reading.bytesSent).toBe(stored);
  expect(report.entries.map((entry) => entry.outcome)).toEqual(['uploaded']);
});

test('paused queued job waits until resumed', async () => {
  const first = await sourceFile('First.wav', 1 * MIB);
  const engine = newEngine({ tuning: { parallelFiles: 1 } });

  const { batchId } = await engine.add([{ path: first }], { origin: 'desktop' });
  const job = engine.pause(onlyJob(engine, batchId).id);
  expect(job.state).toBe('paused');
  expect(engine.snapshot().jobs[0]?.state).toBe('paused');

  engine.resume(job.id);
  const report = await engine.whenBatchDone(batchId);
  expect(report.entries.map((entry) => entry.outcome)).toEqual(['uploaded']);
});

test('retry after failure continues from stored parts', async () => {
  const size = 30 * MIB;
  const path = await sourceFile('Retry.wav', size);
  // Two parts get through; after that every connection breaks in the middle of a part.
  harness.proxy.setShouldDrop(
    (connectionBytes) =>
      harness.proxy.bytesFromClients() > 11 * MIB && connectionBytes > 256 * 1024,
  );
  const engine = newEngine({
    sdkAttempts: 1,
    tuning: { parallelParts: 1 },
    retry: { maxAttempts: 2, baseDelayMs: 10, maxDelayMs: 20 },
  });

  const { batchId } = await engine.add([{ path }], { origin: 'desktop' });
  const failed = await engine.whenBatchDone(batchId);
  const job = onlyJob(engine, batchId);
  expect(failed.entries[0]?.outcome).toBe('failed');
  expect(failed.entries[0]?.message).toMatch(/gave up after 2 attempts/);
  expect(job.state).toBe('failed');
  expect(job.attempts).toBe(2);

  harness.proxy.setShouldDrop(undefined);
  const sentBefore = harness.proxy.bytesFromClients();
  engine.retry(job.id);
  const report = await engine.whenBatchDone(batchId);

  expect(report.entries[0]?.outcome).toBe('uploaded');
  expect(onlyJob(engine, batchId).resumed).toBe(true);
  // The two stored parts are kept; request headers add a few kilobytes.
  expect(harness.proxy.bytesFromClients() - sentBefore).toBeLessThan(
    size - 2 * 5 * MIB + 64 * 1024,
  );
  expect(await harness.objectSha256('tracks/Retry.wav')).toBe(await sha256OfFile(path));
  expect(await harness.pendingUploads()).toEqual([]);
});

test('close stops and the next engine finishes', async () => {
  const size = 30 * MIB;
  const path = await sourceFile('Closed.wav', size);
  harness.proxy.setBytesPerSecond(30 * MIB);
  const stateDir = join(harness.dir, 'state-close');
  const first = harness.engine({ stateDir, tuning: { parallelParts: 1 } });

  const { batchId } = await first.add([{ path }], { origin: 'desktop' });
  const waiting = first.whenBatchDone(batchId);
  await waitUntil(() => harness.serverBodyBytes() >= 10 * MIB);
  await first.close();
  await expect(waiting).rejects.toThrow(/closed before batch/);
  await expect(first.add([{ path }], { origin: 'desktop' })).rejects.toThrow(/engine is closed/);

  harness.proxy.setBytesPerSecond(undefined);
  const second = harness.engine({ stateDir, tuning: { parallelParts: 1 } });
  const report = await second.whenBatchDone(batchId);

  expect(report.entries.map((entry) => entry.outcome)).toEqual(['uploaded']);
  expect(onlyJob(second, batchId).resumed).toBe(true);
  // Every part crossed once; the rest is the peaks object.
  const sha256 = await sha256OfFile(path);
  const peaksBytes = await harness.objectSize(peaksKeyFor(sha256));
  expect(harness.serverBodyBytes()).toBe(size + peaksBytes);
  expect(await harness.objectSha256('tracks/Closed.wav')).toBe(sha256);
  expect(await harness.pendingUploads()).toEqual([]);
});

test('file changed during upload fails verification', async () => {
  const size = 20 * MIB;
  const path = await sourceFile('Changing.wav', size);
  harness.proxy.setBytesPerSecond(10 * MIB);
  const engine = newEngine({ tuning: { parallelParts: 1 } });

  const { batchId } = await engine.add([{ path }], { origin: 'desktop' });
  await waitUntil(() => onlyJob(engine, batchId).bytesSent > 0);
  // Same size, new bytes in the last part, which has not been read yet.
  const handle = await open(path, 'r+');
  await handle.write(Buffer.alloc(1024, 7), 0, 1024, size - 4096);
  await handle.close();
  harness.proxy.setBytesPerSecond(undefined);
  const report = await engine.whenBatchDone(batchId);

  expect(report.entries[0]?.outcome).toBe('failed');
  expect(report.entries[0]?.message).toMatch(
    /failed verification: S3 reports SHA-256 .* the local file has/,
  );
  expect(report.entries[0]?.message).toContain('The object was deleted');
  await expectNothingStored();

  engine.retry(onlyJob(engine, batchId).id);
  const retried = await engine.whenBatchDone(batchId);
  expect(retried.entries[0]?.outcome).toBe('uploaded');
  expect(await harness.objectSha256('tracks/Changing.wav')).toBe(await sha256OfFile(path));
});

test('cancel of a finished job keeps the object', async () => {
  const path = await sourceFile('Kept.wav', 1 * MIB);
  const engine = newEngine();
  const { batchId } = await engine.add([{ path }], { origin: 'desktop' });
  await engine.whenBatchDone(batchId);

  const view = await engine.cancel(onlyJob(engine, batchId).id);

  expect(view.state).toBe('done');
  expect(await harness.trackKeys()).toEqual(['tracks/Kept.wav']);
});

test('unknown job id is NotFound', () => {
  const engine = newEngine();
  expect(() => engine.pause('no-such-job')).toThrow(/no upload job with id no-such-job/);
});

test('clearFinished removes ended jobs and keeps failed ones', async () => {
  const good = await sourceFile('Clear Good.wav', 1 * MIB);
  const bad = join(harness.dir, 'source', 'missing.wav');
  const engine = newEngine();
  const { batchId } = await engine.add([{ path: good }, { path: bad }], { origin: 'desktop' });
  await engine.whenBatchDone(batchId);

  const snapshot = engine.clearFinished();

  expect(snapshot.jobs.map((job) => [job.name, job.state])).toEqual([['missing.wav', 'failed']]);
  expect(snapshot.totals.files).toBe(1);
  const last = harness.progress.at(-1);
  expect(last?.removedIds).toHaveLength(1);
});

test('discard deletes a failed job and its parts', async () => {
  const path = await sourceFile('Discard.wav', 30 * MIB);
  // Two parts get through; after that every connection breaks in the middle of a part.
  harness.proxy.setShouldDrop(
    (connectionBytes) =>
      harness.proxy.bytesFromClients() > 11 * MIB && connectionBytes > 256 * 1024,
  );
  const engine = newEngine({
    sdkAttempts: 1,
    tuning: { parallelParts: 1 },
    retry: { maxAttempts: 1, baseDelayMs: 10, maxDelayMs: 20 },
  });
  const { batchId } = await engine.add([{ path }], { origin: 'desktop' });
  await engine.whenBatchDone(batchId);
  const failed = onlyJob(engine, batchId);
  expect(failed.state).toBe('failed');
  expect(await harness.pendingUploads()).toHaveLength(1);

  harness.proxy.setShouldDrop(undefined);
  const snapshot = await engine.discard(failed.id);

  expect(snapshot.jobs.map((job) => job.id)).not.toContain(failed.id);
  expect(engine.snapshot().totals.failed).toBe(0);
  expect(harness.progress.at(-1)?.removedIds).toContain(failed.id);
  await expectNothingStored();
});

test('discard keeps undeletable uploads', async () => {
  const path = await sourceFile('Discard Offline.wav', 12 * MIB);
  harness.proxy.setShouldDrop(
    (connectionBytes) => harness.proxy.bytesFromClients() > 6 * MIB && connectionBytes > 256 * 1024,
  );
  const engine = newEngine({
    sdkAttempts: 1,
    tuning: { parallelParts: 1 },
    retry: { maxAttempts: 1, baseDelayMs: 10, maxDelayMs: 20 },
  });
  const { batchId } = await engine.add([{ path }], { origin: 'desktop' });
  await engine.whenBatchDone(batchId);
  const failed = onlyJob(engine, batchId);

  // Every request now breaks, so the pending multipart upload cannot be aborted.
  harness.proxy.setShouldDrop(() => true);
  await expect(engine.discard(failed.id)).rejects.toThrow(
    /Discard Offline\.wav stays in the queue .* discard it again when the storage is reachable/,
  );

  const kept = onlyJob(engine, batchId);
  expect(kept.state).toBe('failed');
  expect(kept.message).toMatch(/could not remove the unfinished upload/);
  harness.proxy.setShouldDrop(undefined);
  await engine.discard(kept.id);
  expect(engine.snapshot().jobs).toEqual([]);
  await expectNothingStored();
});

test('discard cancels a queued job', async () => {
  const first = await sourceFile('Discard Ahead.wav', 6 * MIB);
  const second = await sourceFile('Discard Behind.wav', 6 * MIB);
  harness.proxy.setBytesPerSecond(6 * MIB);
  const engine = newEngine({ tuning: { parallelFiles: 1 }, prepareAhead: 0 });

  const { batchId } = await engine.add([{ path: first }, { path: second }], { origin: 'desktop' });
  const behind = engine.snapshot().jobs.find((job) => job.name === 'Discard Behind.wav');
  expect(behind?.state).toBe('queued');
  await engine.discard(behind?.id ?? '');
  harness.proxy.setBytesPerSecond(undefined);
  const report = await engine.whenBatchDone(batchId);

  expect(report.entries.map((entry) => entry.name)).toEqual(['Discard Ahead.wav']);
  expect(await harness.trackKeys()).toEqual(['tracks/Discard Ahead.wav']);
});

test('rerun restores a missing peaks object', async () => {
  const path = await sourceFile('Peaks.wav', 1 * MIB);
  const engine = newEngine();
  const first = await engine.add([{ path }], { origin: 'desktop' });
  await engine.whenBatchDone(first.batchId);
  const peaksKey = peaksKeyFor(await sha256OfFile(path));
  await harness.direct.send(new DeleteObjectCommand({ Bucket: TEST_BUCKET, Key: peaksKey }));

  const second = await engine.add([{ path }], { origin: 'desktop' });
  const report = await engine.whenBatchDone(second.batchId);

  expect(report.entries.map((entry) => entry.reason)).toEqual(['unchanged']);
  expect(await harness.objectSize(peaksKey)).toBeGreaterThan(0);
});

test('upload aborted elsewhere starts over', async () => {
  const size = 30 * MIB;
  const path = await sourceFile('Aborted Elsewhere.wav', size);
  harness.proxy.setBytesPerSecond(20 * MIB);
  const engine = newEngine({ tuning: { parallelParts: 1 } });

  const { batchId } = await engine.add([{ path }], { origin: 'desktop' });
  await waitUntil(() => harness.serverBodyBytes() >= 5 * MIB);
  const [pending] = await harness.pendingUploads();
  await harness.direct.send(
    new AbortMultipartUploadCommand({
      Bucket: TEST_BUCKET,
      Key: pending?.key,
      UploadId: pending?.uploadId,
    }),
  );
  harness.proxy.setBytesPerSecond(undefined);
  const report = await engine.whenBatchDone(batchId);

  expect(report.entries.map((entry) => entry.outcome)).toEqual(['uploaded']);
  expect(onlyJob(engine, batchId).attempts).toBeGreaterThan(1);
  expect(await harness.objectSha256('tracks/Aborted Elsewhere.wav')).toBe(await sha256OfFile(path));
  expect(await harness.pendingUploads()).toEqual([]);
});
