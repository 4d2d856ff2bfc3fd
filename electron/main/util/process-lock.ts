import { randomBytes } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { link, open, readFile, rename, rm } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';

import { z } from 'zod';

import { parseJson } from './parse-json';

/** Contents of a lock file: the process that holds it and what it publishes to others. */
export interface LockRecord<Info> {
  pid: number;
  /** Start time of the process from /proc on Linux, to tell it from a later one with its pid. */
  started: string | null;
  /** Random id of one acquisition, so a stale lock is removed only while it is the one checked. */
  token: string;
  acquiredAt: string;
  info: Info;
}

/** Lock file that this process holds. */
export interface HeldLock<Info> {
  readonly path: string;
  /** Replaces the published info. Readers see the old or the new record, never a mix. */
  update(info: Info): Promise<void>;
  /** Deletes the lock file while it is still this acquisition's. */
  release(): Promise<void>;
}

/** Outcome of {@link tryAcquireLock}: the lock, or the live process that holds it. */
export type LockAttempt<Info> =
  { acquired: true; lock: HeldLock<Info> } | { acquired: false; holder: LockRecord<Info> };

// Paths of the locks this process holds, by token. A lock that names this process's pid but a
// token missing here was left by an earlier process with the same pid (containers restart their
// processes with the same small pids), so it is stale.
const heldLocks = new Map<string, string>();
let exitHookInstalled = false;

/**
 * Takes the lock file at `path` unless a live process holds it. The record is written to a
 * private file and hard-linked into place, so creation is atomic and readers never see a partial
 * record. A lock whose process has ended is removed first, so a crash never leaves it held.
 */
export async function tryAcquireLock<Info>(path: string, info: Info): Promise<LockAttempt<Info>> {
  for (;;) {
    const record: LockRecord<Info> = {
      pid: process.pid,
      started: processStartTime(process.pid),
      token: randomBytes(8).toString('hex'),
      acquiredAt: new Date().toISOString(),
      info,
    };
    if (await linkRecord(path, record)) {
      return { acquired: true, lock: holdLock(path, record) };
    }

    const holder = await readLock<Info>(path);
    if (holder === null) {
      // The holder released the lock after the link failed, so try again.
      continue;
    }
    if (isLockHeld(holder)) {
      return { acquired: false, holder };
    }
    await removeStaleLock(path, holder.token);
  }
}

/** Reads the record of the lock file at `path`, or returns null when there is none. */
export async function readLock<Info>(path: string): Promise<LockRecord<Info> | null> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      return null;
    }
    throw error;
  }
  return parseRecord<Info>(path, text);
}

/**
 * Checks whether the process named in a lock record still runs, so the lock is not stale.
 *
 * NOTE: a pid means something only on one machine and in one pid namespace, so these locks do
 * not protect a data folder shared over the network or between containers.
 */
export function isLockHeld(record: LockRecord<unknown>): boolean {
  if (record.pid === process.pid) {
    return heldLocks.has(record.token);
  }
  if (!isProcessAlive(record.pid)) {
    return false;
  }
  const started = processStartTime(record.pid);
  return record.started === null || started === null || started === record.started;
}

async function linkRecord(path: string, record: LockRecord<unknown>): Promise<boolean> {
  const staged = `${path}.${record.token}.new`;
  await writeSynced(staged, record);
  try {
    // NOTE: link() needs a file system with hard links; on FAT or exFAT it fails, and so does
    // opening the data folder there.
    await link(staged, path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
      return false;
    }
    throw new Error(`cannot create the lock file ${path}: ${String(error)}`, { cause: error });
  } finally {
    await rm(staged, { force: true });
  }
}

/**
 * Deletes the lock file at `path` if it still has `token`. Two processes may find the same stale
 * lock, and the later one must not delete the lock that the earlier one created in its place.
 * So the removal runs under a lock of its own, named after the stale token and taken the same way.
 */
async function removeStaleLock(path: string, token: string): Promise<void> {
  const removal = await tryAcquireLock(`${path}.${token}.stale`, null);
  if (!removal.acquired) {
    // Another process is removing this lock, which takes a moment.
    await sleep(10);
    return;
  }

  try {
    const current = await readLock(path);
    if (current?.token === token) {
      await rm(path, { force: true });
    }
  } finally {
    await removal.lock.release();
  }
}

function holdLock<Info>(path: string, record: LockRecord<Info>): HeldLock<Info> {
  if (!exitHookInstalled) {
    process.on('exit', releaseOnExit);
    exitHookInstalled = true;
  }
  heldLocks.set(record.token, path);
  let current = record;

  return {
    path,
    async update(info: Info): Promise<void> {
      if (!heldLocks.has(record.token)) {
        return;
      }
      current = { ...current, info };
      const staged = `${path}.${randomBytes(8).toString('hex')}.new`;
      await writeSynced(staged, current);
      await rename(staged, path);
    },
    async release(): Promise<void> {
      if (!heldLocks.delete(record.token)) {
        return;
      }
      const onDisk = await readLock(path).catch(() => null);
      if (onDisk?.token === record.token) {
        await rm(path, { force: true });
      }
    },
  };
}

// A process that exits without closing its services still leaves no lock behind. A crash or
// SIGKILL does, and the next process that wants the lock removes it.
function releaseOnExit(): void {
  for (const [token, path] of heldLocks) {
    try {
      if (parseRecord(path, readFileSync(path, 'utf8')).token === token) {
        rmSync(path, { force: true });
      }
    } catch {
      // The file is gone or unreadable, and there is nothing left to release.
    }
  }
  heldLocks.clear();
}

async function writeSynced(path: string, record: LockRecord<unknown>): Promise<void> {
  const handle = await open(path, 'wx', 0o600);
  try {
    await handle.writeFile(JSON.stringify(record));
    await handle.sync();
  } finally {
    await handle.close();
  }
}

// Only the fields that decide ownership are checked; the rest is published information.
const recordSchema = z.object({ pid: z.number().int(), token: z.string() });

function parseRecord<Info>(path: string, text: string): LockRecord<Info> {
  const record = parseJson(text);
  if (!recordSchema.safeParse(record).success) {
    throw new Error(
      `the lock file ${path} is not valid; delete it if no Cratebox process uses this data folder`,
    );
  }
  return record as LockRecord<Info>;
}

function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  // A process that was killed but not yet reaped by its parent still accepts signal 0.
  return processState(pid) !== 'Z';
}

/**
 * Returns the start time of `pid` in clock ticks since boot, from /proc on Linux; null elsewhere.
 *
 * NOTE: without /proc (macOS, Windows) a lock whose process ended is taken for held while an
 * unrelated process runs with the same pid.
 */
function processStartTime(pid: number): string | null {
  // Field 22 of /proc/PID/stat, which is the 20th after the command name in parentheses.
  return procStatFields(pid)?.[19] ?? null;
}

function processState(pid: number): string | null {
  return procStatFields(pid)?.[0] ?? null;
}

function procStatFields(pid: number): string[] | null {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  // The command name may contain spaces and parentheses, so fields are counted from the last ')'.
  return stat
    .slice(stat.lastIndexOf(')') + 2)
    .trim()
    .split(' ');
}
