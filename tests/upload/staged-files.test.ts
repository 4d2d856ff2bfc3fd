import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';

import { afterAll, afterEach, beforeAll, expect, test } from 'vitest';

import type { UploadEngine } from '../../electron/main/upload/engine-types';
import type { InspectFile } from '../../electron/main/upload/inspection';
import { writeNoiseWav } from '../support/audio-files';
import { startUploadHarness } from '../support/upload-harness';
import type { UploadHarness } from '../support/upload-harness';
import { waitUntil } from '../support/wait';

const MIB = 1024 * 1024;
let harness: UploadHarness;
let stateCounter = 0;

beforeAll(async () => {
  harness = await startUploadHarness();
});

afterEach(async () => {
  await harness.emptyBucket();
});

afterAll(async () => {
  await harness.close();
});

function newEngine(options: Parameters<UploadHarness['engine']>[0] = {}): UploadEngine {
  stateCounter += 1;
  return harness.engine({ stateDir: join(harness.dir, `state-${stateCounter}`), ...options });
}

/** Writes a file under a generated name, as web mode stages what a browser sends. */
async function stagedCopy(batch: string, file: string, bytes: number): Promise<string> {
  const path = join(harness.dir, 'staging', batch, file);
  await mkdir(join(path, '..'), { recursive: true });
  await writeNoiseWav(path, bytes);
  return path;
}

test('messages name staged copies as dropped', async () => {
  const missing = join(harness.dir, 'staging', 'batch-a', '6f0c5c1e');
  const upper = await stagedCopy('batch-a', '0b6a2f47', 1 * MIB);
  const lower = await stagedCopy('batch-a', '9d2c4e11', 1 * MIB);
  const engine = newEngine();

  const { batchId } = await engine.add(
    [
      { path: missing, relativePath: 'Album/Gone.wav' },
      { path: upper, relativePath: 'Album/Song.wav' },
      { path: lower, relativePath: 'Album/SONG.wav' },
    ],
    { origin: 'desktop', stagedCopies: true },
  );
  const report = await engine.whenBatchDone(batchId);
  const views = engine.snapshot().jobs;

  const gone = views.find((job) => job.name === 'Album/Gone.wav');
  expect(gone?.state).toBe('failed');
  expect(gone?.message).toContain('Album/Gone.wav');
  const song = views.find((job) => job.name === 'Album/Song.wav');
  expect(song?.skipReason).toBe('key-collision');
  expect(song?.message).toContain('"Album/Song.wav" and "Album/SONG.wav" map to the same key');
  for (const job of views) {
    expect(job.message, job.name).not.toContain(join(harness.dir, 'staging'));
  }

  expect(report.entries.map((entry) => entry.name).sort()).toEqual([
    'Album/Gone.wav',
    'Album/SONG.wav',
    'Album/Song.wav',
  ]);
  for (const entry of report.entries) {
    expect(entry.message, entry.name).not.toContain(join(harness.dir, 'staging'));
  }
});

test('normalization twins are named as dropped', async () => {
  const nfcName = 'Album/Se\u00f1orita.wav';
  const nfdName = 'Album/Sen\u0303orita.wav';
  const composed = await stagedCopy('batch-c', '3e7a1c90', 1 * MIB);
  const decomposed = await stagedCopy('batch-c', '8b2d5f14', 1 * MIB);
  const engine = newEngine();

  const { batchId } = await engine.add(
    [
      { path: composed, relativePath: nfcName },
      { path: decomposed, relativePath: nfdName },
    ],
    { origin: 'desktop', stagedCopies: true },
  );
  await engine.whenBatchDone(batchId);
  const views = engine.snapshot().jobs;

  const nfd = views.find((job) => job.name === nfdName);
  expect(nfd?.skipReason).toBe('key-collision');
  expect(nfd?.message).toBe(
    `"${nfdName}" and "${nfcName}" map to the same key tracks/${nfcName}: the names look alike ` +
      'but spell "\u00f1" differently, this one as U+006E U+0303 (decomposed, NFD) and the other ' +
      'as U+00F1 (precomposed, NFC); rename or delete one of them',
  );
  const nfc = views.find((job) => job.name === nfcName);
  expect(nfc?.skipReason).toBe('key-collision');
  expect(nfc?.message).not.toContain(join(harness.dir, 'staging'));
});

test('messages keep local paths of picked files', async () => {
  const missing = join(harness.dir, 'picked', 'Gone.wav');
  const engine = newEngine();

  const { batchId } = await engine.add([{ path: missing }], { origin: 'desktop' });
  const report = await engine.whenBatchDone(batchId);

  expect(report.entries[0]?.name).toBe('Gone.wav');
  expect(report.entries[0]?.message).toContain(missing);
});

test('queue shows read progress', async () => {
  const path = await stagedCopy('batch-b', 'a41d9e03', 8 * MIB);
  let release = (): void => undefined;
  const released = new Promise<void>((resolve) => (release = resolve));
  const reads: number[] = [];
  // The real inspection runs; it only starts once the test has seen the first report of it.
  const holdAtStart =
    (inspect: InspectFile): InspectFile =>
    async (file, options) => {
      options.onProgress?.(0);
      await released;
      return inspect(file, {
        ...options,
        onProgress: (bytesRead) => {
          reads.push(bytesRead);
          options.onProgress?.(bytesRead);
        },
      });
    };
  const engine = newEngine({ wrapInspect: holdAtStart });

  const { batchId } = await engine.add([{ path, relativePath: 'Long Mix.wav' }], {
    origin: 'desktop',
    stagedCopies: true,
  });
  await waitUntil(() => engine.snapshot().jobs[0]?.bytesRead === 0);
  const reading = engine.snapshot();
  release();
  await engine.whenBatchDone(batchId);

  expect(reading.jobs[0]?.state).toBe('preparing');
  expect(reading.totals.reading).toEqual({ files: 1, bytesRead: 0, bytesTotal: 8 * MIB });
  expect(reads.length).toBeGreaterThan(5);
  expect(reads).toEqual([...reads].sort((a, b) => a - b));
  expect(reads.at(-1)).toBe(8 * MIB);
  expect(engine.snapshot().jobs[0]?.bytesRead).toBeNull();
  expect(engine.snapshot().jobs[0]?.state).toBe('done');
  await rm(path);
});
