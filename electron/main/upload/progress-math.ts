import type { UploadJobView, UploadTotals } from '../../../shared/uploads';

/** Default width of the moving window over which transfer rates are averaged, in milliseconds. */
export const RATE_WINDOW_MS = 5_000;

/**
 * Moving average of a transfer rate: bytes recorded in the last `windowMs` milliseconds divided
 * by the window, or by the time since the first record while that is shorter.
 */
export class RateMeter {
  private readonly samples: { time: number; bytes: number }[] = [];
  private startedAt: number | null = null;

  constructor(private readonly windowMs: number = RATE_WINDOW_MS) {}

  /** Records `bytes` transferred at time `now` (milliseconds); negative values undo a failed send. */
  record(bytes: number, now: number): void {
    if (this.startedAt === null) {
      this.startedAt = now;
    }
    this.samples.push({ time: now, bytes });
    this.prune(now);
  }

  /** Returns the average rate in bytes per second over the window that ends at `now`. */
  bytesPerSecond(now: number): number {
    this.prune(now);
    if (this.startedAt === null) {
      return 0;
    }

    // The first record carries bytes sent before it, so a young meter divides by at least 1 s.
    const span = Math.min(this.windowMs, Math.max(now - this.startedAt, 1_000));
    const bytes = this.samples.reduce((sum, sample) => sum + sample.bytes, 0);
    return Math.max(0, (bytes * 1_000) / span);
  }

  private prune(now: number): void {
    const oldest = now - this.windowMs;
    while (this.samples.length > 0 && (this.samples[0]?.time ?? now) <= oldest) {
      this.samples.shift();
    }
  }
}

/** Returns the whole seconds left to send `remainingBytes` at `bytesPerSecond`; null when stalled. */
export function secondsLeft(remainingBytes: number, bytesPerSecond: number): number | null {
  if (remainingBytes <= 0) {
    return 0;
  }
  if (bytesPerSecond <= 0) {
    return null;
  }
  return Math.ceil(remainingBytes / bytesPerSecond);
}

/**
 * Sums the queue. Byte totals cover files that are or will be uploaded (not skipped, conflicting,
 * failed, cancelled or only checked in a dry run), so `bytesSent` reaches `bytesTotal` when all
 * are done.
 */
export function computeTotals(
  jobs: readonly UploadJobView[],
  bytesPerSecond: number,
  isDryRun: (job: UploadJobView) => boolean,
): UploadTotals {
  const totals: UploadTotals = {
    files: jobs.length,
    active: 0,
    done: 0,
    skipped: 0,
    conflicts: 0,
    failed: 0,
    bytesTotal: 0,
    bytesSent: 0,
    bytesPerSecond,
    secondsLeft: null,
    reading: { files: 0, bytesRead: 0, bytesTotal: 0 },
  };

  for (const job of jobs) {
    if (job.state === 'preparing' || job.state === 'uploading' || job.state === 'verifying') {
      totals.active += 1;
    } else if (job.state === 'done') {
      totals.done += 1;
    } else if (job.state === 'skipped') {
      totals.skipped += 1;
    } else if (job.state === 'conflict') {
      totals.conflicts += 1;
    } else if (job.state === 'failed') {
      totals.failed += 1;
    }

    if (job.bytesRead !== null) {
      totals.reading.files += 1;
      totals.reading.bytesRead += Math.min(job.bytesRead, job.bytesTotal);
      totals.reading.bytesTotal += job.bytesTotal;
    }

    const counted =
      job.state !== 'skipped' &&
      job.state !== 'conflict' &&
      job.state !== 'failed' &&
      job.state !== 'cancelled';
    if (counted && !isDryRun(job)) {
      totals.bytesTotal += job.bytesTotal;
      totals.bytesSent += Math.min(job.bytesSent, job.bytesTotal);
    }
  }

  totals.secondsLeft = secondsLeft(totals.bytesTotal - totals.bytesSent, bytesPerSecond);
  return totals;
}
