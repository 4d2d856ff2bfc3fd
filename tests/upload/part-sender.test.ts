import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { GetObjectCommand, ListMultipartUploadsCommand } from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, expect, test } from 'vitest';

import { FileChangedError, sendFile } from '../../electron/main/upload/part-sender';
import type { SendFileInput } from '../../electron/main/upload/part-sender';
import { createBucket, startEmbeddedServer, testClient } from '../support/s3-servers';
import type { LocalS3Server } from '../support/s3-servers';
import { partHashes } from './inspect-helpers';

const MIB = 1024 * 1024;
const PART_BYTES = 5 * MIB;
const BUCKET = 'cratebox-part-sender';
let dir: string;
let server: LocalS3Server;
let client: S3Client;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cratebox-part-sender-'));
  server = await startEmbeddedServer(join(dir, 'server'));
  await createBucket(server.endpoint, BUCKET);
  client = testClient(server.endpoint, 1);
});

afterAll(async () => {
  client.destroy();
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

/** Writes `bytes` to a file named `key` and returns the input that sends it. */
async function fileInput(
  key: string,
  bytes: Buffer,
  parallelParts: number,
): Promise<SendFileInput> {
  const path = join(dir, key);
  await writeFile(path, bytes);
  return {
    bucket: BUCKET,
    key,
    path,
    sizeBytes: bytes.length,
    partSizeBytes: PART_BYTES,
    parallelParts,
    contentType: 'audio/wav',
    metadata: {},
    signal: new AbortController().signal,
  };
}

async function download(key: string): Promise<Buffer> {
  const object = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
  return Buffer.from((await object.Body?.transformToByteArray()) ?? []);
}

function composite(bytes: Buffer): string {
  const digests = partHashes(bytes, PART_BYTES).map((part) => Buffer.from(part, 'base64'));
  const count = digests.length;
  return `${createHash('sha256').update(Buffer.concat(digests)).digest('base64')}-${count}`;
}

async function pendingUploads(key: string): Promise<number> {
  const page = await client.send(new ListMultipartUploadsCommand({ Bucket: BUCKET, Prefix: key }));
  return page.Uploads?.length ?? 0;
}

test('reused part buffers send every byte', async () => {
  // Five parts through two buffers, the last part shorter than the others.
  const bytes = randomBytes(23 * MIB);
  const input = await fileInput('reused.wav', bytes, 2);

  const reported = await sendFile(client, input);

  expect(reported).toBe(composite(bytes));
  expect((await download('reused.wav')).equals(bytes)).toBe(true);
});

test('file of one part is sent in one PUT', async () => {
  const bytes = randomBytes(PART_BYTES);
  const input = await fileInput('single.wav', bytes, 4);

  const reported = await sendFile(client, input);

  expect(reported).toBe(createHash('sha256').update(bytes).digest('base64'));
  expect((await download('single.wav')).equals(bytes)).toBe(true);
});

test('file that shrank fails with FileChangedError', async () => {
  const bytes = randomBytes(12 * MIB);
  const input = await fileInput('shrank.wav', bytes, 2);

  const sending = sendFile(client, { ...input, sizeBytes: 14 * MIB });

  await expect(sending).rejects.toBeInstanceOf(FileChangedError);
  await expect(sending).rejects.toThrow(/ended at byte 12582912, expected 14680064 bytes/);
});

test('file that grew fails before completing', async () => {
  const bytes = randomBytes(12 * MIB);
  const input = await fileInput('grew.wav', bytes, 2);

  const sending = sendFile(client, { ...input, sizeBytes: 11 * MIB });

  await expect(sending).rejects.toBeInstanceOf(FileChangedError);
  await expect(sending).rejects.toThrow(/has 12582912 bytes, expected 11534336/);
  // The parts stay for the next attempt, and no object was made of them.
  expect(await pendingUploads('grew.wav')).toBe(1);
  await expect(download('grew.wav')).rejects.toThrow();
});

test('small file that grew is not stored', async () => {
  const bytes = randomBytes(2 * MIB);
  const input = await fileInput('small-grew.wav', bytes, 2);

  const sending = sendFile(client, { ...input, sizeBytes: MIB });

  await expect(sending).rejects.toBeInstanceOf(FileChangedError);
  await expect(download('small-grew.wav')).rejects.toThrow();
});
