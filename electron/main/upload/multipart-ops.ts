import {
  AbortMultipartUploadCommand,
  DeleteObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListPartsCommand,
} from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';

import { decodeTrackMetadata } from '../library/track-metadata';
import type { TrackMetadata } from '../library/track-metadata';
import type { Logger } from '../log';
import type { ServerPart } from './resumable-client';
import type { UploadRecord } from './state-store';

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
 * the key, and the object when it contains this upload's bytes (a PUT or a completion that finished
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
  /** Entity tag of the object, which changes whenever the object is written again. */
  etag: string | null;
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
      etag: head.ETag ?? null,
      metadata,
    };
  } catch (error) {
    if (errorName(error) === 'NotFound' || errorName(error) === 'NoSuchKey') {
      return null;
    }
    throw error;
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
