import { readdir, rm, rmdir, stat } from 'node:fs/promises';
import { join } from 'node:path';

import { isNotFound } from '../upload/atomic-json';

/** File that marks a batch folder whose files were queued, by this process or an earlier one. */
export const QUEUED_MARKER = '.queued';

/** State of the web host about staged files, beyond the folder's contents. */
export interface StagingClaims {
  /**
   * Staged files that a job reads or read, each with the sweep number current when that became
   * known. Such a file is deleted as soon as no job may read it again.
   */
  queued: Map<string, number>;
  /** Staged files being queued right now, with the number of requests queuing each. */
  adding: Map<string, number>;
  /** Number of the sweep under way or last run. */
  sweep: number;
}

/** Inputs of {@link sweepStaging}. */
export interface SweepInput {
  /** Staging folder: one folder per batch, holding that batch's files. */
  root: string;
  claims: StagingClaims;
  /** Local paths that upload jobs of any storage session may still read. */
  pathsInUse: () => Promise<Set<string>>;
  /** A batch folder whose last write is older than this (milliseconds since the epoch) is abandoned. */
  abandonedBefore: number;
}

/**
 * Deletes the staged files that no job may read again, and batch folders left empty. A file stays
 * while it is being queued or a job of any storage session may read it (a failed job may be
 * retried, a paused one resumed after a restart). Otherwise it goes when a job read it (known
 * from the claims, or from the batch's queued marker after a restart), or when its batch is
 * abandoned: the page that staged it never queued it and wrote nothing for a while.
 */
export async function sweepStaging(input: SweepInput): Promise<void> {
  const { root, claims } = input;
  claims.sweep += 1;
  const current = claims.sweep;

  let batches;
  try {
    batches = await readdir(root, { withFileTypes: true });
  } catch (error) {
    if (isNotFound(error)) {
      return;
    }
    throw error;
  }
  // Read after the folder, so every file listed that a job had queued by then is in this set.
  const inUse = await input.pathsInUse();
  const seen = new Set<string>();

  for (const batch of batches.filter((entry) => entry.isDirectory())) {
    const batchDir = join(root, batch.name);
    const files = await filesOf(batchDir);
    const abandoned = (await lastWrite(batchDir, files)) < input.abandonedBefore;
    const marker = join(batchDir, QUEUED_MARKER);
    const queuedEarlier = await stat(marker).then(
      () => true,
      () => false,
    );

    const stale: string[] = [];
    for (const { path } of files) {
      seen.add(path);
      const queuedIn = claims.queued.get(path);
      if (claims.adding.has(path) || queuedIn === current) {
        // Queued while this sweep ran, so `inUse` may predate its job.
        continue;
      }
      if (inUse.has(path)) {
        claims.queued.set(path, queuedIn ?? current);
      } else if (queuedIn !== undefined || queuedEarlier || abandoned) {
        // A marked file without a claim was queued by an earlier process: this process claims
        // every file it queues before it writes the marker.
        stale.push(path);
      }
    }

    await Promise.all(stale.map((path) => rm(path, { force: true })));
    stale.forEach((path) => claims.queued.delete(path));
    if (stale.length === files.length) {
      // rmdir, not rm: a file that appeared since the listing keeps the folder.
      await rm(marker, { force: true });
      await rmdir(batchDir).catch(() => undefined);
    }
  }

  for (const [path, queuedIn] of claims.queued) {
    if (queuedIn < current && !seen.has(path)) {
      claims.queued.delete(path);
    }
  }
}

interface StagedFile {
  path: string;
  mtimeMs: number;
}

async function filesOf(batchDir: string): Promise<StagedFile[]> {
  const names = await readdir(batchDir).catch(() => [] as string[]);
  const files = await Promise.all(
    names.map(async (name) => {
      if (name === QUEUED_MARKER) {
        return null;
      }
      const path = join(batchDir, name);
      const info = await stat(path).catch(() => null);
      return info?.isFile() === true ? { path, mtimeMs: info.mtimeMs } : null;
    }),
  );
  return files.filter((file) => file !== null);
}

// A file being written moves its own time, and a new file moves the folder's.
async function lastWrite(batchDir: string, files: StagedFile[]): Promise<number> {
  const folder = await stat(batchDir).catch(() => null);
  return Math.max(folder?.mtimeMs ?? 0, ...files.map((file) => file.mtimeMs));
}
