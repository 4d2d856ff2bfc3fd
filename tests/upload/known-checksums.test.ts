import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { S3Client } from '@aws-sdk/client-s3';
import type { FinalizeRequestMiddleware } from '@smithy/types';
import { afterAll, afterEach, beforeAll, expect, test } from 'vitest';

import { silentLogger } from '../../electron/main/log';
import { isHttpRequest } from '../../electron/main/upload/body-counter';
import type { UploadRecord } from '../../electron/main/upload/state-store';
import { IntegrityError, uploadObject } from '../../electron/main/upload/upload-object';
import { createBucket, startEmbeddedServer, testClient } from '../support/s3-servers';
import type { LocalS3Server } from '../support/s3-servers';
import { partHashes } from './inspect-helpers';

const MIB = 1024 * 1024;
const BUCKET = 'cratebox-checksums';
let dir: string;
let server: LocalS3Server;
let client: S3Client;
/** Checksum headers of each part or PUT request, as signed and sent, in order. */
let sent: { partNumber: number; checksum: string; payloadHash: string }[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cratebox-checksums-'));
  server = await startEmbeddedServer(join(dir, 'server'));
  await createBucket(server.endpoint, BUCKET);
  client = testClient(server.endpoint, 1);
  // Runs after signing, so it records the headers exactly as they go out.
  client.middlewareStack.add(recordChecksums(), { step: 'finalizeRequest', priority: 'low' });
});

function recordChecksums<Input extends object, Output extends object>(): FinalizeRequestMiddleware<
  Input,
  Output
> {
  return (next) => async (args) => {
    const { request } = args;
    if (isHttpRequest(request) && request.method === 'PUT' && request.body !== undefined) {
      sent.push({
        partNumber: Number(request.query?.partNumber ?? 0),
        checksum: request.headers['x-amz-checksum-sha256'] ?? '',
        payloadHash: request.headers['x-amz-content-sha256'] ?? '',
      });
    }
    return next(args);
  };
}

afterEach(() => {
  sent = [];
});

afterAll(async () => {
  client.destroy();
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

/** Uploads `bytes` as `key` with the given part checksums in place of the inspection's. */
async function upload(key: string, bytes: Buffer, partSha256: string[]): Promise<void> {
  const path = join(dir, key);
  await writeFile(path, bytes);
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const record: UploadRecord = {
    jobId: key,
    key,
    file: { sizeBytes: bytes.length, mtimeMs: 0, sha256 },
    partSizeBytes: 5 * MIB,
    uploadId: null,
    createPending: false,
    parts: [],
    previousSha256: null,
    replacing: false,
  };
  await uploadObject({
    s3: client,
    bucket: BUCKET,
    path,
    record,
    sha256,
    partSha256,
    contentType: 'audio/wav',
    metadata: {},
    parallelParts: 1,
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

function hex(base64: string): string {
  return Buffer.from(base64, 'base64').toString('hex');
}

test('parts carry the inspected SHA-256 values', async () => {
  const bytes = randomBytes(12 * MIB);
  const hashes = partHashes(bytes, 5 * MIB);

  await upload('parts.wav', bytes, hashes);

  expect(sent.map((request) => request.partNumber)).toEqual([1, 2, 3]);
  expect(sent.map((request) => request.checksum)).toEqual(hashes);
  expect(sent.map((request) => request.payloadHash)).toEqual(hashes.map(hex));
});

test('single PUT resends a rejected checksum', async () => {
  const bytes = randomBytes(MIB);
  const [actual = ''] = partHashes(bytes, 5 * MIB);
  const stale = createHash('sha256').update('other bytes').digest('base64');

  // The whole-file SHA-256 passed along is right, so the stored object passes verification.
  await upload('single.wav', bytes, [stale]);

  expect(sent).toEqual([
    { partNumber: 0, checksum: stale, payloadHash: hex(stale) },
    { partNumber: 0, checksum: actual, payloadHash: hex(actual) },
  ]);
});

test('part resends a rejected checksum', async () => {
  const bytes = randomBytes(12 * MIB);
  const hashes = partHashes(bytes, 5 * MIB);
  // Stands in for a file whose second part changed after the inspection read it.
  const stale = createHash('sha256').update('other bytes').digest('base64');
  const inspected = [hashes[0] ?? '', stale, hashes[2] ?? ''];

  const uploading = upload('stale.wav', bytes, inspected);

  await expect(uploading).rejects.toBeInstanceOf(IntegrityError);
  await expect(uploading).rejects.toThrow(/failed verification: S3 reports SHA-256/);
  const partTwo = sent.filter((request) => request.partNumber === 2);
  expect(partTwo).toHaveLength(2);
  expect(partTwo[0]?.checksum).toBe(stale);
  expect(partTwo[0]?.payloadHash).toBe(hex(stale));
  expect(partTwo[1]?.checksum).toBe(hashes[1]);
  expect(partTwo[1]?.payloadHash).toBe(hex(hashes[1] ?? ''));
});
