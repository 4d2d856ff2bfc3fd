import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, beforeEach, expect, test } from 'vitest';

import { silentLogger } from '../../electron/main/log';
import {
  listWaitingQueues,
  pathsOfOtherQueues,
  writeSessionLabel,
} from '../../electron/main/session-queues';
import { writeJsonAtomic } from '../../electron/main/upload/atomic-json';
import type { StoredJob } from '../../electron/main/upload/state-store';

let sessionsDir: string;

beforeEach(async () => {
  sessionsDir = await mkdtemp(join(tmpdir(), 'cratebox-sessions-'));
});

afterEach(async () => {
  await rm(sessionsDir, { recursive: true, force: true });
});

function job(name: string, state: StoredJob['state']): StoredJob {
  return {
    id: `id-${name}`,
    batchId: 'batch',
    path: `/music/${name}`,
    name,
    key: `tracks/${name}`,
    state,
    skipReason: null,
    message: null,
    bytesTotal: 10,
    bytesSent: 0,
    wireBytes: 0,
    attempts: 1,
    resumed: false,
    dryRun: false,
    stagedCopy: false,
    replaced: false,
    overwriteIfMatch: null,
    conflictEtag: null,
  };
}

async function saveQueue(session: string, jobs: StoredJob[]): Promise<string> {
  const dir = join(sessionsDir, session);
  await writeJsonAtomic(join(dir, 'uploads', 'queue.json'), { version: 1, jobs, batches: [] });
  return dir;
}

test('lists unfinished jobs of other storage', async () => {
  const current = await saveQueue('127.0.0.1-cratebox', [job('Here.mp3', 'failed')]);
  const other = await saveQueue('127.0.0.1-dead', [
    job('Failed.mp3', 'failed'),
    job('Done.mp3', 'done'),
    job('Queued.mp3', 'queued'),
    job('Cancelled.mp3', 'cancelled'),
    job('Taken.mp3', 'conflict'),
    job('Skipped.mp3', 'skipped'),
  ]);
  await writeSessionLabel(other, 'S3 bucket dead at http://127.0.0.1:9', silentLogger());

  const waiting = await listWaitingQueues(sessionsDir, current, 'uploads');

  expect(waiting).toEqual([
    {
      storage: 'S3 bucket dead at http://127.0.0.1:9',
      files: 3,
      names: ['Failed.mp3', 'Queued.mp3', 'Taken.mp3'],
    },
  ]);
});

test('names an unlabelled folder by its name', async () => {
  const current = await saveQueue('aws-music', []);
  await saveQueue('aws-old', [job('Old.mp3', 'paused')]);

  const waiting = await listWaitingQueues(sessionsDir, current, 'uploads');

  expect(waiting.map((queue) => queue.storage)).toEqual([
    'the storage of the session folder "aws-old"',
  ]);
});

test('leaves out queues with every job ended', async () => {
  const current = await saveQueue('aws-music', []);
  await saveQueue('aws-old', [job('Done.mp3', 'done'), job('Skipped.mp3', 'skipped')]);

  expect(await listWaitingQueues(sessionsDir, current, 'uploads')).toEqual([]);
});

test('keeps paths of other queues in use', async () => {
  const current = await saveQueue('aws-music', [job('Here.mp3', 'failed')]);
  await saveQueue('aws-old', [job('Old.mp3', 'failed'), job('Done.mp3', 'done')]);

  const paths = await pathsOfOtherQueues(sessionsDir, current, 'uploads');

  expect([...paths]).toEqual(['/music/Old.mp3']);
});
