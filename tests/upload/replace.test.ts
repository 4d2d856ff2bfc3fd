import { copyFile, mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

import { PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, afterEach, beforeAll, expect, test } from 'vitest';

import type { UploadEngine } from '../../electron/main/upload/engine-types';
import type { UploadJobView } from '../../shared/uploads';
import { AUDIO_FIXTURES } from '../support/fixtures';
import { startUploadHarness, TEST_BUCKET } from '../support/upload-harness';
import type { UploadHarness } from '../support/upload-harness';

/** SHA-256 of id3v2.3.mp3, the first recording, from the fixtures' MANIFEST.json. */
const FIRST_SHA256 = 'd3bf17ecd622194e688601592f2b22a3ddfec1b46d5c7dd7795b572cbba21c01';
const KEY = 'tracks/Intro.mp3';
const CONFLICT_MESSAGE = `a different recording is already stored as ${KEY}; Replace overwrites it, Discard keeps it`;

let harness: UploadHarness;
let stateCounter = 0;

beforeAll(async () => {
  harness = await startUploadHarness();
});

afterEach(async () => {
  harness.resetCounters();
  await harness.emptyBucket();
});

afterAll(async () => {
  await harness.close();
});

function newEngine(): UploadEngine {
  stateCounter += 1;
  return harness.engine({ stateDir: join(harness.dir, `state-${stateCounter}`) });
}

/** Copies a fixture to `<folder>/Intro.mp3`, so every recording maps to the same key. */
async function recording(folder: string, fixture: string): Promise<string> {
  const path = join(harness.dir, folder, 'Intro.mp3');
  await mkdir(join(harness.dir, folder), { recursive: true });
  await copyFile(join(AUDIO_FIXTURES, fixture), path);
  return path;
}

async function drop(engine: UploadEngine, path: string): Promise<UploadJobView> {
  const { batchId } = await engine.add([{ path }], { origin: 'desktop' });
  await engine.whenBatchDone(batchId);
  return jobOf(engine, batchId);
}

function jobOf(engine: UploadEngine, batchId: string): UploadJobView {
  const job = engine.snapshot().jobs.find((view) => view.batchId === batchId);
  if (job === undefined) {
    throw new Error(`batch ${batchId} has no job`);
  }
  return job;
}

async function replace(engine: UploadEngine, job: UploadJobView): Promise<UploadJobView> {
  engine.retry(job.id, { replace: true });
  await engine.whenBatchDone(job.batchId);
  return jobOf(engine, job.batchId);
}

async function storeFirstRecording(engine: UploadEngine): Promise<void> {
  const job = await drop(engine, await recording('first', 'id3v2.3.mp3'));
  expect(job.state).toBe('done');
  harness.resetCounters();
}

test('different recording stops as a conflict', async () => {
  const engine = newEngine();
  await storeFirstRecording(engine);
  const requestsBefore = harness.server.requestCounts() ?? {};

  const job = await drop(engine, await recording('second', 'he_44khz.mp3'));

  expect(job.state).toBe('conflict');
  expect(job.message).toBe(CONFLICT_MESSAGE);
  expect(job.replaced).toBe(false);
  expect(await harness.objectSha256(KEY)).toBe(FIRST_SHA256);
  expect(harness.serverBodyBytes()).toBe(0);
  const requests = harness.server.requestCounts() ?? {};
  // The HEAD request that finds unchanged files is the only request the conflict costs.
  expect((requests.HeadObject ?? 0) - (requestsBefore.HeadObject ?? 0)).toBe(1);
  expect(requests.PutObject ?? 0).toBe(requestsBefore.PutObject ?? 0);
  expect(requests.CreateMultipartUpload ?? 0).toBe(requestsBefore.CreateMultipartUpload ?? 0);
  expect(engine.snapshot().totals.conflicts).toBe(1);
});

test('conflict is reported and kept by clear', async () => {
  const engine = newEngine();
  await storeFirstRecording(engine);
  const path = await recording('second', 'he_44khz.mp3');

  const { batchId } = await engine.add([{ path }], { origin: 'desktop' });
  const report = await engine.whenBatchDone(batchId);
  engine.clearFinished();

  expect(report.entries.map((entry) => [entry.outcome, entry.message])).toEqual([
    ['conflict', CONFLICT_MESSAGE],
  ]);
  expect(report.summary.conflicts).toBe(1);
  expect(report.summary.uploaded).toBe(0);
  expect(report.summary.failed).toBe(0);
  expect(engine.snapshot().jobs.map((job) => job.state)).toContain('conflict');
  expect(await engine.pathsInUse()).toContain(path);
});

test('replace overwrites the stored recording', async () => {
  const engine = newEngine();
  await storeFirstRecording(engine);
  const path = await recording('second', 'he_44khz.mp3');
  const conflict = await drop(engine, path);

  const job = await replace(engine, conflict);

  expect(job.state).toBe('done');
  expect(job.replaced).toBe(true);
  expect(job.message).toBeNull();
  const report = engine.lastReport();
  expect(report?.entries.map((entry) => entry.outcome)).toEqual(['replaced']);
  expect(report?.summary.replaced).toBe(1);
  expect(report?.summary.uploaded).toBe(0);
  expect(report?.summary.conflicts).toBe(0);
  expect(await harness.objectSize(KEY)).toBe((await readFile(path)).length);
});

test('replace stops again after another write', async () => {
  const engine = newEngine();
  await storeFirstRecording(engine);
  const conflict = await drop(engine, await recording('second', 'he_44khz.mp3'));
  const third = await readFile(join(AUDIO_FIXTURES, 'id3v1_Blood_Sugar.mp3'));
  await harness.direct.send(new PutObjectCommand({ Bucket: TEST_BUCKET, Key: KEY, Body: third }));

  const job = await replace(engine, conflict);

  expect(job.state).toBe('conflict');
  expect(await harness.objectSize(KEY)).toBe(third.length);
});

test('file of another tool is a conflict', async () => {
  const engine = newEngine();
  const foreign = await readFile(join(AUDIO_FIXTURES, 'id3v1_Blood_Sugar.mp3'));
  await harness.direct.send(new PutObjectCommand({ Bucket: TEST_BUCKET, Key: KEY, Body: foreign }));

  const job = await drop(engine, await recording('second', 'he_44khz.mp3'));

  expect(job.state).toBe('conflict');
  expect(job.message).toBe(
    `${KEY} already contains a file that Cratebox did not upload, so it cannot compare the two; Replace overwrites it, Discard keeps it`,
  );
  expect(await harness.objectSize(KEY)).toBe(foreign.length);
});

test('discard keeps the stored recording', async () => {
  const engine = newEngine();
  await storeFirstRecording(engine);
  const conflict = await drop(engine, await recording('second', 'he_44khz.mp3'));

  const snapshot = await engine.discard(conflict.id);

  expect(snapshot.jobs.map((job) => job.id)).not.toContain(conflict.id);
  expect(await harness.objectSha256(KEY)).toBe(FIRST_SHA256);
});

test('same recording stays unchanged', async () => {
  const engine = newEngine();
  await storeFirstRecording(engine);

  const job = await drop(engine, await recording('copy', 'id3v2.3.mp3'));

  expect(job.state).toBe('skipped');
  expect(job.skipReason).toBe('unchanged');
  expect(harness.serverBodyBytes()).toBe(0);
});

test('conflict survives a restart and is replaceable', async () => {
  stateCounter += 1;
  const stateDir = join(harness.dir, `state-${stateCounter}`);
  const first = harness.engine({ stateDir });
  await storeFirstRecording(first);
  const conflict = await drop(first, await recording('second', 'he_44khz.mp3'));
  await first.close();

  const second = harness.engine({ stateDir });
  await second.whenLoaded();
  expect(jobOf(second, conflict.batchId).state).toBe('conflict');
  const job = await replace(second, jobOf(second, conflict.batchId));

  expect(job.state).toBe('done');
  expect(job.replaced).toBe(true);
});

test('migration replaces and counts it', async () => {
  const engine = newEngine();
  await storeFirstRecording(engine);
  const root = join(harness.dir, 'catalogue');
  await recording('catalogue', 'he_44khz.mp3');

  const dry = await engine.add([{ path: root }], {
    origin: 'cli',
    root,
    dryRun: true,
    replaceDifferent: true,
  });
  const dryReport = await engine.whenBatchDone(dry.batchId);
  const { batchId } = await engine.add([{ path: root }], {
    origin: 'cli',
    root,
    replaceDifferent: true,
  });
  const report = await engine.whenBatchDone(batchId);

  expect(dryReport.entries.map((entry) => entry.outcome)).toEqual(['would-replace']);
  expect(dryReport.summary.wouldReplace).toBe(1);
  expect(dryReport.summary.wouldUpload).toBe(0);
  expect(report.entries.map((entry) => entry.outcome)).toEqual(['replaced']);
  expect(report.summary.replaced).toBe(1);
  expect(report.summary.uploaded).toBe(0);
  expect(await harness.objectSize(KEY)).toBe(166_661);
});
