import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';

import type { AppInfo } from '../../shared/contract';
import { tryAcquireLock } from './util/process-lock';
import type { HeldLock, LockRecord } from './util/process-lock';

/** Shell of a Cratebox process, as named in the locks it holds. */
export type ShellName = AppInfo['shell'] | 'cli';

/** Record that a Cratebox process publishes in the lock of a folder it uses. */
export interface FolderLockInfo {
  shell: ShellName;
  /** Address of web mode's page, or null for the other shells and while web mode starts. */
  url: string | null;
}

/** Lock held on a data folder or an upload state folder. */
export type FolderLock = HeldLock<FolderLockInfo>;

/** Error raised when a live Cratebox process already uses a folder. */
export class FolderInUseError extends Error {
  override readonly name = 'FolderInUseError';

  constructor(
    message: string,
    /** Lock record of the process that uses the folder. */
    readonly holder: LockRecord<FolderLockInfo>,
  ) {
    super(message);
  }
}

/**
 * Takes `instance.lock` in the data folder for the desktop app or web mode, so a second one on
 * the same folder stops instead of sharing its upload queue, staging folder and settings.
 * The CLI does not take it: a migration runs beside the app.
 */
export async function lockDataFolder(
  dataDir: string,
  shell: AppInfo['shell'],
): Promise<FolderLock> {
  await mkdir(dataDir, { recursive: true });
  const attempt = await tryAcquireLock<FolderLockInfo>(join(dataDir, 'instance.lock'), {
    shell,
    url: null,
  });
  if (!attempt.acquired) {
    throw new FolderInUseError(describeRunningApp(attempt.holder), attempt.holder);
  }
  return attempt.lock;
}

/**
 * Takes `queue.lock` in an upload state folder, so one process at a time owns its `queue.json`
 * and upload records. Two migrations on one data folder share the CLI's state folder, so the
 * second one stops here.
 */
export async function lockUploadState(stateDir: string, shell: ShellName): Promise<FolderLock> {
  await mkdir(stateDir, { recursive: true });
  const attempt = await tryAcquireLock<FolderLockInfo>(join(stateDir, 'queue.lock'), {
    shell,
    url: null,
  });
  if (!attempt.acquired) {
    const { holder } = attempt;
    const message =
      holder.info.shell === 'cli'
        ? `another cratebox migrate is already running on this data folder (pid ${holder.pid}); wait for it to finish, or stop it and run this command again: files already uploaded are skipped`
        : describeRunningApp(holder);
    throw new FolderInUseError(message, holder);
  }
  return attempt.lock;
}

function describeRunningApp(holder: LockRecord<FolderLockInfo>): string {
  const { pid, info } = holder;
  if (info.shell === 'electron') {
    return `Cratebox is already running on this data folder in a desktop window (pid ${pid}); switch to that window or pass --data-dir to use another folder`;
  }
  if (info.url === null) {
    return `Cratebox is already running on this data folder (pid ${pid}) and still starting; open the address it prints or pass --data-dir to use another folder`;
  }
  return `Cratebox is already running on this data folder (pid ${pid}) at ${info.url}; open that address or pass --data-dir to use another folder`;
}
