import { watch } from 'node:fs';
import type { FSWatcher } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';

import type { MigrationReport } from '../../../shared/uploads';
import type { Logger } from '../log';
import { readLatestReport } from './report';

/** Options of {@link watchUploadState}. */
export interface UploadStateWatchOptions {
  /** State folder of the queue to watch, with `queue.json` and `reports/`. */
  stateDir: string;
  /** Receives each report written after the watch started. */
  onReport(report: MigrationReport): void;
  /** Called while the queue is being saved, at most once per `queueIntervalMs`. */
  onQueueSaved(): void;
  logger: Logger;
  /** Quiet time after the last change in `reports/` before it is read, in milliseconds. */
  reportDelayMs?: number;
  /** Minimum time between two `onQueueSaved` calls, in milliseconds. */
  queueIntervalMs?: number;
}

/** A running watch; `close` stops it. */
export interface UploadStateWatch {
  close(): void;
}

const DEFAULT_REPORT_DELAY_MS = 250;
const DEFAULT_QUEUE_INTERVAL_MS = 3_000;

/**
 * Watches the upload state folder of another process, such as a `cratebox migrate` run beside
 * the app, with `fs.watch`. A new report in `reports/` is read once writes there have paused,
 * and saves of `queue.json` (one per finished file, or more) are passed on at a limited rate.
 * Creates the folders when missing, because only an existing folder can be watched.
 */
export async function watchUploadState(
  options: UploadStateWatchOptions,
): Promise<UploadStateWatch> {
  const { stateDir, logger } = options;
  const reportsDir = join(stateDir, 'reports');
  await mkdir(reportsDir, { recursive: true });
  let latest = await readLatestReport(reportsDir).catch(() => null);
  let closed = false;

  const readReports = async (): Promise<void> => {
    const report = await readLatestReport(reportsDir);
    const isNew =
      report !== null &&
      (latest === null || report.id !== latest.id || report.finishedAt !== latest.finishedAt);
    if (isNew && !closed) {
      latest = report;
      options.onReport(report);
    }
  };
  const reportChanged = debounce(options.reportDelayMs ?? DEFAULT_REPORT_DELAY_MS, () => {
    readReports().catch((error: unknown) =>
      logger.warn({ err: error, reportsDir }, 'reading a new upload report failed'),
    );
  });
  const queueSaved = throttle(
    options.queueIntervalMs ?? DEFAULT_QUEUE_INTERVAL_MS,
    options.onQueueSaved,
  );

  const watchers: FSWatcher[] = [];
  try {
    watchers.push(watch(reportsDir, { persistent: false }, () => reportChanged.call()));
    // queue.json is replaced by a rename. A watch on the folder reports it, a watch on the file
    // would not.
    watchers.push(
      watch(stateDir, { persistent: false }, (_event, name) => {
        if (name === null || name === 'queue.json') {
          queueSaved.call();
        }
      }),
    );
  } catch (error) {
    // fs.watch throws, e.g. with ENOSPC when Linux has no inotify watch left.
    watchers.forEach((watcher) => watcher.close());
    throw error;
  }
  for (const watcher of watchers) {
    watcher.on('error', (error) => {
      logger.warn({ err: error, stateDir }, 'watching the upload state folder stopped');
      watcher.close();
    });
  }

  return {
    close(): void {
      closed = true;
      watchers.forEach((watcher) => watcher.close());
      reportChanged.cancel();
      queueSaved.cancel();
    },
  };
}

interface Scheduled {
  call(): void;
  cancel(): void;
}

// Runs `action` once calls have paused for `delayMs`.
function debounce(delayMs: number, action: () => void): Scheduled {
  let timer: NodeJS.Timeout | undefined;
  return {
    call(): void {
      clearTimeout(timer);
      timer = setTimeout(action, delayMs);
      timer.unref();
    },
    cancel: () => clearTimeout(timer),
  };
}

// Runs `action` at once, then at most once per `intervalMs`, and once more after the last call.
function throttle(intervalMs: number, action: () => void): Scheduled {
  let timer: NodeJS.Timeout | undefined;
  let pending = false;
  const release = (): void => {
    timer = undefined;
    if (pending) {
      pending = false;
      action();
      timer = setTimeout(release, intervalMs);
      timer.unref();
    }
  };
  return {
    call(): void {
      if (timer !== undefined) {
        pending = true;
        return;
      }
      action();
      timer = setTimeout(release, intervalMs);
      timer.unref();
    },
    cancel(): void {
      clearTimeout(timer);
      pending = false;
    },
  };
}
