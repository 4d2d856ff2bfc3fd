import { request as httpRequest, type IncomingMessage } from 'node:http';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import {
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  ListPartsCommand,
  PutObjectCommand,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { afterEach, describe, expect, it } from 'vitest';

import { startFixture, type S3Fixture } from './embedded-s3-fixture';
import { expectS3Error, patternBytes } from './s3-test-helpers';

const BUCKET = 'durable';
const MIB = 1024 * 1024;
let fixture: S3Fixture | undefined;

afterEach(async () => {
  await fixture?.close();
  fixture = undefined;
});

async function started(): Promise<S3Fixture> {
  fixture = await startFixture();
  await fixture.client().send(new CreateBucketCommand({ Bucket: BUCKET }));
  return fixture;
}

async function filesUnder(folder: string): Promise<string[]> {
  const entries = await readdir(folder, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name));
}

// Sends the first `sentBytes` of a body that declares `declaredBytes`, then destroys the socket
// once the server has started reading (its temp file exists).
async function abortedPut(
  url: string,
  declaredBytes: number,
  sentBytes: number,
  tempDir: string,
): Promise<void> {
  const request = httpRequest(url, { method: 'PUT', headers: { 'Content-Length': declaredBytes } });
  request.on('error', () => undefined);
  request.write(patternBytes(sentBytes, 3));
  while ((await readdir(tempDir)).length === 0) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  request.destroy();
}

describe('durability', () => {
  it('keeps no object when the client disconnects mid-body', async () => {
    const { client, dataDir } = await started();
    const s3 = client();
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'existing', Body: 'old' }));
    const url = await getSignedUrl(s3, new PutObjectCommand({ Bucket: BUCKET, Key: 'partial' }));
    const urlOverwrite = await getSignedUrl(
      s3,
      new PutObjectCommand({ Bucket: BUCKET, Key: 'existing' }),
    );

    await abortedPut(url, 4 * MIB, 1 * MIB, join(dataDir, 'tmp'));
    await abortedPut(urlOverwrite, 4 * MIB, 1 * MIB, join(dataDir, 'tmp'));
    // Closing waits for the handlers of the aborted requests to finish their cleanup.
    await fixture?.restart();

    await expectS3Error(
      s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'partial' })),
      'NotFound',
      404,
    );
    const existing = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'existing' }));
    expect(await existing.Body?.transformToString()).toBe('old');
    expect(await readdir(join(dataDir, 'tmp'))).toEqual([]);
    const dataFiles = (await filesUnder(join(dataDir, 'buckets'))).filter((file) =>
      file.endsWith('.data'),
    );
    expect(dataFiles).toHaveLength(1);
  });

  it('keeps objects and pending uploads across a restart', async () => {
    const current = await started();
    const s3 = current.client();
    const keys = ['a.flac', 'dir/b.flac', 'dir/c d.flac', 'e\u0301.flac', '\u00e9.flac'];
    for (const key of keys) {
      await s3.send(
        new PutObjectCommand({
          Bucket: BUCKET,
          Key: key,
          Body: `body of ${key}`,
          Metadata: { key: 'kept' },
        }),
      );
    }
    const created = await s3.send(
      new CreateMultipartUploadCommand({
        Bucket: BUCKET,
        Key: 'pending.flac',
        ContentType: 'audio/flac',
      }),
    );
    const uploadId = created.UploadId ?? '';
    const partOne = patternBytes(5 * MIB, 1);
    const first = await s3.send(
      new UploadPartCommand({
        Bucket: BUCKET,
        Key: 'pending.flac',
        UploadId: uploadId,
        PartNumber: 1,
        Body: partOne,
      }),
    );

    await current.restart();

    const listed = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET }));
    const expectedKeys = [...keys].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    expect(listed.Contents?.map((object) => object.Key)).toEqual(expectedKeys);
    for (const key of keys) {
      const got = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
      expect(await got.Body?.transformToString()).toBe(`body of ${key}`);
      expect(got.Metadata).toEqual({ key: 'kept' });
    }

    const uploads = await s3.send(new ListMultipartUploadsCommand({ Bucket: BUCKET }));
    expect(uploads.Uploads?.map((upload) => upload.UploadId)).toEqual([uploadId]);
    const parts = await s3.send(
      new ListPartsCommand({ Bucket: BUCKET, Key: 'pending.flac', UploadId: uploadId }),
    );
    expect(parts.Parts?.map((part) => [part.PartNumber, part.ETag, part.Size])).toEqual([
      [1, first.ETag, 5 * MIB],
    ]);

    const second = await s3.send(
      new UploadPartCommand({
        Bucket: BUCKET,
        Key: 'pending.flac',
        UploadId: uploadId,
        PartNumber: 2,
        Body: 'tail',
      }),
    );
    await s3.send(
      new CompleteMultipartUploadCommand({
        Bucket: BUCKET,
        Key: 'pending.flac',
        UploadId: uploadId,
        MultipartUpload: {
          Parts: [
            { PartNumber: 1, ETag: first.ETag, ChecksumCRC32: first.ChecksumCRC32 },
            { PartNumber: 2, ETag: second.ETag, ChecksumCRC32: second.ChecksumCRC32 },
          ],
        },
      }),
    );
    const head = await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'pending.flac' }));
    expect(head.ContentLength).toBe(5 * MIB + 4);
    expect(head.ContentType).toBe('audio/flac');
  });

  it('finishes a read that started before an overwrite', async () => {
    const { client, dataDir, server } = await started();
    const s3 = client();
    const original = patternBytes(11 * MIB, 8);
    // Multipart objects are stored as one file per part, opened only when the read reaches it.
    await new Upload({
      client: s3,
      params: { Bucket: BUCKET, Key: 'busy', Body: original },
      partSize: 5 * MIB,
    }).done();
    const url = await getSignedUrl(s3, new GetObjectCommand({ Bucket: BUCKET, Key: 'busy' }));

    const received: Buffer[] = [];
    const response = await new Promise<IncomingMessage>((resolve, reject) => {
      httpRequest(url, resolve).on('error', reject).end();
    });
    const firstChunk = await new Promise<Buffer>((resolve) => response.once('data', resolve));
    response.pause();
    received.push(firstChunk);

    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'busy', Body: 'replacement' }));
    response.on('data', (chunk: Buffer) => received.push(chunk));
    response.resume();
    await new Promise((resolve) => response.once('close', resolve));

    expect(Buffer.concat(received).equals(original)).toBe(true);
    const got = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'busy' }));
    expect(await got.Body?.transformToString()).toBe('replacement');
    // The client has every byte before the server's stream ends, so close the server, which
    // waits for its handlers, before looking for the replaced part files.
    await server.close();
    const dataFiles = (await filesUnder(join(dataDir, 'buckets'))).filter((file) =>
      file.endsWith('.data'),
    );
    expect(dataFiles).toHaveLength(1);
  });

  it('removes orphaned data and temp files at start', async () => {
    const current = await started();
    const s3 = current.client();
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'kept', Body: 'kept' }));
    const shardDir = join(current.dataDir, 'buckets', BUCKET, 'objects', '00');
    await mkdir(shardDir, { recursive: true });
    await writeFile(join(shardDir, 'orphan.0000.data'), 'left by a crash');
    await writeFile(join(current.dataDir, 'tmp', 'upload.tmp'), 'half a body');
    await writeFile(join(shardDir, 'broken.json'), '{ not json');

    await current.restart();

    const files = await filesUnder(current.dataDir);
    expect(files.some((file) => file.endsWith('orphan.0000.data'))).toBe(false);
    expect(files.some((file) => file.endsWith('upload.tmp'))).toBe(false);
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET }));
    expect(listed.Contents?.map((object) => object.Key)).toEqual(['kept']);
  });
});
