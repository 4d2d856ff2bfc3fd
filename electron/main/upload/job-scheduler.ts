import type { BatchTracker } from './batch-tracker';
import type { UploadEngineDeps } from './engine-types';
import type { FileJobOutcome } from './file-job';
import { errorText, runJob } from './job-runner';
import { RateMeter } from './progress-math';
import type { JobEntry, QueueState, RunHandle } from './queue-state';
import { DEFAULT_RETRY_POLICY } from './retry-policy';
import type { StateStore } from './state-store';
import { discardUpload } from './multipart-ops';
import { createUploadSlots } from './upload-slots';

// Interval at which running jobs are sent to the UI again, so that a stalled rate decays to zero.
const RATE_REFRESH_MS = 1_000;

/** Jobs that may compare and inspect their files beyond the parallel-files limit. */
export const DEFAULT_PREPARE_AHEAD = 2;

/** Starts queued jobs, records how they end, and stops them on cancel and close. */
export interface JobScheduler {
  /** Starts queued jobs up to the parallel-files limit. */
  pump(): void;
  /** Stops a job if it runs, then removes its multipart upload and any object it stored. */
  cancel(entry: JobEntry): Promise<void>;
  /** Stops every running job without cleaning up, so they continue on the next start. */
  stopAll(): Promise<number>;
}

/**
 * Creates the scheduler. Jobs start in queue order, never two for the same key at once. Up to
 * `parallelFiles` of them upload at a time, and a batch's `parallelFiles` overrides the setting
 * while it has work. Meanwhile `prepareAhead` more jobs may compare and inspect their files, so a
 * freed upload slot gets a file that is ready to send.
 */
export function createJobScheduler(
  deps: UploadEngineDeps,
  parts: { queue: QueueState; store: StateStore; batches: BatchTracker },
): JobScheduler {
  const { queue, store, batches } = parts;
  const { logger } = deps;
  const running = new Set<JobEntry>();
  const slots = createUploadSlots(parallelFiles);
  const prepareAhead = Math.max(0, deps.prepareAhead ?? DEFAULT_PREPARE_AHEAD);
  let stopped = false;

  const ticker = setInterval(() => running.forEach((entry) => queue.touch(entry)), RATE_REFRESH_MS);
  ticker.unref();

  function parallelFiles(): number {
    let override: number | null = null;
    for (const batch of queue.batches.values()) {
      if (!batch.finished && batch.parallelFiles !== null) {
        override = batch.parallelFiles;
      }
    }
    return Math.max(1, override ?? deps.options().parallelFiles);
  }

  function pump(): void {
    if (stopped) {
      return;
    }
    slots.grant();
    const limit = parallelFiles() + prepareAhead;
    const busyKeys = new Set([...running].map((entry) => entry.stored.key));
    for (const entry of queue.jobs.values()) {
      if (running.size >= limit) {
        break;
      }
      const { state, key } = entry.stored;
      if (state === 'queued' && entry.run === null && !busyKeys.has(key)) {
        busyKeys.add(key);
        start(entry);
      }
    }
  }

  function start(entry: JobEntry): void {
    const run: RunHandle = {
      stop: new AbortController(),
      inspect: new AbortController(),
      pauseRequested: false,
      cancelRequested: false,
      phase: 'preparing',
      bytesRead: null,
      finished: Promise.resolve(),
    };
    entry.run = run;
    entry.meter = new RateMeter();
    running.add(entry);

    run.finished = (async (): Promise<void> => {
      try {
        await execute(entry, run);
      } catch (error) {
        logger.error({ jobId: entry.stored.id, err: error }, 'upload job crashed');
        entry.stored.state = 'failed';
        entry.stored.message = errorText(error);
      } finally {
        entry.run = null;
        running.delete(entry);
      }
      queue.changed(entry);
      // A cancelled job is not finished until cancel() has cleaned up after it.
      if (!run.cancelRequested) {
        await batches.finishReady();
      }
      pump();
    })();
  }

  async function execute(entry: JobEntry, run: RunHandle): Promise<void> {
    const stored = entry.stored;
    const result = await runJob(entry, run, {
      s3: deps.s3,
      bucket: deps.bucket,
      inspect: deps.inspect,
      store,
      logger,
      tuning: deps.options(),
      retry: deps.retry ?? DEFAULT_RETRY_POLICY,
      uploadSlot: slots.acquire,
      describeError: deps.describeError ?? (() => null),
      onChange: () => {
        stored.state = run.pauseRequested ? 'paused' : run.phase;
        queue.changed(entry);
      },
      onReadProgress: () => queue.touch(entry),
      onWireBytes: (delta) => queue.recordWireBytes(entry, delta),
    });

    if (result.kind === 'finished') {
      await finish(entry, result.outcome);
    } else if (result.kind === 'failed') {
      stored.state = 'failed';
      stored.message = result.message;
    } else if (result.kind === 'paused') {
      // A pause that was taken back while the run was stopping queues the job again.
      stored.state = run.pauseRequested ? 'paused' : 'queued';
    } else if (!run.cancelRequested) {
      // Stopped by close: the job runs again on the next start, unless it was paused meanwhile.
      stored.state = run.pauseRequested ? 'paused' : 'queued';
    }
  }

  async function finish(entry: JobEntry, outcome: FileJobOutcome): Promise<void> {
    const stored = entry.stored;
    stored.message = null;
    stored.replaced = false;
    if (outcome.kind === 'skipped') {
      stored.state = 'skipped';
      stored.skipReason = outcome.reason;
      stored.message = outcome.message;
      return;
    }
    if (outcome.kind === 'conflict') {
      stored.state = 'conflict';
      stored.message = outcome.message;
      stored.conflictEtag = outcome.etag;
      logger.info(
        { jobId: stored.id, key: stored.key },
        'upload stopped: the key contains a different file',
      );
      return;
    }

    stored.state = 'done';
    stored.replaced = outcome.replaced;
    if (outcome.kind === 'would-upload') {
      stored.message = outcome.replaced
        ? `would replace the different file stored as ${stored.key ?? ''} (dry run)`
        : 'would be uploaded (dry run)';
      return;
    }

    stored.resumed = outcome.resumed;
    stored.bytesSent = stored.bytesTotal;
    queue.deleteRecordAfterSave(stored.id);
    logger.info(
      { jobId: stored.id, key: stored.key, bytes: stored.bytesTotal, replaced: outcome.replaced },
      'uploaded a track',
    );
    try {
      deps.onUploaded(stored.key ?? '');
    } catch (error) {
      logger.error({ key: stored.key, err: error }, 'the onUploaded listener failed');
    }
  }

  return {
    pump,

    async cancel(entry: JobEntry): Promise<void> {
      const { run, stored } = entry;
      if (run !== null) {
        run.cancelRequested = true;
        run.stop.abort();
        run.inspect.abort();
        await run.finished;
      }

      const jobLogger = logger.child({ jobId: stored.id, key: stored.key });
      try {
        const record = await store.loadRecord(stored.id);
        if (record !== null) {
          await discardUpload(deps.s3, deps.bucket, record, jobLogger);
          await store.deleteRecord(stored.id);
        }
        stored.state = 'cancelled';
        stored.message = null;
        jobLogger.info('upload cancelled');
      } catch (error) {
        jobLogger.error({ err: error }, 'cancel could not clean up');
        stored.state = 'failed';
        stored.message = `cancel could not remove the unfinished upload (${errorText(error)}); cancel again when the storage is reachable`;
      }
      queue.changed(entry);
    },

    async stopAll(): Promise<number> {
      stopped = true;
      clearInterval(ticker);
      const runs = [...running].flatMap((entry) => entry.run ?? []);
      for (const run of runs) {
        run.stop.abort();
        run.inspect.abort();
      }
      await Promise.all(runs.map((run) => run.finished));
      return runs.length;
    },
  };
}
