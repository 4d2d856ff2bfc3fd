import { open } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';

import {
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  PutObjectCommand,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import type { CompletedPart, S3Client } from '@aws-sdk/client-s3';

/** The local file changed while it was being read; a later attempt reads it again. */
export class FileChangedError extends Error {
  override readonly name = 'FileChangedError';
}

/** File and destination of {@link sendFile}. */
export interface SendFileInput {
  bucket: string;
  key: string;
  path: string;
  /** Size of the file when it was inspected; a file of another size fails with FileChangedError. */
  sizeBytes: number;
  partSizeBytes: number;
  /** Parts sent at once; each has a buffer of `partSizeBytes`. */
  parallelParts: number;
  contentType: string;
  metadata: Record<string, string>;
  /** Aborted when the job is cancelled or the engine closes: no further part starts. */
  signal: AbortSignal;
}

/**
 * Uploads a file with SHA-256 checksums: one PutObject when it fits in one part, else a multipart
 * upload. Each part is read from the file into one of `parallelParts` buffers that are reused for
 * the next parts, so the bytes are copied once on their way to the socket and memory stays at
 * `parallelParts` part sizes. Returns the SHA-256 checksum the response reports, if any.
 *
 * `client` decides how each command is sent: the resumable client of a job continues a persisted
 * upload and skips parts the server has. After the first failed part no new part starts. The
 * parts in flight end, then the first error is thrown, and the stored parts stay on the server.
 */
export async function sendFile(
  client: S3Client,
  input: SendFileInput,
): Promise<string | undefined> {
  const handle = await open(input.path, 'r');
  try {
    if (input.sizeBytes <= input.partSizeBytes) {
      return await sendSingle(client, handle, input);
    }
    return await sendParts(client, handle, input);
  } finally {
    await handle.close();
  }
}

async function sendSingle(
  client: S3Client,
  handle: FileHandle,
  input: SendFileInput,
): Promise<string | undefined> {
  const body = Buffer.allocUnsafe(input.sizeBytes);
  await readExactly(handle, body, 0, input);
  await checkSize(handle, input);
  throwIfAborted(input.signal);
  const output = await client.send(
    new PutObjectCommand({
      Bucket: input.bucket,
      Key: input.key,
      Body: body,
      ContentLength: body.byteLength,
      ContentType: input.contentType,
      Metadata: input.metadata,
      ChecksumAlgorithm: 'SHA256',
    }),
  );
  return output.ChecksumSHA256;
}

async function sendParts(
  client: S3Client,
  handle: FileHandle,
  input: SendFileInput,
): Promise<string | undefined> {
  const { bucket, key, partSizeBytes } = input;
  const created = await client.send(
    new CreateMultipartUploadCommand({
      Bucket: bucket,
      Key: key,
      ContentType: input.contentType,
      Metadata: input.metadata,
      ChecksumAlgorithm: 'SHA256',
    }),
  );
  const uploadId = created.UploadId;
  if (uploadId === undefined) {
    throw new Error(`CreateMultipartUpload for ${key} returned no UploadId`);
  }

  const partCount = Math.ceil(input.sizeBytes / partSizeBytes);
  const completed: CompletedPart[] = [];
  let nextPart = 1;
  let failure: { error: unknown } | null = null;

  // Each sender owns one buffer and takes the next part number until none is left.
  async function sender(): Promise<void> {
    const buffer = Buffer.allocUnsafe(partSizeBytes);
    while (failure === null && nextPart <= partCount && !input.signal.aborted) {
      const partNumber = nextPart;
      nextPart += 1;
      const offset = (partNumber - 1) * partSizeBytes;
      const body = buffer.subarray(0, Math.min(partSizeBytes, input.sizeBytes - offset));
      try {
        await readExactly(handle, body, offset, input);
        const output = await client.send(
          new UploadPartCommand({
            Bucket: bucket,
            Key: key,
            UploadId: uploadId,
            PartNumber: partNumber,
            Body: body,
            ContentLength: body.byteLength,
            ChecksumAlgorithm: 'SHA256',
          }),
        );
        if (output.ETag === undefined) {
          throw new Error(`UploadPart ${partNumber} of ${key} returned no ETag`);
        }
        completed.push({
          PartNumber: partNumber,
          ETag: output.ETag,
          ...(output.ChecksumSHA256 === undefined ? {} : { ChecksumSHA256: output.ChecksumSHA256 }),
        });
      } catch (error) {
        failure ??= { error };
      }
    }
  }

  const senders = Math.max(1, Math.min(input.parallelParts, partCount));
  await Promise.all(Array.from({ length: senders }, sender));
  if (failure !== null) {
    throw (failure as { error: unknown }).error;
  }
  await checkSize(handle, input);
  throwIfAborted(input.signal);

  completed.sort((a, b) => (a.PartNumber ?? 0) - (b.PartNumber ?? 0));
  const output = await client.send(
    new CompleteMultipartUploadCommand({
      Bucket: bucket,
      Key: key,
      UploadId: uploadId,
      MultipartUpload: { Parts: completed },
    }),
  );
  return output.ChecksumSHA256;
}

/** Fills `target` from `offset`; a file that ends early has changed since its inspection. */
async function readExactly(
  handle: FileHandle,
  target: Buffer,
  offset: number,
  input: SendFileInput,
): Promise<void> {
  let filled = 0;
  while (filled < target.byteLength) {
    const { bytesRead } = await handle.read(
      target,
      filled,
      target.byteLength - filled,
      offset + filled,
    );
    if (bytesRead === 0) {
      throw new FileChangedError(
        `${input.path} changed while it was being uploaded: it ended at byte ${offset + filled}, expected ${input.sizeBytes} bytes; it is read again`,
      );
    }
    filled += bytesRead;
  }
}

/** Throws FileChangedError when the file has grown since its inspection. */
async function checkSize(handle: FileHandle, input: SendFileInput): Promise<void> {
  const { size } = await handle.stat();
  if (size !== input.sizeBytes) {
    throw new FileChangedError(
      `${input.path} changed while it was being uploaded: it has ${size} bytes, expected ${input.sizeBytes}; it is read again`,
    );
  }
}

function throwIfAborted(signal: AbortSignal): void {
  if (signal.aborted) {
    throw Object.assign(new Error('upload cancelled'), { name: 'AbortError' });
  }
}
