import { writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';

import { CrateboxError } from '../../../shared/errors';
import type { Handlers } from '../ipc/dispatch';
import type { EventBus } from '../ipc/event-bus';
import type { Logger } from '../log';
import type { UploadEngine } from '../upload/engine-types';
import { QUEUED_MARKER, sweepStaging } from './staging-sweep';
import type { StagingClaims } from './staging-sweep';

/** Options of {@link restrictToStaging}. */
export interface StagingOptions {
  handlers: Handlers;
  stagingDir: string;
  /** The upload engine of the current storage session. */
  engine: () => UploadEngine;
  /** Local paths that upload jobs of any storage session may still read. */
  pathsInUse: () => Promise<Set<string>>;
  logger: Logger;
  /**
   * Event bus of the services. A sweep follows each batch report on it, which also covers
   * batches queued before a restart.
   */
  bus?: EventBus;
  /**
   * Time after the last write into a batch folder at which its files that were never queued
   * count as abandoned (the page was closed while it staged them), in milliseconds.
   */
  abandonAfterMs?: number;
  /** Interval between two sweeps that look for abandoned files, in milliseconds. */
  sweepIntervalMs?: number;
  /** Clock in milliseconds since the epoch; `Date.now` when absent. */
  now?: () => number;
}

/** Handlers for web mode, with control over the staging folder's cleanup. */
export interface StagingHandlers {
  handlers: Handlers;
  /** Deletes every staged file that no job may read again; resolves when done. */
  sweep(): Promise<void>;
  /** Stops the periodic sweep. */
  close(): void;
}

const HOUR_MS = 60 * 60 * 1000;
const DEFAULT_ABANDON_AFTER_MS = HOUR_MS;
const DEFAULT_SWEEP_INTERVAL_MS = 10 * 60 * 1000;

/**
 * Adapts the handlers to web mode: a browser page may queue only files it staged through the
 * host, never an arbitrary local path, and messages name them as the user dropped them.
 *
 * A staged file is deleted once no job of any storage session may read it again: after its batch
 * ends (a batch report on `bus`), after finished jobs are cleared or a job is discarded, and by a
 * sweep every `sweepIntervalMs`. A queued batch's folder gets a marker file, so that a sweep after
 * a restart knows its files were queued. Files that a page staged but never queued, because it
 * was closed or reloaded meanwhile, are deleted once their batch folder has seen no write for
 * `abandonAfterMs`. A sweep starts at once.
 */
export function restrictToStaging(options: StagingOptions): StagingHandlers {
  const { handlers, engine, logger } = options;
  const root = resolve(options.stagingDir);
  const claims: StagingClaims = { queued: new Map(), adding: new Map(), sweep: 0 };

  let sweeping: Promise<void> = Promise.resolve();
  const sweep = (): Promise<void> => {
    sweeping = sweeping
      .then(() =>
        sweepStaging({
          root,
          claims,
          pathsInUse: options.pathsInUse,
          abandonedBefore:
            (options.now ?? Date.now)() - (options.abandonAfterMs ?? DEFAULT_ABANDON_AFTER_MS),
        }),
      )
      .catch((error: unknown) => {
        logger.warn({ err: error, stagingDir: root }, 'removing staged browser files failed');
      });
    return sweeping;
  };
  void sweep();
  const timer = setInterval(
    () => void sweep(),
    options.sweepIntervalMs ?? DEFAULT_SWEEP_INTERVAL_MS,
  );
  timer.unref();
  const unsubscribe = options.bus?.subscribe((event) => {
    if (event === 'uploads.reportWritten') {
      void sweep();
    }
  });

  return {
    handlers: {
      ...handlers,
      'uploads.add': async (request) => {
        const paths = request.sources.map((source) => stagedPath(root, source.path));
        // Marked before the first await, so that no sweep deletes a file while it is queued.
        paths.forEach((path) => claims.adding.set(path, (claims.adding.get(path) ?? 0) + 1));
        const sources = request.sources.map((source, index) => ({
          ...source,
          path: paths[index] as string,
        }));
        const target = engine();
        let added: { batchId: string };
        try {
          added = await target.add(sources, { origin: 'desktop', stagedCopies: true });
          paths.forEach((path) => claims.queued.set(path, claims.sweep));
        } finally {
          paths.forEach((path) => release(claims, path));
        }
        await markQueued(paths, logger);

        const sweepAfter = (): void => void sweep();
        void target.whenBatchDone(added.batchId).then(sweepAfter, sweepAfter);
        return added;
      },
      'uploads.discard': async (request) => {
        const snapshot = await handlers['uploads.discard'](request);
        void sweep();
        return snapshot;
      },
      'uploads.clearFinished': async (request) => {
        const snapshot = await handlers['uploads.clearFinished'](request);
        void sweep();
        return snapshot;
      },
    },
    sweep,
    close: () => {
      clearInterval(timer);
      unsubscribe?.();
    },
  };
}

// Without the marker, a job that finishes after a restart, before the first sweep has seen it in
// use, would leave its file until the batch counts as abandoned.
async function markQueued(paths: string[], logger: Logger): Promise<void> {
  for (const batchDir of new Set(paths.map((path) => dirname(path)))) {
    try {
      await writeFile(join(batchDir, QUEUED_MARKER), '');
    } catch (error) {
      logger.warn({ err: error, batchDir }, 'marking a staged batch as queued failed');
    }
  }
}

// Staged files sit one level down, in their batch's folder: `<root>/<batch>/<file>`.
function stagedPath(root: string, path: string): string {
  const resolved = resolve(path);
  const inside = relative(root, resolved);
  const segments = inside.split(sep);
  if (inside.startsWith('..') || isAbsolute(inside) || segments.length !== 2) {
    throw new CrateboxError(
      'InvalidRequest',
      `web mode uploads only files sent through the page, not ${path}`,
    );
  }
  return resolved;
}

function release(claims: StagingClaims, path: string): void {
  const count = (claims.adding.get(path) ?? 1) - 1;
  if (count > 0) {
    claims.adding.set(path, count);
  } else {
    claims.adding.delete(path);
  }
}
