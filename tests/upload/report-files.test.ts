import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, beforeEach, expect, test } from 'vitest';

import { readLatestReport, readReport } from '../../electron/main/upload/report';

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cratebox-reports-'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Writes a report in the format of earlier versions, whose dry runs counted files as uploaded. */
async function writeOlderReport(id: string, dryRun: boolean): Promise<void> {
  const report = {
    id,
    origin: 'cli',
    root: '/music',
    dryRun,
    startedAt: '2026-01-01T10:00:00.000Z',
    finishedAt: '2026-01-01T10:01:00.000Z',
    summary: {
      uploaded: 3,
      unchanged: 1,
      skippedNotAudio: 0,
      skippedOther: 0,
      failed: 0,
      cancelled: 0,
      bytesSent: 0,
    },
    entries: [],
  };
  await writeFile(join(dir, `${id}.json`), JSON.stringify(report));
}

test('older dry run counts would-upload files', async () => {
  await writeOlderReport('20260101T100000000Z-aaaaaa', true);

  const report = await readLatestReport(dir);

  expect(report?.summary.uploaded).toBe(0);
  expect(report?.summary.wouldUpload).toBe(3);
  expect(report?.summary.skippedSystem).toBe(0);
});

test('older migration keeps its uploaded count', async () => {
  await writeOlderReport('20260101T100000000Z-bbbbbb', false);

  const report = await readReport(dir, '20260101T100000000Z-bbbbbb');

  expect(report?.summary.uploaded).toBe(3);
  expect(report?.summary.wouldUpload).toBe(0);
});
