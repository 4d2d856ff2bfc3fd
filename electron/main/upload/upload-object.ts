import { createReadStream } from 'node:fs';

import { DeleteObjectCommand } from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';

import type { Logger } from '../log';
import { checksumMatches, localChecksums } from './checksums';
import { abortPendingUploads, errorName, headTrack, listServerParts } from './multipart-ops';
import { createUploadSession } from './resumable-client';
import type { ServerPart, UploadSessionHooks } from './resumable-client';
import type { UploadRecord } from './state-store';

/** The checksum S3 reports for an upload differs from the local file's. */
export class IntegrityError extends Error {
  override readonly name = 'IntegrityError';
}

/** The multipart upload vanished from the server while it was in use; a retry starts over. */
export class UploadGoneError extends Error {
  override readonly name = 'UploadGoneError';
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
  hooks: Omit<UploadSessionHooks, 'record' | 'serverParts' | 'localPartSha256' | 'logger'>;
  onVerifying(): void;
  logger: Logger;
}

/** Result of {@link uploadObject}. */
export interface UploadObjectResult {
  /** Whether parts stored by an earlier run were kept instead of sent again. */
  resumed: boolean;
}

/**
 * Uploads one file with lib-storage, continuing the multipart upload in `record` when the server
 * still has it, then checks the SHA-256 checksum S3 reports (or, when it reports none, the size)
 * against the local file. A mismatch deletes the object and throws {@link IntegrityError}.
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
    logger,
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
  } catch (error) {
    if (errorName(error) !== 'NoSuchUpload') {
      throw error;
    }
    // Aborted elsewhere or expired by a lifecycle rule: the next attempt starts a new upload.
    await session.drain();
    record.uploadId = null;
    record.parts = [];
    await input.hooks.saveRecord();
    throw new UploadGoneError(
      `the multipart upload of ${record.key} no longer exists on the server`,
      {
        cause: error,
      },
    );
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

  // Some servers (moto 5) list no part checksums. A listed part then gets the SHA-256 this engine
  // recorded for the same ETag, and the final checksum comparison catches any mismatch.
  const recorded = new Map(record.parts.map((part) => [part.partNumber, part]));
  for (const [partNumber, part] of listed) {
    if (part.sha256 === null) {
      const mine = recorded.get(partNumber);
      part.sha256 = mine !== undefined && mine.etag === part.etag ? mine.sha256 : null;
    }
  }
  return listed;
}

/**
 * Checks the stored object against the local file. The server computes the SHA-256 in a
 * PutObject or CompleteMultipartUpload response from the stored bytes, or from the SHA-256 of
 * each stored part. A match therefore proves the object has the local bytes, with no further
 * request. When the response has no SHA-256, a HEAD request reads the object's size and checksum.
 */
async function verifyObject(input: UploadObjectInput, reported: string | undefined): Promise<void> {
  const { s3, bucket, record, logger } = input;
  const local = localChecksums(input.sha256, input.partSha256);
  const expected = local.composite ?? local.full;

  let problem: string | null = null;
  if (reported !== undefined) {
    if (checksumMatches(reported, local)) {
      return;
    }
    problem = `S3 reports SHA-256 ${reported}, the local file has ${expected}`;
  } else {
    const head = await headTrack(s3, bucket, record.key);
    const checksum = head?.checksumSha256 ?? null;
    if (head === null) {
      problem = 'the object is missing after the upload completed';
    } else if (head.sizeBytes !== record.file.sizeBytes) {
      problem = `S3 has ${head.sizeBytes} bytes, the local file has ${record.file.sizeBytes}`;
    } else if (checksum !== null && !checksumMatches(checksum, local)) {
      problem = `S3 reports SHA-256 ${checksum}, the local file has ${expected}`;
    } else if (checksum === null) {
      // NOTE: without a checksum from the server only the size is compared.
      logger.warn(
        { key: record.key },
        'the server reported no SHA-256 checksum; only the size was verified',
      );
    }
  }

  if (problem !== null) {
    await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: record.key }));
    throw new IntegrityError(
      `upload of ${record.key} failed verification: ${problem}. The object was deleted; check that the file is not being changed and retry`,
    );
  }
}
