import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, beforeEach, expect, test } from 'vitest';

import { silentLogger } from '../../electron/main/log';
import { writeJsonAtomic } from '../../electron/main/upload/atomic-json';
import { writeReport } from '../../electron/main/upload/report';
import { watchUploadState } from '../../electron/main/upload/state-watcher';
import type { UploadStateWatch } from '../../electron/main/upload/state-watcher';
import type { MigrationReport } from '../../shared/uploads';
import { waitUntil } from '../support/wait';

let stateDir: string;
let watch: UploadStateWatch | null = null;

function report(id: string, finishedAt: string): MigrationReport {
  return {
    id,
    origin: 'cli',
    root: '/music',
    dryRun: false,
    startedAt: '2026-01-01T10:00:00.000Z',
    finishedAt,
    summary: {
      uploaded: 1,
      replaced: 0,
      wouldUpload: 0,
      wouldReplace: 0,
      conflicts: 0,
      unchanged: 0,
      skippedNotAudio: 0,
      skippedSystem: 0,
      skippedOther: 0,
      failed: 0,
      cancelled: 0,
      bytesSent: 10,
    },
    entries: [],
  };
}

beforeEach(async () => {
  stateDir = await mkdtemp(join(tmpdir(), 'cratebox-watch-'));
});

afterEach(async () => {
  watch?.close();
  watch = null;
  await rm(stateDir, { recursive: true, force: true });
});

test('passes on new reports only', async () => {
  await writeReport(
    join(stateDir, 'reports'),
    report('20260101T100000000Z-aaaaaa', '2026-01-01T10:05:00.000Z'),
  );
  const seen: string[] = [];
  watch = await watchUploadState({
    stateDir,
    logger: silentLogger(),
    reportDelayMs: 20,
    onReport: (written) => seen.push(written.id),
    onQueueSaved: () => undefined,
  });

  await writeReport(
    join(stateDir, 'reports'),
    report('20260101T110000000Z-bbbbbb', '2026-01-01T11:05:00.000Z'),
  );
  await waitUntil(() => seen.length > 0);

  expect(seen).toEqual(['20260101T110000000Z-bbbbbb']);
});

test('passes on queue saves', async () => {
  let saves = 0;
  watch = await watchUploadState({
    stateDir,
    logger: silentLogger(),
    queueIntervalMs: 20,
    onReport: () => undefined,
    onQueueSaved: () => (saves += 1),
  });

  await writeJsonAtomic(join(stateDir, 'queue.json'), { version: 1, jobs: [], batches: [] });
  await waitUntil(() => saves > 0);

  expect(saves).toBeGreaterThan(0);
});

test('creates the watched folders', async () => {
  const missing = join(stateDir, 'uploads-cli');
  watch = await watchUploadState({
    stateDir: missing,
    logger: silentLogger(),
    onReport: () => undefined,
    onQueueSaved: () => undefined,
  });

  expect(existsSync(join(missing, 'reports'))).toBe(true);
});
