/** Stage of one file in the upload queue. */
export type UploadState =
  | 'queued'
  | 'preparing'
  | 'uploading'
  | 'paused'
  | 'verifying'
  | 'done'
  | 'skipped'
  /** Not sent, because its key contains a different file; waits for Replace or Discard. */
  | 'conflict'
  | 'failed'
  | 'cancelled';

/** Reason a file was not uploaded. */
export type SkipReason =
  | 'unchanged'
  | 'not-audio'
  | 'no-audio'
  | 'empty'
  | 'truncated'
  | 'dropbox-file'
  | 'system-file'
  | 'conflicted-copy'
  | 'key-collision'
  /** The file or folder name cannot be part of a key (a control character, over 1024 bytes). */
  | 'invalid-name';

/** View of one file in the upload queue, as the UI shows it. */
export interface UploadJobView {
  id: string;
  batchId: string;
  /** Path relative to the dropped or migrated folder, or the file name. */
  name: string;
  key: string | null;
  state: UploadState;
  skipReason: SkipReason | null;
  /** Failure or skip reason, in words a person can act on. */
  message: string | null;
  bytesTotal: number;
  bytesSent: number;
  /**
   * Bytes of the local file read so far while it is inspected or compared with the stored track
   * before its upload; null when no such read is under way.
   */
  bytesRead: number | null;
  bytesPerSecond: number;
  secondsLeft: number | null;
  attempts: number;
  /** Whether the upload continued a multipart upload left by an earlier run. */
  resumed: boolean;
  /** Whether the upload replaced, or in a dry run would replace, a different file at its key. */
  replaced: boolean;
}

/** Sums over the whole queue. */
export interface UploadTotals {
  files: number;
  active: number;
  done: number;
  skipped: number;
  /** Files not sent because their keys contain different files. */
  conflicts: number;
  failed: number;
  bytesTotal: number;
  bytesSent: number;
  bytesPerSecond: number;
  secondsLeft: number | null;
  /** Files being read before their upload (tags, hashes, peaks), and their progress in bytes. */
  reading: { files: number; bytesRead: number; bytesTotal: number };
}

/** Full state of the upload queue. */
export interface UploadSnapshot {
  jobs: UploadJobView[];
  totals: UploadTotals;
}

/** Unfinished jobs in the queue of a storage target other than the one in use. */
export interface WaitingQueue {
  /** Storage target the jobs wait for, e.g. `S3 bucket music at http://127.0.0.1:9000`. */
  storage: string;
  /** Jobs not yet ended: queued, paused, failed, conflicting or interrupted. */
  files: number;
  /** Names of the first few of those files. */
  names: string[];
}

/** Upload queue of the storage in use, and the unfinished jobs of other storage targets. */
export interface UploadQueueListing extends UploadSnapshot {
  /**
   * Queues of other storage targets with unfinished jobs. Each storage target keeps its own
   * queue, so these jobs resume only when their storage is selected again.
   */
  waitingElsewhere: WaitingQueue[];
}

/** Change to the upload queue: the jobs that changed since the last event, and new totals. */
export interface UploadProgress {
  jobs: UploadJobView[];
  removedIds: string[];
  totals: UploadTotals;
}

/** Result of one file in a migration or upload batch. */
export type ReportOutcome =
  | 'uploaded'
  | 'would-upload'
  /** Uploaded over a different file stored at the same key. */
  | 'replaced'
  | 'would-replace'
  /** Not sent, because the key contains a different file and the user has not chosen to replace it. */
  | 'conflict'
  | 'skipped'
  | 'failed'
  | 'cancelled';

/** One line of a migration report. */
export interface ReportEntry {
  /** Local path of the file that was read; for a file sent by a browser, its staged copy. */
  path: string;
  /**
   * Path relative to the dropped or migrated folder, or the file name, as the user knows it.
   * Absent in reports written before it was recorded.
   */
  name?: string;
  key: string | null;
  outcome: ReportOutcome;
  reason: SkipReason | null;
  message: string | null;
  /** Size of the local file in bytes (0 when it could not be read). */
  bytes: number;
}

/** Machine-readable result of a migration or of one batch of dropped files. */
export interface MigrationReport {
  id: string;
  origin: 'cli' | 'desktop';
  root: string | null;
  dryRun: boolean;
  startedAt: string;
  finishedAt: string;
  summary: {
    /** Files uploaded to a free key; 0 in a dry run. */
    uploaded: number;
    /** Files uploaded over a different file stored at the same key; 0 in a dry run. */
    replaced: number;
    /** Files a dry run would upload to a free key; 0 in other batches. */
    wouldUpload: number;
    /** Files a dry run would upload over a different file at the same key; 0 in other batches. */
    wouldReplace: number;
    /** Files not sent because their keys contain different files (drops and picks only). */
    conflicts: number;
    unchanged: number;
    /** Files skipped as `not-audio` or `no-audio`. */
    skippedNotAudio: number;
    /** Files and folders of the operating system, such as `.DS_Store`, skipped as `system-file`. */
    skippedSystem: number;
    /**
     * Every other skip: empty, truncated, Dropbox files, conflicted copies, key collisions and
     * names that cannot be keys.
     */
    skippedOther: number;
    failed: number;
    cancelled: number;
    /** Request body bytes sent for the batch's files, by this and earlier runs; 0 in a dry run. */
    bytesSent: number;
  };
  entries: ReportEntry[];
}
