import { stat } from 'node:fs/promises';

import { HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';

import { encodeTrackMetadata, peaksKeyFor } from '../library/track-metadata';
import type { Logger } from '../log';
import type { SkipReason } from '../../../shared/uploads';
import type { UploadTuning } from './engine-types';
import type { AudioInspection, InspectFile } from './inspection';
import type { UploadSessionHooks } from './resumable-client';
import { UploadPausedError } from './resumable-client';
import type { StateStore, UploadRecord } from './state-store';
import { discardUpload, errorName, headTrack } from './multipart-ops';
import type { StoredTrack } from './multipart-ops';
import { hasSameBytes } from './same-bytes';
import { uploadObject } from './upload-object';
import type { ReleaseSlot } from './upload-slots';

/** S3 limits: parts of at least 5 MiB, at most 10 000 parts per upload. */
const MIN_PART_BYTES = 5 * 1024 * 1024;
const MAX_PARTS = 10_000;
const MIB = 1024 * 1024;

/** The local file changed while it was being read; a later attempt reads it again. */
export class FileChangedError extends Error {
  override readonly name = 'FileChangedError';
}

/**
 * Outcome of one run of a job. `replaced` is true when the key contained a different file, which
 * the upload replaced or, in a dry run, would replace.
 */
export type FileJobOutcome =
  | { kind: 'uploaded'; resumed: boolean; replaced: boolean }
  | { kind: 'would-upload'; replaced: boolean }
  | { kind: 'skipped'; reason: SkipReason; message: string }
  /** The key contains a different file that the job may not overwrite; `etag` identifies it. */
  | { kind: 'conflict'; message: string; etag: string | null };

/** Everything {@link runFileJob} needs. */
export interface FileJobInput {
  s3: S3Client;
  bucket: string;
  inspect: InspectFile;
  store: StateStore;
  logger: Logger;
  job: {
    id: string;
    path: string;
    key: string;
    dryRun: boolean;
    /** Different file at the key that the job may overwrite: its ETag, `*` for any, or null. */
    overwriteIfMatch: string | null;
  };
  tuning: UploadTuning;
  /** Aborted when the job is paused, cancelled or the engine closes. */
  inspectSignal: AbortSignal;
  /** Waits for one of the slots that limit how many files upload at once. */
  uploadSlot(signal: AbortSignal): Promise<ReleaseSlot>;
  hooks: Omit<
    UploadSessionHooks,
    'record' | 'serverParts' | 'localPartSha256' | 'saveRecord' | 'logger'
  >;
  onPhase(phase: 'preparing' | 'uploading' | 'verifying'): void;
  /** Receives the bytes read while the file is hashed or inspected, and null when a read ends. */
  onReadProgress(bytesRead: number | null): void;
}

/**
 * Runs one file: inspects it, skips it when S3 already has the same bytes, stops it when the key
 * contains a different file it may not overwrite, else uploads it (continuing an interrupted
 * upload), verifies it and stores its peaks.
 */
export async function runFileJob(input: FileJobInput): Promise<FileJobOutcome> {
  const { s3, bucket, store, logger, job } = input;
  input.onPhase('preparing');
  let record = await store.loadRecord(job.id);
  const before = await statFile(job.path);
  const partSizeBytes =
    record?.partSizeBytes ?? choosePartSize(before.size, input.tuning.partSizeBytes);

  // Checked before the inspection, which costs far more than hashing (it decodes the audio).
  const stored = await headTrack(s3, bucket, job.key);
  const unchanged = await reading(input, (onProgress) =>
    hasSameBytes(job.path, before.size, stored, partSizeBytes, input.inspectSignal, onProgress),
  );
  if (unchanged) {
    await checkUnchanged(job.path, before.size, before.mtimeMs);
    if (!job.dryRun) {
      await restorePeaks(input, stored, partSizeBytes);
    }
    if (record !== null) {
      // The upload completed before the last run could record it.
      await store.deleteRecord(job.id);
      return { kind: 'uploaded', resumed: true, replaced: record.replacing };
    }
    return {
      kind: 'skipped',
      reason: 'unchanged',
      message: `S3 already has this file at ${job.key} (same size and SHA-256)`,
    };
  }
  if (input.hooks.isPaused()) {
    throw new UploadPausedError();
  }

  const inspection = await reading(input, (onProgress) =>
    input.inspect(job.path, {
      partSizeBytes,
      signal: input.inspectSignal,
      logger,
      onProgress,
      priority: before.size,
    }),
  );
  if (input.hooks.isPaused()) {
    throw new UploadPausedError();
  }
  if (inspection.kind === 'rejected') {
    await forgetRecord(input, record);
    return { kind: 'skipped', reason: inspection.reason, message: inspection.message };
  }
  await checkUnchanged(job.path, before.size, before.mtimeMs);

  const file = {
    sizeBytes: inspection.sizeBytes,
    mtimeMs: before.mtimeMs,
    sha256: inspection.sha256,
  };
  if (record !== null && !sameFile(record.file, file)) {
    logger.info('the file changed since its upload was interrupted; starting over');
    await forgetRecord(input, record);
    record = null;
  }
  // The HEAD request above found the key's file, so this check costs no request. A record of an
  // interrupted upload stays, and Replace continues from its parts.
  if (stored !== null && !mayOverwrite(job.overwriteIfMatch, stored)) {
    return { kind: 'conflict', message: conflictMessage(job.key, stored), etag: stored.etag };
  }
  if (job.dryRun) {
    return { kind: 'would-upload', replaced: stored !== null };
  }

  const current: UploadRecord = record ?? {
    jobId: job.id,
    key: job.key,
    file,
    partSizeBytes,
    uploadId: null,
    createPending: false,
    parts: [],
    previousSha256: stored?.sha256 ?? null,
    replacing: false,
  };
  current.replacing = stored !== null;
  await store.saveRecord(current);

  // The file was compared, inspected and recorded without a slot, so it is sent once one is free.
  const release = await input.uploadSlot(
    AbortSignal.any([input.hooks.signal, input.inspectSignal]),
  );
  try {
    input.onPhase('uploading');
    const { resumed } = await uploadObject({
      s3,
      bucket,
      path: job.path,
      record: current,
      sha256: inspection.sha256,
      partSha256: inspection.partSha256,
      contentType: inspection.contentType,
      metadata: encodeTrackMetadata({
        title: inspection.tags.title,
        artist: inspection.tags.artist,
        album: inspection.tags.album,
        trackNumber: inspection.tags.trackNumber,
        durationSeconds: inspection.durationSeconds,
        sha256: inspection.sha256,
        peaksKey: inspection.peaks === null ? null : peaksKeyFor(inspection.sha256),
      }),
      parallelParts: input.tuning.parallelParts,
      hooks: { ...input.hooks, saveRecord: serialized(() => store.saveRecord(current)) },
      onVerifying: () => input.onPhase('verifying'),
      logger,
    });
    await storePeaks(input, inspection);
    return { kind: 'uploaded', resumed, replaced: stored !== null };
  } finally {
    release();
  }
}

/** Returns the part size for a file: the setting, raised so the file fits in 10 000 parts. */
export function choosePartSize(sizeBytes: number, configuredBytes: number): number {
  const needed = Math.ceil(sizeBytes / MAX_PARTS / MIB) * MIB;
  return Math.max(configuredBytes, MIN_PART_BYTES, needed);
}

function mayOverwrite(ifMatch: string | null, stored: StoredTrack): boolean {
  return ifMatch === '*' || (ifMatch !== null && ifMatch === stored.etag);
}

function conflictMessage(key: string, stored: StoredTrack): string {
  const choice = 'Replace overwrites it, Discard keeps it';
  if (stored.sha256 === null) {
    return `${key} already contains a file that Cratebox did not upload, so it cannot compare the two; ${choice}`;
  }
  return `a different recording is already stored as ${key}; ${choice}`;
}

// A track whose peaks object went missing gets it back; only then is the file inspected.
async function restorePeaks(
  input: FileJobInput,
  stored: StoredTrack | null,
  partSizeBytes: number,
): Promise<void> {
  const peaksKey = stored?.metadata.peaksKey ?? null;
  if (peaksKey === null || (await objectExists(input.s3, input.bucket, peaksKey))) {
    return;
  }
  const inspection = await reading(input, (onProgress) =>
    input.inspect(input.job.path, {
      partSizeBytes,
      signal: input.inspectSignal,
      logger: input.logger,
      onProgress,
    }),
  );
  if (inspection.kind === 'audio') {
    await storePeaks(input, inspection);
  }
}

// Reports a read of the file from its first progress on, and its end however it ends.
async function reading<T>(
  input: FileJobInput,
  read: (onProgress: (bytesRead: number) => void) => Promise<T>,
): Promise<T> {
  try {
    return await read((bytesRead) => input.onReadProgress(bytesRead));
  } finally {
    input.onReadProgress(null);
  }
}

async function storePeaks(input: FileJobInput, inspection: AudioInspection): Promise<void> {
  if (inspection.peaks === null) {
    return;
  }
  await input.s3.send(
    new PutObjectCommand({
      Bucket: input.bucket,
      Key: peaksKeyFor(inspection.sha256),
      Body: JSON.stringify(inspection.peaks),
      ContentType: 'application/json',
    }),
  );
}

async function objectExists(s3: S3Client, bucket: string, key: string): Promise<boolean> {
  try {
    await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    return true;
  } catch (error) {
    if (errorName(error) === 'NotFound' || errorName(error) === 'NoSuchKey') {
      return false;
    }
    throw error;
  }
}

async function forgetRecord(input: FileJobInput, record: UploadRecord | null): Promise<void> {
  if (record === null) {
    return;
  }
  await discardUpload(input.s3, input.bucket, record, input.logger);
  await input.store.deleteRecord(record.jobId);
}

// Parts finish concurrently; chained writes keep an older record from replacing a newer one.
function serialized(write: () => Promise<void>): () => Promise<void> {
  let last: Promise<void> = Promise.resolve();
  return () => {
    last = last.then(write, write);
    return last;
  };
}

function sameFile(a: UploadRecord['file'], b: UploadRecord['file']): boolean {
  return a.sizeBytes === b.sizeBytes && a.mtimeMs === b.mtimeMs && a.sha256 === b.sha256;
}

async function statFile(path: string): Promise<{ size: number; mtimeMs: number }> {
  try {
    return await stat(path);
  } catch (error) {
    throw new Error(
      `cannot read ${path}: ${errorText(error)}; it was moved or deleted after it was queued`,
    );
  }
}

async function checkUnchanged(path: string, sizeBytes: number, mtimeMs: number): Promise<void> {
  const after = await statFile(path);
  if (after.size !== sizeBytes || after.mtimeMs !== mtimeMs) {
    throw new FileChangedError(`${path} changed while it was being read; it is read again`);
  }
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
