import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, beforeEach, describe, expect, test } from 'vitest';

import { readLock, tryAcquireLock } from '../../electron/main/util/process-lock';
import type { LockRecord } from '../../electron/main/util/process-lock';
import { runChildrenTogether } from '../support/store-children';

let dir: string;
let lockPath: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cratebox-lock-'));
  lockPath = join(dir, 'test.lock');
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Returns the pid of a process that has ended. */
async function endedPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '']);
  await once(child, 'exit');
  if (child.pid === undefined) {
    throw new Error('the short-lived child did not start');
  }
  return child.pid;
}

async function writeStaleLock(pid: number, token = 'stale0000000000a'): Promise<void> {
  const record: LockRecord<{ note: string }> = {
    pid,
    started: null,
    token,
    acquiredAt: new Date(0).toISOString(),
    info: { note: 'left by a crash' },
  };
  await writeFile(lockPath, JSON.stringify(record));
}

describe('in one process', () => {
  test('second attempt sees the holder', async () => {
    const first = await tryAcquireLock(lockPath, { name: 'first' });
    const second = await tryAcquireLock(lockPath, { name: 'second' });

    expect(first.acquired).toBe(true);
    expect(second.acquired).toBe(false);
    if (!second.acquired) {
      expect(second.holder.pid).toBe(process.pid);
      expect(second.holder.info).toEqual({ name: 'first' });
    }
  });

  test('release lets the next one in', async () => {
    const first = await tryAcquireLock(lockPath, { name: 'first' });
    if (!first.acquired) {
      throw new Error('the first attempt did not get the lock');
    }
    await first.lock.release();

    expect(existsSync(lockPath)).toBe(false);
    const second = await tryAcquireLock(lockPath, { name: 'second' });
    expect(second.acquired).toBe(true);
  });

  test('update publishes new info', async () => {
    const attempt = await tryAcquireLock(lockPath, { url: null as string | null });
    if (!attempt.acquired) {
      throw new Error('the lock was not acquired');
    }
    await attempt.lock.update({ url: 'http://127.0.0.1:1234/' });

    const record = await readLock<{ url: string | null }>(lockPath);
    expect(record?.info.url).toBe('http://127.0.0.1:1234/');
    expect(record?.pid).toBe(process.pid);
    // Only the lock file remains: staged copies are renamed or removed.
    expect(await readdir(dir)).toEqual(['test.lock']);
  });
});

describe('stale locks', () => {
  test('lock of an ended process is taken over', async () => {
    await writeStaleLock(await endedPid());

    const attempt = await tryAcquireLock(lockPath, { name: 'new' });

    expect(attempt.acquired).toBe(true);
    const record = await readLock<{ name: string }>(lockPath);
    expect(record?.pid).toBe(process.pid);
    expect(record?.info).toEqual({ name: 'new' });
    expect(await readdir(dir)).toEqual(['test.lock']);
  });

  test('own pid with an unknown token is stale', async () => {
    // An earlier process with this pid, as after a container restart, left the lock behind.
    await writeStaleLock(process.pid);

    const attempt = await tryAcquireLock(lockPath, { name: 'new' });

    expect(attempt.acquired).toBe(true);
  });

  test('one of several processes takes a stale lock', async () => {
    await writeStaleLock(await endedPid());

    const together = await runChildrenTogether<{ acquired: boolean }>('lock', lockPath, 4);
    try {
      const winners = together.results.filter((result) => result.acquired);
      expect(winners).toHaveLength(1);
      const record = await readLock(lockPath);
      expect(record?.pid).not.toBe(process.pid);
    } finally {
      await together.finish();
    }
    expect(existsSync(lockPath)).toBe(false);
  });

  test('invalid lock file gets a clear error', async () => {
    await writeFile(lockPath, 'not json');

    await expect(tryAcquireLock(lockPath, {})).rejects.toThrow(
      `the lock file ${lockPath} is not valid; delete it if no Cratebox process uses this data folder`,
    );
    expect(await readFile(lockPath, 'utf8')).toBe('not json');
  });
});
