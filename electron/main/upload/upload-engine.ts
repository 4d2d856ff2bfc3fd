import { randomBytes, randomUUID } from 'node:crypto';

import { CrateboxError } from '../../../shared/errors';
import type { MigrationReport, UploadJobView, UploadSnapshot } from '../../../shared/uploads';
import type { AddOptions, UploadEngine, UploadEngineDeps } from './engine-types';
import type { FileJobOutcome } from './file-job';
import { errorText, runJob } from './job-runner';
import { RateMeter } from './progress-math';
import { createQueueState, TERMINAL_STATES } from './queue-state';
import type { JobEntry, RunHandle } from './queue-state';
import { buildReport, readLatestReport, readReport, reportPathIn, writeReport } from './report';
import { DEFAULT_RETRY_POLICY } from './retry-policy';
import { planSources } from './source-walker';
import type { PlannedFile, UploadSource } from './source-walker';
import { createStateStore } from './state-store';
import type { StoredJob } from './state-store';
import { discardUpload } from './upload-object';

// Interval at which running jobs are re-sent to the UI so a stalled rate decays to zero.
const RATE_REFRESH_MS = 1_000;

/**
 * Creates the upload engine and starts the jobs a previous run left unfinished. Jobs run
 * `parallelFiles` at a time in queue order, never two for the same key at once.
 */
export function createUploadEngine(deps: UploadEngineDeps): UploadEngine {
  const now = deps.now ?? Date.now;
  const { logger } = deps;
  const store = createStateStore(deps.stateDir, logger);
  const queue = createQueueState({ store, now, logger, onProgress: deps.onProgress });
  const running = new Set<JobEntry>();
  const reports = new Map<string, MigrationReport>();
  const waiters = new Map<
    string,
    { resolve: (report: MigrationReport) => void; reject: (error: Error) => void }[]
  >();
  let latest: MigrationReport | null = null;
  let closed = false;
  let loaded = false;

  const ticker = setInterval(() => running.forEach((entry) => queue.touch(entry)), RATE_REFRESH_MS);
  ticker.unref();

  const ready = (async (): Promise<void> => {
    queue.load(await store.loadQueue());
    for (const entry of queue.jobs.values()) {
      // Jobs that were running when the last process ended run again; their records keep the parts.
      if (!TERMINAL_STATES.has(entry.stored.state) && entry.stored.state !== 'paused') {
        entry.stored.state = 'queued';
      }
    }
    latest = await readLatestReport(store.reportsDir);
    loaded = true;
    await finishBatches();
    pump();
  })();
  ready.catch((error: unknown) => logger.error({ err: error }, 'loading the upload queue failed'));

  function entryOf(id: string): JobEntry {
    const entry = queue.jobs.get(id);
    if (entry === undefined) {
      throw new CrateboxError('NotFound', `no upload job with id ${id}; it may have been cleared`);
    }
    return entry;
  }

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
    if (closed || !loaded) {
      return;
    }
    const limit = parallelFiles();
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
      if (!run.cancelRequested) {
        await finishBatches();
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
      onChange: () => {
        stored.state = run.pauseRequested ? 'paused' : run.phase;
        queue.changed(entry);
      },
      onWireBytes: (delta) => queue.recordWireBytes(entry, delta),
    });

    if (result.kind === 'finished') {
      await finish(entry, result.outcome);
    } else if (result.kind === 'failed') {
      stored.state = 'failed';
      stored.message = result.message;
    } else if (result.kind === 'paused') {
      stored.state = run.pauseRequested ? 'paused' : 'queued';
    } else if (!run.cancelRequested) {
      // Stopped by close: the job runs again on the next start.
      stored.state = 'queued';
    }
  }

  async function finish(entry: JobEntry, outcome: FileJobOutcome): Promise<void> {
    const stored = entry.stored;
    stored.message = null;
    if (outcome.kind === 'skipped') {
      stored.state = 'skipped';
      stored.skipReason = outcome.reason;
      stored.message = outcome.message;
      return;
    }

    stored.state = 'done';
    if (outcome.kind === 'would-upload') {
      stored.message = 'would be uploaded (dry run)';
      return;
    }

    stored.resumed = outcome.resumed;
    stored.bytesSent = stored.bytesTotal;
    // The done state reaches the disk before the record that would let a restart resume it goes.
    await queue.save();
    await store.deleteRecord(stored.id);
    logger.info(
      { jobId: stored.id, key: stored.key, bytes: stored.bytesTotal },
      'uploaded a track',
    );
    try {
      deps.onUploaded(stored.key ?? '');
    } catch (error) {
      logger.error({ key: stored.key, err: error }, 'the onUploaded listener failed');
    }
  }

  async function finishBatches(): Promise<void> {
    const finishedAt = new Date(now()).toISOString();
    for (const batch of queue.batches.values()) {
      if (batch.finished) {
        continue;
      }
      const entries = batch.jobIds.flatMap((id) => queue.jobs.get(id) ?? []);
      const done = entries.every(
        (entry) => entry.run === null && TERMINAL_STATES.has(entry.stored.state),
      );
      if (!done) {
        continue;
      }

      batch.finished = true;
      const report = buildReport(
        batch,
        entries.map((entry) => entry.stored),
        finishedAt,
      );
      try {
        await writeReport(store.reportsDir, report);
      } catch (error) {
        logger.error({ batchId: batch.id, err: error }, 'writing the upload report failed');
      }
      reports.set(batch.id, report);
      latest = report;
      logger.info({ batchId: batch.id, summary: report.summary }, 'upload batch finished');
      for (const waiter of waiters.get(batch.id) ?? []) {
        waiter.resolve(report);
      }
      waiters.delete(batch.id);
    }
    await queue.save();
  }

  async function cancelJob(entry: JobEntry): Promise<void> {
    const { run, stored } = entry;
    if (run !== null) {
      run.cancelRequested = true;
      run.stop.abort();
      run.inspect.abort();
      await run.finished;
    }

    try {
      const record = await store.loadRecord(stored.id);
      if (record !== null) {
        await discardUpload(
          deps.s3,
          deps.bucket,
          record,
          logger.child({ jobId: stored.id, key: stored.key }),
        );
        await store.deleteRecord(stored.id);
      }
      stored.state = 'cancelled';
      stored.message = null;
    } catch (error) {
      logger.error({ jobId: stored.id, key: stored.key, err: error }, 'cancel could not clean up');
      stored.state = 'failed';
      stored.message = `cancel could not remove the unfinished upload (${errorText(error)}); cancel again when the storage is reachable`;
    }
    logger.info({ jobId: stored.id, key: stored.key }, 'upload cancelled');
    queue.changed(entry);
  }

  function addJobs(files: PlannedFile[], batchId: string, dryRun: boolean): string[] {
    const pending = new Map<string, JobEntry>();
    for (const entry of queue.jobs.values()) {
      if (!TERMINAL_STATES.has(entry.stored.state)) {
        pending.set(jobIdentity(entry.stored.path, entry.stored.key, entry.stored.dryRun), entry);
      }
    }

    return files.map((file) => {
      // A file still queued by an earlier batch (a migration run again after a crash) joins this one.
      const existing = pending.get(jobIdentity(file.path, file.key, dryRun));
      if (existing !== undefined) {
        existing.stored.batchId = batchId;
        queue.changed(existing);
        return existing.stored.id;
      }
      const entry: JobEntry = {
        stored: newJob(file, batchId, dryRun),
        meter: new RateMeter(),
        run: null,
      };
      queue.jobs.set(entry.stored.id, entry);
      queue.changed(entry);
      return entry.stored.id;
    });
  }

  return {
    async add(sources: UploadSource[], options: AddOptions): Promise<{ batchId: string }> {
      await ready;
      if (closed) {
        throw new CrateboxError(
          'Unsupported',
          'the upload engine is closed; restart the app to upload',
        );
      }
      const startedAt = now();
      const batchId = newBatchId(startedAt);
      const dryRun = options.dryRun ?? false;
      const files = await planSources(sources, { root: options.root, logger });
      const jobIds = addJobs(files, batchId, dryRun);
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
      await queue.save();
      logger.info(
        { batchId, files: jobIds.length, origin: options.origin, dryRun, root: options.root },
        'upload batch added',
      );
      await finishBatches();
      pump();
      return { batchId };
    },

    pause(id: string): UploadJobView {
      const entry = entryOf(id);
      const { run, stored } = entry;
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
      pump();
      return queue.view(entry);
    },

    async cancel(id: string): Promise<UploadJobView> {
      const entry = entryOf(id);
      const finished = entry.stored.state === 'done' || entry.stored.state === 'skipped';
      if (entry.run === null && (finished || entry.stored.state === 'cancelled')) {
        return queue.view(entry);
      }
      await cancelJob(entry);
      await finishBatches();
      pump();
      return queue.view(entry);
    },

    retry(id: string): UploadJobView {
      const entry = entryOf(id);
      const { stored } = entry;
      const retryable = stored.state === 'failed' || stored.state === 'cancelled';
      if (entry.run === null && retryable && stored.key !== null) {
        stored.state = 'queued';
        stored.message = null;
        const batch = queue.batches.get(stored.batchId);
        if (batch !== undefined) {
          // The batch report is written again once the retried job ends.
          batch.finished = false;
          reports.delete(batch.id);
        }
        logger.info({ jobId: id, key: stored.key }, 'upload retried');
        queue.changed(entry);
        pump();
      }
      return queue.view(entry);
    },

    snapshot: (): UploadSnapshot => queue.snapshot(),

    clearFinished(): UploadSnapshot {
      for (const entry of [...queue.jobs.values()]) {
        const { state, batchId } = entry.stored;
        const cleared = state === 'done' || state === 'skipped' || state === 'cancelled';
        if (entry.run === null && cleared && queue.batches.get(batchId)?.finished !== false) {
          queue.remove(entry.stored.id);
        }
      }
      for (const batch of [...queue.batches.values()]) {
        if (batch.finished && batch.jobIds.every((id) => !queue.jobs.has(id))) {
          queue.batches.delete(batch.id);
        }
      }
      queue.flushProgress();
      return queue.snapshot();
    },

    async whenBatchDone(batchId: string): Promise<MigrationReport> {
      await ready;
      const known = reports.get(batchId);
      if (known !== undefined) {
        return known;
      }
      const batch = queue.batches.get(batchId);
      if (batch === undefined || batch.finished) {
        const stored = await readReport(store.reportsDir, batchId);
        if (stored === null) {
          throw new CrateboxError('NotFound', `no upload batch with id ${batchId}`);
        }
        return stored;
      }
      if (closed) {
        throw new CrateboxError(
          'Unsupported',
          `the upload engine closed before batch ${batchId} finished`,
        );
      }
      return new Promise((resolve, reject) => {
        waiters.set(batchId, [...(waiters.get(batchId) ?? []), { resolve, reject }]);
      });
    },

    lastReport: (): MigrationReport | null => latest,

    reportPath: (batchId: string): string => reportPathIn(store.reportsDir, batchId),

    async close(): Promise<void> {
      if (closed) {
        return;
      }
      closed = true;
      clearInterval(ticker);
      await ready.catch(() => undefined);
      const runs = [...running].flatMap((entry) => entry.run ?? []);
      for (const run of runs) {
        run.stop.abort();
        run.inspect.abort();
      }
      await Promise.all(runs.map((run) => run.finished));
      await queue.stop();
      for (const [batchId, list] of waiters) {
        const error = new CrateboxError(
          'Unsupported',
          `the upload engine closed before batch ${batchId} finished; it continues on the next start`,
        );
        list.forEach((waiter) => waiter.reject(error));
      }
      waiters.clear();
      logger.info({ interrupted: runs.length }, 'upload engine closed');
    },
  };
}

function newJob(file: PlannedFile, batchId: string, dryRun: boolean): StoredJob {
  const failed = file.error !== null;
  return {
    id: randomUUID(),
    batchId,
    path: file.path,
    name: file.name,
    key: file.key,
    state: file.skip !== null ? 'skipped' : failed ? 'failed' : 'queued',
    skipReason: file.skip?.reason ?? null,
    message: file.skip?.message ?? file.error,
    bytesTotal: file.sizeBytes,
    bytesSent: 0,
    wireBytes: 0,
    attempts: 0,
    resumed: false,
    dryRun,
  };
}

function jobIdentity(path: string, key: string | null, dryRun: boolean): string {
  return `${dryRun ? 'dry' : 'real'}\u0000${path}\u0000${key ?? ''}`;
}

// Batch ids sort by start time, so the newest report is the last file name in `reports/`.
function newBatchId(startedAt: number): string {
  const stamp = new Date(startedAt).toISOString().replace(/[-:.]/g, '');
  return `${stamp}-${randomBytes(3).toString('hex')}`;
}
