import { randomBytes } from 'node:crypto';

import { CrateboxError } from '../../../shared/errors';
import type { MigrationReport, UploadJobView, UploadSnapshot } from '../../../shared/uploads';
import { createBatchTracker } from './batch-tracker';
import type { AddOptions, UploadEngine, UploadEngineDeps } from './engine-types';
import { createJobScheduler } from './job-scheduler';
import { createQueueState, TERMINAL_STATES } from './queue-state';
import type { JobEntry } from './queue-state';
import { reportPathIn } from './report';
import { planSources } from './source-walker';
import type { UploadSource } from './source-walker';
import { createStateStore, pathsStillRead } from './state-store';

/**
 * Creates the upload engine: loads the queue persisted under `stateDir` and starts the jobs a
 * previous run left unfinished, continuing their multipart uploads.
 */
export function createUploadEngine(deps: UploadEngineDeps): UploadEngine {
  const now = deps.now ?? Date.now;
  const { logger } = deps;
  const store = createStateStore(deps.stateDir, logger);
  const queue = createQueueState({ store, now, logger, onProgress: deps.onProgress });
  const batches = createBatchTracker({
    queue,
    reportsDir: store.reportsDir,
    logger,
    now,
    onReport: deps.onReport,
  });
  const scheduler = createJobScheduler(deps, { queue, store, batches });
  let closed = false;

  const ready = (async (): Promise<void> => {
    queue.load(await store.loadQueue());
    for (const entry of queue.jobs.values()) {
      // Jobs that were running when the last process ended run again; their records keep the parts.
      if (!TERMINAL_STATES.has(entry.stored.state) && entry.stored.state !== 'paused') {
        entry.stored.state = 'queued';
      }
    }
    await batches.load();
    await batches.finishReady();
    scheduler.pump();
  })();
  ready.catch((error: unknown) => logger.error({ err: error }, 'loading the upload queue failed'));

  function entryOf(id: string): JobEntry {
    const entry = queue.jobs.get(id);
    if (entry === undefined) {
      throw new CrateboxError('NotFound', `no upload job with id ${id}; it may have been cleared`);
    }
    return entry;
  }

  // A finished batch with no job left in the queue has nothing more to show or report.
  function forgetEndedBatches(): void {
    for (const batch of [...queue.batches.values()]) {
      if (batch.finished && batch.jobIds.every((jobId) => !queue.jobs.has(jobId))) {
        queue.batches.delete(batch.id);
      }
    }
  }

  function closedError(): CrateboxError {
    return new CrateboxError(
      'Unsupported',
      'the upload engine is closed; start the app again to upload',
    );
  }

  return {
    async add(sources: UploadSource[], options: AddOptions): Promise<{ batchId: string }> {
      await ready;
      if (closed) {
        throw closedError();
      }
      const startedAt = now();
      const batchId = newBatchId(startedAt);
      const dryRun = options.dryRun ?? false;
      const stagedCopies = options.stagedCopies ?? false;
      const files = await planSources(sources, { root: options.root, stagedCopies, logger });
      const jobIds = queue.addFiles(files, batchId, {
        dryRun,
        stagedCopies,
        replaceDifferent: options.replaceDifferent ?? false,
      });
      queue.batches.set(batchId, {
        id: batchId,
        origin: options.origin,
        root: options.root ?? null,
        dryRun,
        startedAt: new Date(startedAt).toISOString(),
        jobIds,
        parallelFiles: options.parallelFiles ?? null,
        finished: false,
      });
      logger.info(
        { batchId, files: jobIds.length, origin: options.origin, dryRun, root: options.root },
        'upload batch added',
      );
      await batches.finishReady();
      scheduler.pump();
      return { batchId };
    },

    pause(id: string): UploadJobView {
      const entry = entryOf(id);
      const { run, stored } = entry;
      // A job that is verifying has sent everything, so it is left to finish.
      if (run !== null && !run.cancelRequested && run.phase !== 'verifying') {
        run.pauseRequested = true;
        run.inspect.abort();
        stored.state = 'paused';
      } else if (run === null && stored.state === 'queued') {
        stored.state = 'paused';
      }
      logger.info({ jobId: id, key: stored.key }, 'upload paused');
      queue.changed(entry);
      return queue.view(entry);
    },

    resume(id: string): UploadJobView {
      const entry = entryOf(id);
      const { run, stored } = entry;
      if (run !== null && run.pauseRequested) {
        run.pauseRequested = false;
        stored.state = run.phase;
      } else if (run === null && stored.state === 'paused') {
        stored.state = 'queued';
      }
      logger.info({ jobId: id, key: stored.key }, 'upload resumed');
      queue.changed(entry);
      scheduler.pump();
      return queue.view(entry);
    },

    async cancel(id: string): Promise<UploadJobView> {
      const entry = entryOf(id);
      const { state } = entry.stored;
      const ended = state === 'done' || state === 'skipped' || state === 'cancelled';
      if (entry.run === null && ended) {
        return queue.view(entry);
      }
      await scheduler.cancel(entry);
      await batches.finishReady();
      scheduler.pump();
      return queue.view(entry);
    },

    retry(id: string, options: { replace?: boolean } = {}): UploadJobView {
      const entry = entryOf(id);
      const { stored } = entry;
      const retryable =
        stored.state === 'failed' || stored.state === 'cancelled' || stored.state === 'conflict';
      if (entry.run === null && retryable && stored.key !== null && !closed) {
        const replace = options.replace === true && stored.state === 'conflict';
        if (replace) {
          // Pinned to the file the user saw, so a file stored since then stops the job again.
          stored.overwriteIfMatch = stored.conflictEtag ?? '*';
        }
        stored.state = 'queued';
        stored.message = null;
        // The batch report is written again once the retried job ends.
        batches.reopen(stored.batchId);
        logger.info({ jobId: id, key: stored.key, replace }, 'upload retried');
        queue.changed(entry);
        scheduler.pump();
      }
      return queue.view(entry);
    },

    async discard(id: string): Promise<UploadSnapshot> {
      const entry = entryOf(id);
      const { state } = entry.stored;
      if (entry.run !== null || (state !== 'done' && state !== 'skipped')) {
        // Cancelling deletes the multipart upload and the record that a failed job may hold.
        await scheduler.cancel(entry);
        if (entry.stored.state === 'failed') {
          throw new CrateboxError(
            'StorageUnavailable',
            `${entry.stored.name} stays in the queue because its unfinished upload could not be deleted; discard it again when the storage is reachable`,
          );
        }
      }

      queue.remove(id);
      forgetEndedBatches();
      logger.info({ jobId: id, key: entry.stored.key }, 'upload discarded');
      await batches.finishReady();
      scheduler.pump();
      queue.flushProgress();
      return queue.snapshot();
    },

    snapshot: (): UploadSnapshot => queue.snapshot(),

    whenLoaded: (): Promise<void> => ready,

    clearFinished(): UploadSnapshot {
      for (const entry of [...queue.jobs.values()]) {
        const { state, batchId } = entry.stored;
        const ended = state === 'done' || state === 'skipped' || state === 'cancelled';
        // Failed jobs stay, because they may hold a multipart upload that a retry or a cancel
        // needs. Conflicts stay until the user replaces or discards them.
        if (entry.run === null && ended && queue.batches.get(batchId)?.finished !== false) {
          queue.remove(entry.stored.id);
        }
      }
      forgetEndedBatches();
      queue.flushProgress();
      return queue.snapshot();
    },

    async whenBatchDone(batchId: string): Promise<MigrationReport> {
      await ready;
      const batch = queue.batches.get(batchId);
      if (closed && batch !== undefined && !batch.finished) {
        throw new CrateboxError(
          'Unsupported',
          `the upload engine closed before batch ${batchId} finished`,
        );
      }
      return batches.whenDone(batchId);
    },

    lastReport: (): MigrationReport | null => batches.latest(),

    async pathsInUse(): Promise<Set<string>> {
      await ready;
      return pathsStillRead([...queue.jobs.values()].map((entry) => entry.stored));
    },

    reportPath: (batchId: string): string => reportPathIn(store.reportsDir, batchId),

    async close(): Promise<void> {
      if (closed) {
        return;
      }
      closed = true;
      await ready.catch(() => undefined);
      const interrupted = await scheduler.stopAll();
      await queue.stop();
      batches.rejectWaiters();
      logger.info({ interrupted }, 'upload engine closed');
    },
  };
}

// Batch ids sort by start time, so the newest report is the last file name in `reports/`.
function newBatchId(startedAt: number): string {
  const stamp = new Date(startedAt).toISOString().replace(/[-:.]/g, '');
  return `${stamp}-${randomBytes(3).toString('hex')}`;
}
