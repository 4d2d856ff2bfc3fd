import type { UploadJobView, UploadProgress, UploadTotals } from '../../../shared/uploads';

/** Minimum time between two progress events, in milliseconds (at most five per second). */
export const PROGRESS_INTERVAL_MS = 200;

/** Source of the current state of the queue, read when an event is sent. */
export interface ProgressSource {
  view(id: string): UploadJobView | null;
  totals(): UploadTotals;
}

/** Collects changed and removed jobs and sends them as one throttled {@link UploadProgress}. */
export interface ProgressEmitter {
  changed(id: string): void;
  removed(id: string): void;
  /** Sends what is pending now, without waiting for the interval. */
  flush(): void;
  stop(): void;
}

/**
 * Creates an emitter that calls `send` at most once per {@link PROGRESS_INTERVAL_MS}, apart from
 * explicit {@link ProgressEmitter.flush} calls.
 */
export function createProgressEmitter(
  source: ProgressSource,
  send: (progress: UploadProgress) => void,
): ProgressEmitter {
  const changedIds = new Set<string>();
  const removedIds = new Set<string>();
  let timer: NodeJS.Timeout | null = null;
  let stopped = false;

  function schedule(): void {
    if (timer === null && !stopped) {
      timer = setTimeout(flush, PROGRESS_INTERVAL_MS);
      timer.unref();
    }
  }

  function flush(): void {
    if (timer !== null) {
      clearTimeout(timer);
      timer = null;
    }
    if (changedIds.size === 0 && removedIds.size === 0) {
      return;
    }

    const jobs: UploadJobView[] = [];
    for (const id of changedIds) {
      const view = source.view(id);
      if (view !== null) {
        jobs.push(view);
      }
    }
    const progress: UploadProgress = { jobs, removedIds: [...removedIds], totals: source.totals() };
    changedIds.clear();
    removedIds.clear();
    send(progress);
  }

  return {
    changed(id: string): void {
      changedIds.add(id);
      schedule();
    },
    removed(id: string): void {
      changedIds.delete(id);
      removedIds.add(id);
      schedule();
    },
    flush,
    stop(): void {
      flush();
      stopped = true;
    },
  };
}
