import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { HeadObjectCommand } from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';
import type { InitializeMiddleware } from '@smithy/types';
import { afterAll, afterEach, beforeAll, expect, test } from 'vitest';

import { silentLogger } from '../../electron/main/log';
import type { UploadRecord } from '../../electron/main/upload/state-store';
import { IntegrityError, uploadObject } from '../../electron/main/upload/upload-object';
import { createBucket, startEmbeddedServer, testClient } from '../support/s3-servers';
import type { LocalS3Server } from '../support/s3-servers';
import { partHashes } from './inspect-helpers';

const MIB = 1024 * 1024;
const PART_BYTES = 5 * MIB;
const BUCKET = 'cratebox-verification';
let dir: string;
let server: LocalS3Server;
/** Client whose responses keep their checksums. */
let client: S3Client;
/** Client that drops the checksum from PutObject and CompleteMultipartUpload responses. */
let stripping: S3Client;
/** Commands that both clients sent, in order. */
let commands: string[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cratebox-verification-'));
  server = await startEmbeddedServer(join(dir, 'server'));
  await createBucket(server.endpoint, BUCKET);
  client = testClient(server.endpoint, 1);
  client.middlewareStack.add(recordCommands(), { step: 'initialize' });
  stripping = testClient(server.endpoint, 1);
  stripping.middlewareStack.add(recordCommands(), { step: 'initialize' });
  stripping.middlewareStack.add(dropResponseChecksum(), { step: 'initialize' });
});

afterEach(() => {
  commands = [];
});

afterAll(async () => {
  client.destroy();
  stripping.destroy();
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

function recordCommands<Input extends object, Output extends object>(): InitializeMiddleware<
  Input,
  Output
> {
  return (next, context) => (args) => {
    commands.push(context.commandName ?? 'unknown');
    return next(args);
  };
}

/** Stands in for an S3-compatible server that reports no checksum after an upload. */
function dropResponseChecksum<Input extends object, Output extends object>(): InitializeMiddleware<
  Input,
  Output
> {
  return (next, context) => async (args) => {
    const result = await next(args);
    const name = context.commandName;
    if (name === 'PutObjectCommand' || name === 'CompleteMultipartUploadCommand') {
      delete (result.output as { ChecksumSHA256?: string }).ChecksumSHA256;
    }
    return result;
  };
}

/** Uploads `bytes` as `key` through `s3`, with `partSha256` as the inspected part hashes. */
async function upload(
  s3: S3Client,
  key: string,
  bytes: Buffer,
  partSha256 = partHashes(bytes, PART_BYTES),
): Promise<void> {
  const path = join(dir, key);
  await writeFile(path, bytes);
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const record: UploadRecord = {
    jobId: key,
    key,
    file: { sizeBytes: bytes.length, mtimeMs: 0, sha256 },
    partSizeBytes: PART_BYTES,
    uploadId: null,
    createPending: false,
    parts: [],
    previousSha256: null,
    replacing: false,
  };
  await uploadObject({
    s3,
    bucket: BUCKET,
    path,
    record,
    sha256,
    partSha256,
    contentType: 'audio/wav',
    metadata: {},
    parallelParts: 2,
    hooks: {
      signal: new AbortController().signal,
      isPaused: () => false,
      saveRecord: async () => undefined,
      onWireBytes: () => undefined,
      onPartStored: () => undefined,
    },
    onVerifying: () => undefined,
    logger: silentLogger(),
  });
}

async function storedChecksum(key: string): Promise<string | undefined> {
  const head = await client.send(
    new HeadObjectCommand({ Bucket: BUCKET, Key: key, ChecksumMode: 'ENABLED' }),
  );
  return head.ChecksumSHA256;
}

function count(name: string): number {
  return commands.filter((command) => command === name).length;
}

/** Returns the inspected part hashes with the second one replaced, as if that part changed. */
function withStaleSecondPart(bytes: Buffer): string[] {
  const hashes = partHashes(bytes, PART_BYTES);
  hashes[1] = createHash('sha256').update('other bytes').digest('base64');
  return hashes;
}

test('multipart upload verified without HEAD', async () => {
  const bytes = randomBytes(12 * MIB);

  await upload(client, 'multipart.wav', bytes);

  expect(count('CompleteMultipartUploadCommand')).toBe(1);
  expect(count('HeadObjectCommand')).toBe(0);
  expect(await storedChecksum('multipart.wav')).toMatch(/-3$/);
});

test('single PUT verified without HEAD', async () => {
  const bytes = randomBytes(MIB);

  await upload(client, 'single.wav', bytes);

  expect(count('PutObjectCommand')).toBe(1);
  expect(count('HeadObjectCommand')).toBe(0);
  expect(await storedChecksum('single.wav')).toBe(
    createHash('sha256').update(bytes).digest('base64'),
  );
});

test('mismatched response checksum deletes the object', async () => {
  const bytes = randomBytes(12 * MIB);

  const uploading = upload(client, 'stale.wav', bytes, withStaleSecondPart(bytes));

  await expect(uploading).rejects.toBeInstanceOf(IntegrityError);
  await expect(uploading).rejects.toThrow(/failed verification: S3 reports SHA-256/);
  expect(count('HeadObjectCommand')).toBe(0);
  expect(count('DeleteObjectCommand')).toBe(1);
  await expect(storedChecksum('stale.wav')).rejects.toThrow();
});

test('response without checksum falls back to HEAD', async () => {
  const bytes = randomBytes(12 * MIB);

  await upload(stripping, 'fallback.wav', bytes);

  expect(count('HeadObjectCommand')).toBe(1);
  expect(await storedChecksum('fallback.wav')).toMatch(/-3$/);
});

test('HEAD fallback catches a mismatch', async () => {
  const bytes = randomBytes(12 * MIB);

  const uploading = upload(stripping, 'fallback-stale.wav', bytes, withStaleSecondPart(bytes));

  await expect(uploading).rejects.toBeInstanceOf(IntegrityError);
  await expect(uploading).rejects.toThrow(/failed verification: S3 reports SHA-256/);
  expect(count('HeadObjectCommand')).toBe(1);
  expect(count('DeleteObjectCommand')).toBe(1);
  await expect(storedChecksum('fallback-stale.wav')).rejects.toThrow();
});
