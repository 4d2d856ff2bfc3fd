import { CrateboxError } from '../../../shared/errors';
import type { Logger } from '../log';
import type { MigrationReport } from '../../../shared/uploads';
import type { QueueState } from './queue-state';
import { TERMINAL_STATES } from './queue-state';
import { buildReport, readLatestReport, readReport, writeReport } from './report';

interface Waiter {
  resolve: (report: MigrationReport) => void;
  reject: (error: Error) => void;
}

/** Finishes batches whose jobs have all ended, writes their reports and wakes their waiters. */
export interface BatchTracker {
  /** Reads the newest report on disk, for {@link BatchTracker.latest} after a restart. */
  load(): Promise<void>;
  /** Finishes every batch whose jobs have all ended, and saves the queue when one finished. */
  finishReady(): Promise<void>;
  /** Resolves with a batch's report once it has finished. */
  whenDone(batchId: string): Promise<MigrationReport>;
  /** Marks a finished batch unfinished again because one of its jobs was retried. */
  reopen(batchId: string): void;
  latest(): MigrationReport | null;
  /** Rejects every waiter, because the engine closed before their batches finished. */
  rejectWaiters(): void;
}

/** Creates the tracker over the queue's batches; reports go to `reportsDir`. */
export function createBatchTracker(deps: {
  queue: QueueState;
  reportsDir: string;
  logger: Logger;
  now: () => number;
  onReport?: (report: MigrationReport) => void;
}): BatchTracker {
  const { queue, logger } = deps;
  const reports = new Map<string, MigrationReport>();
  const waiters = new Map<string, Waiter[]>();
  let latest: MigrationReport | null = null;

  function hasEnded(jobId: string): boolean {
    const entry = queue.jobs.get(jobId);
    return entry === undefined || (entry.run === null && TERMINAL_STATES.has(entry.stored.state));
  }

  // Jobs end roughly in queue order, so a scan from the end finds an unfinished one at once.
  function allEnded(jobIds: readonly string[]): boolean {
    for (let index = jobIds.length - 1; index >= 0; index -= 1) {
      if (!hasEnded(jobIds[index] ?? '')) {
        return false;
      }
    }
    return true;
  }

  async function finish(batchId: string): Promise<void> {
    const batch = queue.batches.get(batchId);
    if (batch === undefined) {
      return;
    }
    // Marked before the first await, so a concurrent call cannot finish the batch twice.
    batch.finished = true;
    const entries = batch.jobIds.flatMap((id) => queue.jobs.get(id) ?? []);
    const finishedAt = new Date(deps.now()).toISOString();
    const report = buildReport(
      batch,
      entries.map((entry) => entry.stored),
      finishedAt,
    );
    try {
      await writeReport(deps.reportsDir, report);
    } catch (error) {
      logger.error({ batchId, err: error }, 'writing the upload report failed');
    }

    reports.set(batchId, report);
    latest = report;
    logger.info({ batchId, summary: report.summary }, 'upload batch finished');
    try {
      deps.onReport?.(report);
    } catch (error) {
      logger.error({ batchId, err: error }, 'the onReport listener failed');
    }
    for (const waiter of waiters.get(batchId) ?? []) {
      waiter.resolve(report);
    }
    waiters.delete(batchId);
  }

  return {
    async load(): Promise<void> {
      latest = await readLatestReport(deps.reportsDir);
    },

    async finishReady(): Promise<void> {
      const ready = [...queue.batches.values()].filter(
        (batch) => !batch.finished && allEnded(batch.jobIds),
      );
      for (const batch of ready) {
        await finish(batch.id);
      }
      if (ready.length > 0) {
        await queue.save();
      }
    },

    async whenDone(batchId: string): Promise<MigrationReport> {
      const known = reports.get(batchId);
      if (known !== undefined) {
        return known;
      }
      const batch = queue.batches.get(batchId);
      if (batch === undefined || batch.finished) {
        const stored = await readReport(deps.reportsDir, batchId);
        if (stored === null) {
          throw new CrateboxError('NotFound', `no upload batch with id ${batchId}`);
        }
        return stored;
      }
      return new Promise((resolve, reject) => {
        waiters.set(batchId, [...(waiters.get(batchId) ?? []), { resolve, reject }]);
      });
    },

    reopen(batchId: string): void {
      const batch = queue.batches.get(batchId);
      if (batch !== undefined) {
        batch.finished = false;
        reports.delete(batchId);
      }
    },

    latest: () => latest,

    rejectWaiters(): void {
      for (const [batchId, list] of waiters) {
        const error = new CrateboxError(
          'Unsupported',
          `the upload engine closed before batch ${batchId} finished; it continues on the next start`,
        );
        list.forEach((waiter) => waiter.reject(error));
      }
      waiters.clear();
    },
  };
}
