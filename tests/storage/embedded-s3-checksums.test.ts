import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';

import {
  CreateBucketCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  type ChecksumAlgorithm,
  type S3Client,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { checksumOf } from '../../electron/main/storage/embedded-s3/checksums';
import { CREDENTIALS, REGION, startFixture, type S3Fixture } from './embedded-s3-fixture';
import { expectS3Error, patternBytes, rawRequest, xmlField } from './s3-test-helpers';
import { signTestRequest } from './sigv4-test-signer';

const BUCKET = 'checksums';
let fixture: S3Fixture;
let defaults: S3Client;
let whenRequired: S3Client;
const body = patternBytes(300_000, 8);

beforeAll(async () => {
  fixture = await startFixture();
  defaults = fixture.client();
  whenRequired = fixture.client({
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  await defaults.send(new CreateBucketCommand({ Bucket: BUCKET }));
});

afterAll(async () => {
  await fixture.close();
});

async function readAll(client: S3Client, key: string, range?: string): Promise<Buffer> {
  const got = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key, Range: range }));
  return Buffer.from((await got.Body?.transformToByteArray()) ?? []);
}

describe('SDK checksum settings', () => {
  it('round-trip a buffer body with default settings', async () => {
    const put = await defaults.send(
      new PutObjectCommand({ Bucket: BUCKET, Key: 'default-buffer', Body: body }),
    );
    expect(put.ChecksumCRC32).toBe(checksumOf('CRC32', body));
    expect((await readAll(defaults, 'default-buffer')).equals(body)).toBe(true);
  });

  it('round-trip a stream body sent as aws-chunked with a trailer', async () => {
    await defaults.send(
      new PutObjectCommand({
        Bucket: BUCKET,
        Key: 'default-stream',
        Body: Readable.from([body]),
        ContentLength: body.length,
      }),
    );
    const head = await defaults.send(
      new HeadObjectCommand({ Bucket: BUCKET, Key: 'default-stream', ChecksumMode: 'ENABLED' }),
    );
    expect(head.ChecksumCRC32).toBe(checksumOf('CRC32', body));
    expect(head.ChecksumType).toBe('FULL_OBJECT');
    expect(head.ContentEncoding).toBeUndefined();
    expect((await readAll(defaults, 'default-stream')).equals(body)).toBe(true);
  });

  it('round-trip with WHEN_REQUIRED settings', async () => {
    await whenRequired.send(
      new PutObjectCommand({
        Bucket: BUCKET,
        Key: 'when-required',
        Body: Readable.from([body]),
        ContentLength: body.length,
      }),
    );
    const head = await whenRequired.send(
      new HeadObjectCommand({ Bucket: BUCKET, Key: 'when-required', ChecksumMode: 'ENABLED' }),
    );
    expect(head.ChecksumCRC32).toBeUndefined();
    expect((await readAll(whenRequired, 'when-required')).equals(body)).toBe(true);
    expect((await readAll(defaults, 'when-required')).equals(body)).toBe(true);
  });

  it('leave the checksum out of ranged reads', async () => {
    const part = await readAll(defaults, 'default-buffer', 'bytes=10-19');
    expect(part.equals(body.subarray(10, 20))).toBe(true);
  });

  for (const algorithm of ['CRC32', 'CRC32C', 'CRC64NVME', 'SHA1', 'SHA256'] as const) {
    it(`store and return a ${algorithm} checksum`, async () => {
      const key = `algorithm-${algorithm}`;
      await defaults.send(
        new PutObjectCommand({
          Bucket: BUCKET,
          Key: key,
          Body: body,
          ChecksumAlgorithm: algorithm as ChecksumAlgorithm,
        }),
      );
      const head = await defaults.send(
        new HeadObjectCommand({ Bucket: BUCKET, Key: key, ChecksumMode: 'ENABLED' }),
      );
      expect(head[`Checksum${algorithm}`]).toBe(checksumOf(algorithm, body));
      expect((await readAll(defaults, key)).equals(body)).toBe(true);
    });
  }
});

describe('checksum mismatches', () => {
  it('reject a wrong checksum header with BadDigest and store nothing', async () => {
    await expectS3Error(
      whenRequired.send(
        new PutObjectCommand({
          Bucket: BUCKET,
          Key: 'bad-crc',
          Body: body,
          ChecksumCRC32: checksumOf('CRC32', Buffer.from('other')),
        }),
      ),
      'BadDigest',
      400,
    );
    await expectS3Error(
      defaults.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'bad-crc' })),
      'NotFound',
      404,
    );
  });

  it('reject a wrong Content-MD5 with BadDigest', async () => {
    const wrongMd5 = createHash('md5').update('other').digest('base64');
    await expectS3Error(
      whenRequired.send(
        new PutObjectCommand({ Bucket: BUCKET, Key: 'bad-md5', Body: body, ContentMD5: wrongMd5 }),
      ),
      'BadDigest',
      400,
    );
    const rightMd5 = createHash('md5').update(body).digest('base64');
    await whenRequired.send(
      new PutObjectCommand({ Bucket: BUCKET, Key: 'good-md5', Body: body, ContentMD5: rightMd5 }),
    );
  });

  it('reject a wrong checksum trailer with BadDigest', async () => {
    const host = new URL(fixture.server.endpoint).host;
    const trailer = `x-amz-checksum-crc32:${checksumOf('CRC32', Buffer.from('other'))}`;
    const chunked = Buffer.concat([
      Buffer.from('5\r\nhello\r\n0\r\n'),
      Buffer.from(`${trailer}\r\n\r\n`),
    ]);
    const { headers } = signTestRequest(
      {
        method: 'PUT',
        host,
        path: `/${BUCKET}/bad-trailer`,
        headers: {
          'content-encoding': 'aws-chunked',
          'x-amz-decoded-content-length': '5',
          'x-amz-trailer': 'x-amz-checksum-crc32',
        },
        payloadHash: 'STREAMING-UNSIGNED-PAYLOAD-TRAILER',
      },
      { ...CREDENTIALS, region: REGION, date: new Date() },
    );
    const response = await rawRequest(`${fixture.server.endpoint}/${BUCKET}/bad-trailer`, {
      method: 'PUT',
      headers,
      body: chunked,
    });
    expect(response.status).toBe(400);
    expect(xmlField(response.body, 'Code')).toBe('BadDigest');
    await expectS3Error(
      defaults.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'bad-trailer' })),
      'NotFound',
      404,
    );
  });

  /** PUTs `body` signed with `payloadHash` and an `x-amz-checksum-sha256` header. */
  async function putSignedSha256(
    key: string,
    payloadHash: string,
    checksum: string,
  ): Promise<{ status: number; code: string | undefined }> {
    const host = new URL(fixture.server.endpoint).host;
    const { headers } = signTestRequest(
      {
        method: 'PUT',
        host,
        path: `/${BUCKET}/${key}`,
        headers: { 'content-length': String(body.length), 'x-amz-checksum-sha256': checksum },
        payloadHash,
      },
      { ...CREDENTIALS, region: REGION, date: new Date() },
    );
    const response = await rawRequest(`${fixture.server.endpoint}/${BUCKET}/${key}`, {
      method: 'PUT',
      headers,
      body,
    });
    return { status: response.status, code: xmlField(response.body, 'Code') };
  }

  const bodySha256 = createHash('sha256').update(body).digest();
  const otherSha256 = createHash('sha256').update('other').digest();

  it('accept a signed payload hash and SHA-256 header that match', async () => {
    const stored = await putSignedSha256(
      'signed-sha256',
      bodySha256.toString('hex'),
      bodySha256.toString('base64'),
    );
    expect(stored.status).toBe(200);
    const head = await defaults.send(
      new HeadObjectCommand({ Bucket: BUCKET, Key: 'signed-sha256', ChecksumMode: 'ENABLED' }),
    );
    expect(head.ChecksumSHA256).toBe(bodySha256.toString('base64'));
  });

  it('reject a wrong payload hash beside a right SHA-256 header', async () => {
    const rejected = await putSignedSha256(
      'wrong-payload-hash',
      otherSha256.toString('hex'),
      bodySha256.toString('base64'),
    );
    expect(rejected.status).toBe(400);
    expect(rejected.code).toBe('XAmzContentSHA256Mismatch');
  });

  it('reject a wrong SHA-256 header beside a right payload hash', async () => {
    const rejected = await putSignedSha256(
      'wrong-sha256-header',
      bodySha256.toString('hex'),
      otherSha256.toString('base64'),
    );
    expect(rejected.status).toBe(400);
    expect(rejected.code).toBe('BadDigest');
    await expectS3Error(
      defaults.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'wrong-sha256-header' })),
      'NotFound',
      404,
    );
  });

  it('reject a decoded length that differs from the body', async () => {
    const host = new URL(fixture.server.endpoint).host;
    const { headers } = signTestRequest(
      {
        method: 'PUT',
        host,
        path: `/${BUCKET}/short`,
        headers: { 'content-encoding': 'aws-chunked', 'x-amz-decoded-content-length': '9' },
        payloadHash: 'STREAMING-UNSIGNED-PAYLOAD-TRAILER',
      },
      { ...CREDENTIALS, region: REGION, date: new Date() },
    );
    const response = await rawRequest(`${fixture.server.endpoint}/${BUCKET}/short`, {
      method: 'PUT',
      headers,
      body: '5\r\nhello\r\n0\r\n\r\n',
    });
    expect(response.status).toBe(400);
    expect(xmlField(response.body, 'Code')).toBe('IncompleteBody');
  });
});
