import { createReadStream } from 'node:fs';

import {
  AbortMultipartUploadCommand,
  DeleteObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListPartsCommand,
} from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';

import { decodeTrackMetadata } from '../library/track-metadata';
import type { TrackMetadata } from '../library/track-metadata';
import type { Logger } from '../log';
import { checksumMatches, localChecksums } from './checksums';
import { createUploadSession } from './resumable-client';
import type { ServerPart, UploadSessionHooks } from './resumable-client';
import type { UploadRecord } from './state-store';

/** The checksum S3 reports for an upload differs from the local file's. */
export class IntegrityError extends Error {
  override readonly name = 'IntegrityError';
}

/** Everything {@link uploadObject} needs for one file. */
export interface UploadObjectInput {
  s3: S3Client;
  bucket: string;
  path: string;
  record: UploadRecord;
  sha256: string;
  partSha256: readonly string[];
  contentType: string;
  metadata: Record<string, string>;
  parallelParts: number;
  hooks: Omit<UploadSessionHooks, 'record' | 'serverParts' | 'localPartSha256'>;
  onVerifying(): void;
  logger: Logger;
}

/** What happened in {@link uploadObject}. */
export interface UploadObjectResult {
  /** Whether parts stored by an earlier run were kept instead of sent again. */
  resumed: boolean;
}

/**
 * Uploads one file with lib-storage, continuing the multipart upload in `record` when the server
 * still has it, then checks the size and the SHA-256 checksum S3 reports against the local file.
 * A mismatch deletes the object and throws {@link IntegrityError}.
 */
export async function uploadObject(input: UploadObjectInput): Promise<UploadObjectResult> {
  const { s3, bucket, record, logger } = input;
  const serverParts = await partsToKeep(input);
  let keptParts = 0;
  const session = createUploadSession(s3, {
    ...input.hooks,
    onPartStored: (sizeBytes, reused) => {
      keptParts += reused ? 1 : 0;
      input.hooks.onPartStored(sizeBytes, reused);
    },
    record,
    serverParts,
    localPartSha256: input.partSha256,
  });

  const body = createReadStream(input.path, { highWaterMark: 1024 * 1024 });
  const upload = new Upload({
    client: session.client,
    params: {
      Bucket: bucket,
      Key: record.key,
      Body: body,
      ContentLength: record.file.sizeBytes,
      ContentType: input.contentType,
      Metadata: input.metadata,
      ChecksumAlgorithm: 'SHA256',
    },
    queueSize: input.parallelParts,
    partSize: record.partSizeBytes,
    // Parts stay on the server after a failure so that a retry or a restart can keep them.
    leavePartsOnError: true,
  });
  const onCancel = (): void => void upload.abort();
  input.hooks.signal.addEventListener('abort', onCancel);

  let reported: string | undefined;
  try {
    const result = await upload.done();
    reported = result.ChecksumSHA256;
  } finally {
    input.hooks.signal.removeEventListener('abort', onCancel);
    body.destroy();
    await session.drain();
  }

  input.onVerifying();
  await verifyObject(input, reported);
  if (keptParts > 0) {
    logger.info({ keptParts, listedParts: serverParts.size }, 'continued an interrupted upload');
  }
  return { resumed: keptParts > 0 };
}

// Parts of the persisted upload that may be kept. A gone upload (completed, aborted or expired)
// is forgotten, so lib-storage starts a new one.
async function partsToKeep(input: UploadObjectInput): Promise<Map<number, ServerPart>> {
  const { s3, bucket, record, logger } = input;
  if (record.uploadId === null) {
    if (record.createPending) {
      await abortPendingUploads(s3, bucket, record.key, logger);
      record.createPending = false;
    }
    return new Map();
  }

  const listed = await listServerParts(s3, bucket, record.key, record.uploadId);
  if (listed === null) {
    logger.warn('the interrupted multipart upload is gone; starting over');
    record.uploadId = null;
    record.parts = [];
    return new Map();
  }

  // Servers that list no part checksums (moto 5) get the SHA-256 this engine recorded for a part
  // with the same ETag; the final checksum comparison catches any mismatch.
  const recorded = new Map(record.parts.map((part) => [part.partNumber, part]));
  for (const [partNumber, part] of listed) {
    if (part.sha256 === null) {
      const mine = recorded.get(partNumber);
      part.sha256 = mine !== undefined && mine.etag === part.etag ? mine.sha256 : null;
    }
  }
  return listed;
}

/** Lists the parts of a multipart upload; returns null when the upload no longer exists. */
export async function listServerParts(
  s3: S3Client,
  bucket: string,
  key: string,
  uploadId: string,
): Promise<Map<number, ServerPart> | null> {
  const parts = new Map<number, ServerPart>();
  let marker: string | undefined;
  try {
    do {
      const page = await s3.send(
        new ListPartsCommand({
          Bucket: bucket,
          Key: key,
          UploadId: uploadId,
          PartNumberMarker: marker,
        }),
      );
      for (const part of page.Parts ?? []) {
        if (part.PartNumber !== undefined && part.ETag !== undefined && part.Size !== undefined) {
          parts.set(part.PartNumber, {
            etag: part.ETag,
            sizeBytes: part.Size,
            sha256: part.ChecksumSHA256 ?? null,
          });
        }
      }
      marker = page.IsTruncated === true ? page.NextPartNumberMarker : undefined;
    } while (marker !== undefined);
  } catch (error) {
    if (errorName(error) === 'NoSuchUpload') {
      return null;
    }
    throw error;
  }
  return parts;
}

/** Aborts every pending multipart upload of exactly `key`; `logger` should name the key. */
export async function abortPendingUploads(
  s3: S3Client,
  bucket: string,
  key: string,
  logger: Logger,
): Promise<number> {
  let aborted = 0;
  let keyMarker: string | undefined;
  let uploadIdMarker: string | undefined;
  do {
    const page = await s3.send(
      new ListMultipartUploadsCommand({
        Bucket: bucket,
        Prefix: key,
        KeyMarker: keyMarker,
        UploadIdMarker: uploadIdMarker,
      }),
    );
    for (const upload of page.Uploads ?? []) {
      if (upload.Key === key && upload.UploadId !== undefined) {
        await abortUpload(s3, bucket, key, upload.UploadId);
        aborted += 1;
      }
    }
    const more = page.IsTruncated === true;
    keyMarker = more ? page.NextKeyMarker : undefined;
    uploadIdMarker = more ? page.NextUploadIdMarker : undefined;
  } while (keyMarker !== undefined);

  if (aborted > 0) {
    logger.info({ aborted }, 'aborted pending multipart uploads');
  }
  return aborted;
}

/**
 * Removes what an unfinished upload stored: its multipart upload, any other pending upload of
 * the key, and the object when it holds this upload's bytes (a PUT or a completion that finished
 * while the job was being cancelled).
 */
export async function discardUpload(
  s3: S3Client,
  bucket: string,
  record: UploadRecord,
  logger: Logger,
): Promise<void> {
  if (record.uploadId !== null) {
    await abortUpload(s3, bucket, record.key, record.uploadId);
  }
  await abortPendingUploads(s3, bucket, record.key, logger);

  const head = await headTrack(s3, bucket, record.key);
  const stored = head !== null && head.sha256 === record.file.sha256;
  if (stored && record.previousSha256 !== record.file.sha256) {
    await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: record.key }));
    logger.info('deleted the object of a cancelled upload');
  }
}

/** Size and content hash of a stored track object. */
export interface StoredTrack {
  sizeBytes: number;
  /** Hex sha256 from the track metadata; null for objects stored by other tools. */
  sha256: string | null;
  /** Checksum S3 reports (ChecksumMode ENABLED); null when the server has none. */
  checksumSha256: string | null;
  metadata: TrackMetadata;
}

/** Reads a track object's size, metadata and checksum; returns null when the key is free. */
export async function headTrack(
  s3: S3Client,
  bucket: string,
  key: string,
): Promise<StoredTrack | null> {
  try {
    const head = await s3.send(
      new HeadObjectCommand({ Bucket: bucket, Key: key, ChecksumMode: 'ENABLED' }),
    );
    const metadata = decodeTrackMetadata(head.Metadata);
    return {
      sizeBytes: head.ContentLength ?? -1,
      sha256: metadata.sha256,
      checksumSha256: head.ChecksumSHA256 ?? null,
      metadata,
    };
  } catch (error) {
    if (errorName(error) === 'NotFound' || errorName(error) === 'NoSuchKey') {
      return null;
    }
    throw error;
  }
}

async function verifyObject(input: UploadObjectInput, reported: string | undefined): Promise<void> {
  const { s3, bucket, record, logger } = input;
  const head = await headTrack(s3, bucket, record.key);
  const local = localChecksums(input.sha256, input.partSha256);
  const checksum = reported ?? head?.checksumSha256 ?? null;

  let problem: string | null = null;
  if (head === null) {
    problem = 'the object is missing after the upload completed';
  } else if (head.sizeBytes !== record.file.sizeBytes) {
    problem = `S3 holds ${head.sizeBytes} bytes, the local file has ${record.file.sizeBytes}`;
  } else if (checksum !== null && !checksumMatches(checksum, local)) {
    problem = `S3 reports SHA-256 ${checksum}, the local file has ${local.composite ?? local.full}`;
  }

  if (checksum === null && problem === null) {
    // NOTE: without a checksum from the server only the size is compared.
    logger.warn(
      { key: record.key },
      'the server reported no SHA-256 checksum; only the size was verified',
    );
  }
  if (problem !== null) {
    await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: record.key }));
    throw new IntegrityError(
      `upload of ${record.key} failed verification: ${problem}. The object was deleted; check that the file is not being changed and retry`,
    );
  }
}

async function abortUpload(
  s3: S3Client,
  bucket: string,
  key: string,
  uploadId: string,
): Promise<void> {
  try {
    await s3.send(
      new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId }),
    );
  } catch (error) {
    if (errorName(error) !== 'NoSuchUpload') {
      throw error;
    }
  }
}

/** Returns the `name` of an error thrown by the AWS SDK, or an empty string. */
export function errorName(error: unknown): string {
  return error instanceof Error ? error.name : '';
}
