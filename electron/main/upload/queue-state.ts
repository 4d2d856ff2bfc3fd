import { randomUUID } from 'node:crypto';

import type { Logger } from '../log';
import type {
  UploadJobView,
  UploadProgress,
  UploadSnapshot,
  UploadState,
  UploadTotals,
} from '../../../shared/uploads';
import { textForUser } from './job-text';
import { createProgressEmitter } from './progress-emitter';
import { computeTotals, RateMeter, secondsLeft } from './progress-math';
import type { PlannedFile } from './source-walker';
import type { QueueFile, StateStore, StoredBatch, StoredJob } from './state-store';

/** Phase of a running job, shown unless a pause was requested. */
export type RunPhase = 'queued' | 'preparing' | 'uploading' | 'verifying';

/** Controls of a job that is running. */
export interface RunHandle {
  /** Aborted on cancel and on close: stops requests and inspection. */
  stop: AbortController;
  /** Aborted on pause, cancel and close: stops the inspection, which is cheap to repeat. */
  inspect: AbortController;
  pauseRequested: boolean;
  cancelRequested: boolean;
  phase: RunPhase;
  /** Bytes of the file read by the hashing or inspection under way; null when none is. */
  bytesRead: number | null;
  /** Settles when the run has ended and none of its requests is in flight. */
  finished: Promise<void>;
}

/** A job of the queue: its stored fields and what exists only while the engine runs. */
export interface JobEntry {
  stored: StoredJob;
  meter: RateMeter;
  run: RunHandle | null;
}

/** States after which a job does nothing more until it is retried. */
export const TERMINAL_STATES: ReadonlySet<UploadState> = new Set([
  'done',
  'skipped',
  'conflict',
  'failed',
  'cancelled',
]);

/** Settings of the jobs that {@link QueueState.addFiles} adds. */
export interface NewJobOptions {
  dryRun: boolean;
  stagedCopies: boolean;
  /** Whether the jobs overwrite a different file at their keys instead of stopping as conflicts. */
  replaceDifferent: boolean;
}

/** In-memory queue with its views, progress events and persistence. */
export interface QueueState {
  readonly jobs: Map<string, JobEntry>;
  readonly batches: Map<string, StoredBatch>;
  load(file: QueueFile): void;
  /**
   * Adds a job per planned file and returns their ids. A file still pending from an earlier batch
   * (a migration started again after a crash) moves to this batch instead of being added twice.
   */
  addFiles(files: readonly PlannedFile[], batchId: string, options: NewJobOptions): string[];
  view(entry: JobEntry): UploadJobView;
  snapshot(): UploadSnapshot;
  /** Marks a job as changed for the next progress event and the next save. */
  changed(entry: JobEntry): void;
  /** Marks a job for the next progress event only, e.g. because its rate changed. */
  touch(entry: JobEntry): void;
  remove(id: string): void;
  /** Records request body bytes of a job (negative to take back a failed attempt). */
  recordWireBytes(entry: JobEntry, delta: number): void;
  /** Saves the queue soon; several changes in a row are written once. */
  scheduleSave(): void;
  /**
   * Deletes a finished job's upload record once a saved queue shows the job done, so that a
   * restart in between still finds one of the two and reports the upload.
   */
  deleteRecordAfterSave(jobId: string): void;
  /** Saves the queue now and waits for the write. */
  save(): Promise<void>;
  flushProgress(): void;
  stop(): Promise<void>;
}

const SAVE_DELAY_MS = 250;

/** Creates the queue state over `store`, sending progress to `onProgress`. */
export function createQueueState(deps: {
  store: StateStore;
  now: () => number;
  logger: Logger;
  onProgress: (progress: UploadProgress) => void;
}): QueueState {
  const jobs = new Map<string, JobEntry>();
  const batches = new Map<string, StoredBatch>();
  const totalMeter = new RateMeter();
  let saveTimer: NodeJS.Timeout | null = null;
  const recordsToDelete = new Set<string>();
  let saving: Promise<void> = Promise.resolve();

  function view(entry: JobEntry): UploadJobView {
    const { stored, run } = entry;
    const rate = run === null ? 0 : entry.meter.bytesPerSecond(deps.now());
    const active = run !== null && !run.pauseRequested;
    return {
      id: stored.id,
      batchId: stored.batchId,
      name: stored.name,
      key: stored.key,
      state: stored.state,
      skipReason: stored.skipReason,
      message: textForUser(stored, stored.message),
      bytesTotal: stored.bytesTotal,
      bytesSent: stored.bytesSent,
      bytesRead: run?.bytesRead ?? null,
      bytesPerSecond: rate,
      secondsLeft: active ? secondsLeft(stored.bytesTotal - stored.bytesSent, rate) : null,
      attempts: stored.attempts,
      resumed: stored.resumed,
      replaced: stored.replaced,
    };
  }

  function totals(): UploadTotals {
    const views = [...jobs.values()].map(view);
    const dryRunIds = new Set(
      [...jobs.values()].filter((entry) => entry.stored.dryRun).map((entry) => entry.stored.id),
    );
    return computeTotals(views, totalMeter.bytesPerSecond(deps.now()), (job) =>
      dryRunIds.has(job.id),
    );
  }

  const emitter = createProgressEmitter(
    {
      view: (id) => {
        const entry = jobs.get(id);
        return entry === undefined ? null : view(entry);
      },
      totals,
    },
    deps.onProgress,
  );

  async function write(): Promise<void> {
    const deletable = [...recordsToDelete];
    const file: QueueFile = {
      version: 1,
      jobs: [...jobs.values()].map((entry) => entry.stored),
      batches: [...batches.values()],
    };
    try {
      await deps.store.saveQueue(file);
    } catch (error) {
      deps.logger.error({ err: error }, 'saving the upload queue failed');
      return;
    }
    for (const jobId of deletable) {
      await deps.store.deleteRecord(jobId);
      recordsToDelete.delete(jobId);
    }
  }

  function save(): Promise<void> {
    if (saveTimer !== null) {
      clearTimeout(saveTimer);
      saveTimer = null;
    }
    // Writes run one after another so an older queue never replaces a newer one.
    saving = saving.then(write);
    return saving;
  }

  return {
    jobs,
    batches,
    load(file: QueueFile): void {
      for (const stored of file.jobs) {
        jobs.set(stored.id, { stored, meter: new RateMeter(), run: null });
      }
      for (const batch of file.batches) {
        batches.set(batch.id, batch);
      }
    },
    addFiles(files: readonly PlannedFile[], batchId: string, options: NewJobOptions): string[] {
      const { dryRun } = options;
      const pending = new Map<string, JobEntry>();
      for (const entry of jobs.values()) {
        if (!TERMINAL_STATES.has(entry.stored.state)) {
          const { path, key } = entry.stored;
          pending.set(jobIdentity(path, key, entry.stored.dryRun), entry);
        }
      }

      return files.map((file) => {
        const existing = pending.get(jobIdentity(file.path, file.key, dryRun));
        if (existing !== undefined) {
          existing.stored.batchId = batchId;
          this.changed(existing);
          return existing.stored.id;
        }
        const entry: JobEntry = {
          stored: newJob(file, batchId, options),
          meter: new RateMeter(),
          run: null,
        };
        jobs.set(entry.stored.id, entry);
        this.changed(entry);
        return entry.stored.id;
      });
    },
    view,
    snapshot(): UploadSnapshot {
      return { jobs: [...jobs.values()].map(view), totals: totals() };
    },
    changed(entry: JobEntry): void {
      emitter.changed(entry.stored.id);
      this.scheduleSave();
    },
    touch(entry: JobEntry): void {
      emitter.changed(entry.stored.id);
    },
    remove(id: string): void {
      jobs.delete(id);
      emitter.removed(id);
      this.scheduleSave();
    },
    recordWireBytes(entry: JobEntry, delta: number): void {
      const now = deps.now();
      entry.meter.record(delta, now);
      totalMeter.record(delta, now);
      entry.stored.wireBytes += delta;
      entry.stored.bytesSent += delta;
      emitter.changed(entry.stored.id);
    },
    scheduleSave(): void {
      if (saveTimer === null) {
        saveTimer = setTimeout(() => void save(), SAVE_DELAY_MS);
        saveTimer.unref();
      }
    },
    deleteRecordAfterSave(jobId: string): void {
      recordsToDelete.add(jobId);
      this.scheduleSave();
    },
    save,
    flushProgress: () => emitter.flush(),
    async stop(): Promise<void> {
      emitter.stop();
      await save();
    },
  };
}

function newJob(file: PlannedFile, batchId: string, options: NewJobOptions): StoredJob {
  let state: StoredJob['state'] = 'queued';
  if (file.skip !== null) {
    state = 'skipped';
  } else if (file.error !== null) {
    state = 'failed';
  }
  return {
    id: randomUUID(),
    batchId,
    path: file.path,
    name: file.name,
    key: file.key,
    state,
    skipReason: file.skip?.reason ?? null,
    message: file.skip?.message ?? file.error,
    bytesTotal: file.sizeBytes,
    bytesSent: 0,
    wireBytes: 0,
    attempts: 0,
    resumed: false,
    dryRun: options.dryRun,
    stagedCopy: options.stagedCopies,
    replaced: false,
    overwriteIfMatch: options.replaceDifferent ? '*' : null,
    conflictEtag: null,
  };
}

function jobIdentity(path: string, key: string | null, dryRun: boolean): string {
  return `${dryRun ? 'dry' : 'real'}\u0000${path}\u0000${key ?? ''}`;
}
