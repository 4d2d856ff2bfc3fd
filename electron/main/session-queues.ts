import { readdir } from 'node:fs/promises';
import { join } from 'node:path';

import type { WaitingQueue } from '../../shared/uploads';
import type { Logger } from './log';
import { readJsonFile, writeJsonAtomic } from './upload/atomic-json';
import { pathsStillRead, readSavedQueue } from './upload/state-store';
import type { StoredJob } from './upload/state-store';

/** File in a session folder that names its storage target for the user. */
const LABEL_FILE = 'storage.json';

/** Number of file names a {@link WaitingQueue} lists. */
const LISTED_NAMES = 5;

/**
 * Writes the name of a session folder's storage target, e.g. `S3 bucket music`, so that the
 * app can say which storage the folder's queue waits for while another storage is in use.
 */
export async function writeSessionLabel(
  sessionDir: string,
  label: string,
  logger: Logger,
): Promise<void> {
  try {
    await writeJsonAtomic(join(sessionDir, LABEL_FILE), { label });
  } catch (error) {
    logger.warn({ err: error, sessionDir }, 'cannot record the storage of a session folder');
  }
}

/** Reads the saved upload queues in `sessionsDir`, except that of `currentDir`. */
async function otherQueues(
  sessionsDir: string,
  currentDir: string,
  stateFolder: string,
): Promise<{ dir: string; name: string; jobs: StoredJob[] }[]> {
  const names = await readdir(sessionsDir).catch(() => []);
  const queues = [];
  for (const name of names.sort()) {
    const dir = join(sessionsDir, name);
    if (dir === currentDir) {
      continue;
    }
    const saved = await readSavedQueue(join(dir, stateFolder));
    queues.push({ dir, name, jobs: saved?.jobs ?? [] });
  }
  return queues;
}

/**
 * Returns the local paths that jobs in the queues of other storage targets may still read; they
 * resume when that storage is selected again.
 */
export async function pathsOfOtherQueues(
  sessionsDir: string,
  currentDir: string,
  stateFolder: string,
): Promise<Set<string>> {
  const paths = new Set<string>();
  for (const queue of await otherQueues(sessionsDir, currentDir, stateFolder)) {
    pathsStillRead(queue.jobs).forEach((path) => paths.add(path));
  }
  return paths;
}

/**
 * Lists the queues of other storage targets that contain jobs not yet ended (queued, paused,
 * failed, conflicting or interrupted), with the storage each one waits for.
 */
export async function listWaitingQueues(
  sessionsDir: string,
  currentDir: string,
  stateFolder: string,
): Promise<WaitingQueue[]> {
  const waiting: WaitingQueue[] = [];
  for (const queue of await otherQueues(sessionsDir, currentDir, stateFolder)) {
    const jobs = queue.jobs.filter(
      (job) => job.state !== 'done' && job.state !== 'skipped' && job.state !== 'cancelled',
    );
    if (jobs.length > 0) {
      waiting.push({
        storage: await readLabel(queue.dir, queue.name),
        files: jobs.length,
        names: jobs.slice(0, LISTED_NAMES).map((job) => job.name),
      });
    }
  }
  return waiting;
}

// Folders written before labels existed are named by their folder, e.g. `aws-music`.
async function readLabel(dir: string, name: string): Promise<string> {
  const stored = await readJsonFile(join(dir, LABEL_FILE)).catch(() => null);
  if (typeof stored === 'object' && stored !== null && 'label' in stored) {
    const { label } = stored;
    if (typeof label === 'string' && label !== '') {
      return label;
    }
  }
  return `the storage of the session folder "${name}"`;
}
