import { setTimeout as sleep } from 'node:timers/promises';

import type { S3Client } from '@aws-sdk/client-s3';

import type { Logger } from '../log';
import type { UploadTuning } from './engine-types';
import { FileChangedError, runFileJob } from './file-job';
import type { FileJobOutcome } from './file-job';
import type { InspectFile } from './inspection';
import type { JobEntry, RunHandle } from './queue-state';
import { UploadPausedError } from './resumable-client';
import { UploadGoneError } from './upload-object';
import { backoffDelayMs, isRetryableError } from './retry-policy';
import type { RetryPolicy } from './retry-policy';
import type { StateStore } from './state-store';
import type { ReleaseSlot } from './upload-slots';

/** Outcome of a run of a job. */
export type RunResult =
  | { kind: 'finished'; outcome: FileJobOutcome }
  | { kind: 'failed'; message: string }
  | { kind: 'paused' }
  /** Cancelled, or interrupted by close; the engine decides what the job becomes. */
  | { kind: 'stopped' };

/** Dependencies of {@link runJob} besides the job. */
export interface RunContext {
  s3: S3Client;
  bucket: string;
  inspect: InspectFile;
  store: StateStore;
  logger: Logger;
  tuning: UploadTuning;
  retry: RetryPolicy;
  /** Waits for one of the slots that limit how many files upload at once. */
  uploadSlot(signal: AbortSignal): Promise<ReleaseSlot>;
  /** Describes an S3 or network error for the job's message, or returns null. */
  describeError(error: unknown): string | null;
  /** Called whenever the job's fields change. */
  onChange(): void;
  /** Called when `run.bytesRead` changed; nothing that needs saving changed with it. */
  onReadProgress(): void;
  onWireBytes(delta: number): void;
}

/**
 * Runs a job until it finishes, fails for good, is paused or is stopped. Network errors, 5xx
 * responses, throttling and BadDigest are retried up to `retry.maxAttempts` times with exponential
 * backoff and jitter; each attempt keeps the parts the server already has.
 *
 * While an attempt reads the file, the job's `bytesSent` is the size of the parts its upload record
 * lists. It counts from zero once the upload starts, where kept parts count again as they are
 * matched. When the run pauses, fails or is stopped by close, it returns to the recorded parts,
 * because parts that were in flight then are not stored.
 */
export async function runJob(
  entry: JobEntry,
  run: RunHandle,
  context: RunContext,
): Promise<RunResult> {
  const result = await runAttempts(entry, run, context);
  if (result.kind !== 'finished' && !run.cancelRequested) {
    entry.stored.bytesSent = await recordedBytes(context, entry.stored.id);
    context.onChange();
  }
  return result;
}

async function runAttempts(
  entry: JobEntry,
  run: RunHandle,
  context: RunContext,
): Promise<RunResult> {
  const { stored } = entry;
  const key = stored.key;
  if (key === null) {
    return { kind: 'failed', message: stored.message ?? 'the file has no key' };
  }

  for (let attempt = 1; ; attempt += 1) {
    stored.attempts += 1;
    stored.bytesSent = await recordedBytes(context, stored.id);
    context.onChange();
    try {
      const outcome = await runFileJob({
        s3: context.s3,
        bucket: context.bucket,
        inspect: context.inspect,
        store: context.store,
        logger: context.logger.child({ jobId: stored.id, key }),
        job: {
          id: stored.id,
          path: stored.path,
          key,
          dryRun: stored.dryRun,
          overwriteIfMatch: stored.overwriteIfMatch,
        },
        tuning: context.tuning,
        inspectSignal: run.inspect.signal,
        uploadSlot: context.uploadSlot,
        hooks: {
          signal: run.stop.signal,
          isPaused: () => run.pauseRequested,
          onWireBytes: context.onWireBytes,
          onPartStored: (sizeBytes, reused) => {
            if (reused) {
              stored.bytesSent += sizeBytes;
              context.onChange();
            }
          },
        },
        onPhase: (phase) => {
          run.phase = phase;
          if (phase === 'uploading') {
            stored.bytesSent = 0;
          }
          context.onChange();
        },
        onReadProgress: (bytesRead) => {
          run.bytesRead = bytesRead;
          context.onReadProgress();
        },
      });
      return { kind: 'finished', outcome };
    } catch (error) {
      if (run.cancelRequested || run.stop.signal.aborted) {
        return { kind: 'stopped' };
      }
      if (run.pauseRequested || error instanceof UploadPausedError) {
        return { kind: 'paused' };
      }
      if (run.inspect.signal.aborted) {
        // The inspection was stopped for a pause that was taken back: run again at once.
        run.inspect = new AbortController();
        attempt -= 1;
        continue;
      }

      const retryable =
        isRetryableError(error) ||
        error instanceof FileChangedError ||
        error instanceof UploadGoneError;
      if (!retryable || attempt >= context.retry.maxAttempts) {
        const message = describeFailure(
          context.describeError(error) ?? errorText(error),
          retryable ? attempt : null,
        );
        context.logger.error(
          { jobId: stored.id, key, problem: message, err: error },
          'upload failed',
        );
        return { kind: 'failed', message };
      }

      const delay = backoffDelayMs(attempt, context.retry);
      context.logger.warn(
        { jobId: stored.id, key, attempt, delayMs: delay, err: error },
        'upload attempt failed; retrying',
      );
      const reason = context.describeError(error) ?? errorText(error);
      stored.message = `attempt ${attempt} failed (${reason}); retrying in ${Math.ceil(delay / 1000)} s`;
      context.onChange();
      try {
        await sleep(delay, undefined, {
          signal: AbortSignal.any([run.stop.signal, run.inspect.signal]),
        });
      } catch {
        // Woken early by a pause, a cancel or close; the checks below tell which.
      }
      if (run.stop.signal.aborted) {
        return { kind: 'stopped' };
      }
      if (run.pauseRequested) {
        return { kind: 'paused' };
      }
      if (run.inspect.signal.aborted) {
        run.inspect = new AbortController();
      }
    }
  }
}

// Bytes of the parts that the job's upload record lists as stored on the server.
async function recordedBytes(context: RunContext, jobId: string): Promise<number> {
  try {
    const record = await context.store.loadRecord(jobId);
    return record?.parts.reduce((sum, part) => sum + part.sizeBytes, 0) ?? 0;
  } catch (error) {
    context.logger.warn({ jobId, err: error }, 'could not read the upload record');
    return 0;
  }
}

function describeFailure(text: string, attempts: number | null): string {
  if (attempts === null) {
    return text;
  }
  return `${text} (gave up after ${attempts} attempts; retry when the storage is reachable again)`;
}

/** Returns an error's name and message as one line, e.g. `SlowDown: Please reduce your request rate`. */
export function errorText(error: unknown): string {
  if (!(error instanceof Error)) {
    return String(error);
  }
  const code = 'code' in error && typeof error.code === 'string' ? ` (${error.code})` : '';
  const generic = error.name === 'Error' || error.message.startsWith(error.name);
  return `${generic ? '' : `${error.name}: `}${error.message}${code}`;
}
