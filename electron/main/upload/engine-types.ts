import type { S3Client } from '@aws-sdk/client-s3';

import type { Logger } from '../log';
import type {
  MigrationReport,
  UploadJobView,
  UploadProgress,
  UploadSnapshot,
} from '../../../shared/uploads';
import type { InspectFile } from './inspection';
import type { RetryPolicy } from './retry-policy';
import type { UploadSource } from './source-walker';

/** Upload settings, read again whenever a file starts. */
export interface UploadTuning {
  /** Files uploaded at once. */
  parallelFiles: number;
  /** Parts of one file uploaded at once. */
  parallelParts: number;
  /** Multipart part size in bytes; raised for files that would need more than 10 000 parts. */
  partSizeBytes: number;
}

/** Dependencies of {@link UploadEngine}. */
export interface UploadEngineDeps {
  s3: S3Client;
  bucket: string;
  /** Folder for the persisted queue, the multipart state and `reports/`. */
  stateDir: string;
  options: () => UploadTuning;
  /** Inspects a file; the app passes an inspection pool's `inspect`, which runs in workers. */
  inspect: InspectFile;
  logger: Logger;
  /** Receives changes to the queue, at most five times per second. */
  onProgress: (progress: UploadProgress) => void;
  /** Called once per track object stored, after its peaks. */
  onUploaded: (key: string) => void;
  /** Called with each batch report once it is written. */
  onReport?: (report: MigrationReport) => void;
  /** Clock in milliseconds since the epoch; `Date.now` when absent. */
  now?: () => number;
  retry?: RetryPolicy;
  /**
   * Describes an S3 or network error in words that name the bucket, endpoint or credentials, or
   * returns null to keep the error's own message.
   */
  describeError?: (error: unknown) => string | null;
}

/** Options of {@link UploadEngine.add}. */
export interface AddOptions {
  origin: 'desktop' | 'cli';
  /** Folder that keys are relative to, as in `aws s3 cp --recursive`. */
  root?: string;
  /** Inspect and compare only; report what would be uploaded and send nothing. */
  dryRun?: boolean;
  /**
   * Whether a file replaces a different file stored at its key. A migration sets it, because its
   * folder is the catalogue being moved; otherwise such a file stops as a conflict for the user.
   */
  replaceDifferent?: boolean;
  /** Files uploaded at once while this batch has work, in place of `parallelFiles`. */
  parallelFiles?: number;
  /**
   * Whether the sources are temporary copies whose paths mean nothing to the user (web mode
   * stages the files a browser sends). Messages and reports then name each file by its
   * `relativePath` instead of its path.
   */
  stagedCopies?: boolean;
}

/** Upload queue of the main process, shared by drag-and-drop, the file picker and the CLI. */
export interface UploadEngine {
  /** Walks the sources, queues every file found and returns the id of the new batch. */
  add(sources: UploadSource[], options: AddOptions): Promise<{ batchId: string }>;
  /**
   * Pauses a queued or running job: parts in flight finish and stay on the server. A file sent
   * in one PUT, or one being verified, finishes instead.
   */
  pause(id: string): UploadJobView;
  /** Queues a paused job again. */
  resume(id: string): UploadJobView;
  /** Stops a job and removes what it stored: no object and no pending multipart upload remain. */
  cancel(id: string): Promise<UploadJobView>;
  /**
   * Queues a failed, cancelled or conflicting job again; it continues from the parts the server
   * has. With `replace`, a conflicting job may overwrite the file found at its key, unless that
   * file changes before the upload.
   */
  retry(id: string, options?: { replace?: boolean }): UploadJobView;
  /**
   * Removes a job from the queue. One that has not ended is cancelled first, and the unfinished
   * upload of any job is deleted; when that fails, the job stays and the call rejects.
   */
  discard(id: string): Promise<UploadSnapshot>;
  /** Returns the queue as it is now; empty until the saved queue is loaded (see `whenLoaded`). */
  snapshot(): UploadSnapshot;
  /** Resolves once the queue saved by an earlier run is loaded. */
  whenLoaded(): Promise<void>;
  /** Removes done, skipped and cancelled jobs whose batch has finished. */
  clearFinished(): UploadSnapshot;
  /** Resolves with the report of a batch once every job in it has finished. */
  whenBatchDone(batchId: string): Promise<MigrationReport>;
  lastReport(): MigrationReport | null;
  /** Returns the local paths that queued, running, paused, failed or cancelled jobs may still read. */
  pathsInUse(): Promise<Set<string>>;
  /** Returns the path the report of a batch is written to. */
  reportPath(batchId: string): string;
  /** Stops every job without cleaning up; pending work resumes when an engine starts again. */
  close(): Promise<void>;
}
