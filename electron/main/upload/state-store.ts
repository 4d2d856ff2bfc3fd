import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';

import { z } from 'zod';

import type { Logger } from '../log';
import { readJsonFile, writeJsonAtomic } from './atomic-json';

const uploadState = z.enum([
  'queued',
  'preparing',
  'uploading',
  'paused',
  'verifying',
  'done',
  'skipped',
  'conflict',
  'failed',
  'cancelled',
]);
const skipReason = z.enum([
  'unchanged',
  'not-audio',
  'no-audio',
  'empty',
  'truncated',
  'dropbox-file',
  'system-file',
  'conflicted-copy',
  'key-collision',
  'invalid-name',
]);

const storedJobSchema = z.object({
  id: z.string(),
  batchId: z.string(),
  path: z.string(),
  name: z.string(),
  key: z.string().nullable(),
  state: uploadState,
  skipReason: skipReason.nullable(),
  message: z.string().nullable(),
  bytesTotal: z.number(),
  /** Bytes of the file the server has for this job, including parts sent by earlier runs. */
  bytesSent: z.number(),
  /** Request body bytes this job sent over the network, counting only requests that succeeded. */
  wireBytes: z.number(),
  attempts: z.number(),
  resumed: z.boolean(),
  dryRun: z.boolean(),
  /** Whether `path` is a temporary copy that web mode made of a file sent by the browser. */
  stagedCopy: z.boolean().default(false),
  /** Whether the upload replaced, or in a dry run would replace, a different file at the key. */
  replaced: z.boolean().default(false),
  /**
   * Different file at the key that the job may overwrite, as in an HTTP If-Match header: its
   * ETag, `*` for any file, or null when the job stops as a conflict instead.
   */
  overwriteIfMatch: z.string().nullable().default(null),
  /** ETag of the different file found at the key when the job stopped as a conflict. */
  conflictEtag: z.string().nullable().default(null),
});

const storedBatchSchema = z.object({
  id: z.string(),
  origin: z.enum(['desktop', 'cli']),
  root: z.string().nullable(),
  dryRun: z.boolean(),
  startedAt: z.string(),
  jobIds: z.array(z.string()),
  parallelFiles: z.number().nullable(),
  finished: z.boolean(),
});

const queueFileSchema = z.object({
  version: z.literal(1),
  jobs: z.array(storedJobSchema),
  batches: z.array(storedBatchSchema),
});

const uploadRecordSchema = z.object({
  jobId: z.string(),
  key: z.string(),
  file: z.object({ sizeBytes: z.number(), mtimeMs: z.number(), sha256: z.string() }),
  partSizeBytes: z.number(),
  /** Id of the multipart upload; null for a single PUT or before CreateMultipartUpload returned. */
  uploadId: z.string().nullable(),
  /** Whether a CreateMultipartUpload request was sent and its response not yet recorded. */
  createPending: z.boolean(),
  parts: z.array(
    z.object({
      partNumber: z.number(),
      etag: z.string(),
      sizeBytes: z.number(),
      sha256: z.string(),
    }),
  ),
  /** Hex sha256 the key held before this upload began, or null when it held no track. */
  previousSha256: z.string().nullable(),
  /** Whether the key contained another file when this upload began, which the upload replaces. */
  replacing: z.boolean().default(false),
});

/** One file of the upload queue as stored on disk. */
export type StoredJob = z.infer<typeof storedJobSchema>;

/** One batch (a drop, a pick or a migration) as stored on disk. */
export type StoredBatch = z.infer<typeof storedBatchSchema>;

/** Persisted queue: every job and the batches they belong to. */
export type QueueFile = z.infer<typeof queueFileSchema>;

/** State that lets a running or interrupted upload continue after a restart. */
export type UploadRecord = z.infer<typeof uploadRecordSchema>;

/** Returns the local paths that jobs may read again: those of every job not done or skipped. */
export function pathsStillRead(jobs: Iterable<StoredJob>): Set<string> {
  const paths = new Set<string>();
  for (const job of jobs) {
    if (job.state !== 'done' && job.state !== 'skipped') {
      paths.add(job.path);
    }
  }
  return paths;
}

/**
 * Reads the queue saved in `stateDir` without changing the folder, for a process that does not
 * run that queue; returns null when there is none or it is invalid.
 */
export async function readSavedQueue(stateDir: string): Promise<QueueFile | null> {
  let raw: unknown;
  try {
    raw = await readJsonFile(join(stateDir, 'queue.json'));
  } catch {
    return null;
  }
  const parsed = queueFileSchema.safeParse(raw);
  return parsed.success ? parsed.data : null;
}

/** Reads and writes the queue and the per-upload records under one state folder. */
export interface StateStore {
  readonly reportsDir: string;
  loadQueue(): Promise<QueueFile>;
  saveQueue(queue: QueueFile): Promise<void>;
  loadRecord(jobId: string): Promise<UploadRecord | null>;
  saveRecord(record: UploadRecord): Promise<void>;
  deleteRecord(jobId: string): Promise<void>;
}

/** Creates the store for `stateDir`: `queue.json`, `uploads/<job id>.json` and `reports/`. */
export function createStateStore(stateDir: string, logger: Logger): StateStore {
  const queuePath = join(stateDir, 'queue.json');
  const recordsDir = join(stateDir, 'uploads');
  const recordPath = (jobId: string): string => join(recordsDir, `${jobId}.json`);

  return {
    reportsDir: join(stateDir, 'reports'),

    async loadQueue(): Promise<QueueFile> {
      await removeTemporaryFiles(stateDir);
      await removeTemporaryFiles(recordsDir);
      const parsed = queueFileSchema.safeParse(await readJsonFile(queuePath));
      if (parsed.success) {
        return parsed.data;
      }
      if ((await readJsonFile(queuePath)) !== null) {
        logger.error(
          { path: queuePath, issues: parsed.error.issues.slice(0, 3) },
          'upload queue file is invalid; starting with an empty queue',
        );
      }
      return { version: 1, jobs: [], batches: [] };
    },

    async saveQueue(queue: QueueFile): Promise<void> {
      await writeJsonAtomic(queuePath, queue);
    },

    async loadRecord(jobId: string): Promise<UploadRecord | null> {
      const raw = await readJsonFile(recordPath(jobId));
      if (raw === null) {
        return null;
      }
      const parsed = uploadRecordSchema.safeParse(raw);
      if (!parsed.success) {
        logger.warn({ jobId }, 'upload record is invalid; the upload starts over');
        return null;
      }
      return parsed.data;
    },

    async saveRecord(record: UploadRecord): Promise<void> {
      await writeJsonAtomic(recordPath(record.jobId), record);
    },

    async deleteRecord(jobId: string): Promise<void> {
      await rm(recordPath(jobId), { force: true });
    },
  };
}

// A process killed between writing a temporary file and renaming it leaves the file behind.
async function removeTemporaryFiles(folder: string): Promise<void> {
  let names: string[];
  try {
    names = await readdir(folder);
  } catch {
    return;
  }
  const temporary = names.filter((name) => name.endsWith('.tmp'));
  await Promise.all(temporary.map((name) => rm(join(folder, name), { force: true })));
}
