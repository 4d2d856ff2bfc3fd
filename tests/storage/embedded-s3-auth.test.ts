import { createHash } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';

import {
  CreateBucketCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListBucketsCommand,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import {
  CREDENTIALS,
  REGION,
  clientFor,
  startFixture,
  type S3Fixture,
} from './embedded-s3-fixture';
import { expectS3Error, patternBytes, rawRequest, xmlField } from './s3-test-helpers';
import { signTestRequest, signedChunkedBody, type TestRequest } from './sigv4-test-signer';

const BUCKET = 'auth';
const MINUTE = 60_000;
let clockOffset = 0;
let fixture: S3Fixture;
let s3: S3Client;
const body = patternBytes(100_000, 4);

beforeAll(async () => {
  fixture = await startFixture({ now: () => Date.now() + clockOffset });
  s3 = fixture.client();
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
  await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'song.flac', Body: body }));
});

afterEach(() => {
  clockOffset = 0;
});

afterAll(async () => {
  await fixture.close();
});

function host(): string {
  return new URL(fixture.server.endpoint).host;
}

function signRaw(
  request: Omit<TestRequest, 'host'>,
  secret = CREDENTIALS.secretAccessKey,
): Record<string, string> {
  return signTestRequest(
    { ...request, host: host() },
    {
      accessKeyId: CREDENTIALS.accessKeyId,
      secretAccessKey: secret,
      region: REGION,
      date: new Date(),
    },
  ).headers;
}

async function objectFiles(): Promise<string[]> {
  const objectsDir = join(fixture.dataDir, 'buckets', BUCKET, 'objects');
  const shards = await readdir(objectsDir);
  const files = await Promise.all(shards.map((shard) => readdir(join(objectsDir, shard))));
  return files.flat();
}

describe('presigned URLs', () => {
  it('serve a Range request with 206 and the exact bytes', async () => {
    const url = await getSignedUrl(s3, new GetObjectCommand({ Bucket: BUCKET, Key: 'song.flac' }), {
      expiresIn: 300,
    });
    const response = await rawRequest(url, { headers: { Range: 'bytes=1000-1999' } });
    expect(response.status).toBe(206);
    expect(response.headers['content-range']).toBe(`bytes 1000-1999/${body.length}`);
    expect(response.headers['accept-ranges']).toBe('bytes');
    expect(response.body.equals(body.subarray(1000, 2000))).toBe(true);
  });

  it('reject a tampered signature with 403', async () => {
    const url = new URL(
      await getSignedUrl(s3, new GetObjectCommand({ Bucket: BUCKET, Key: 'song.flac' })),
    );
    const signature = url.searchParams.get('X-Amz-Signature') ?? '';
    url.searchParams.set(
      'X-Amz-Signature',
      `${signature.slice(0, -1)}${signature.endsWith('0') ? '1' : '0'}`,
    );
    const response = await rawRequest(url.toString());
    expect(response.status).toBe(403);
    expect(xmlField(response.body, 'Code')).toBe('SignatureDoesNotMatch');
  });

  it('reject a URL whose key was changed', async () => {
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'other.flac', Body: 'other' }));
    const url = await getSignedUrl(s3, new GetObjectCommand({ Bucket: BUCKET, Key: 'song.flac' }));
    const response = await rawRequest(url.replace('song.flac', 'other.flac'));
    expect(response.status).toBe(403);
    expect(xmlField(response.body, 'Code')).toBe('SignatureDoesNotMatch');
  });

  it('reject an expired URL with AccessDenied', async () => {
    const url = await getSignedUrl(s3, new GetObjectCommand({ Bucket: BUCKET, Key: 'song.flac' }), {
      expiresIn: 60,
    });
    clockOffset = 2 * MINUTE;
    const response = await rawRequest(url);
    expect(response.status).toBe(403);
    expect(xmlField(response.body, 'Code')).toBe('AccessDenied');
    expect(xmlField(response.body, 'Message')).toBe('Request has expired');
  });

  it('accept a PUT and store its body', async () => {
    const url = await getSignedUrl(
      s3,
      new PutObjectCommand({ Bucket: BUCKET, Key: 'presigned put.bin' }),
    );
    const response = await rawRequest(url, { method: 'PUT', body: 'presigned body' });
    expect(response.status).toBe(200);
    const got = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'presigned put.bin' }));
    expect(await got.Body?.transformToString()).toBe('presigned body');
  });
});

describe('header signatures', () => {
  it('reject a client clock skewed by 20 minutes with RequestTimeTooSkewed', async () => {
    const skewed = fixture.client({ systemClockOffset: -20 * MINUTE, maxAttempts: 1 });
    const error = await expectS3Error(
      skewed.send(new ListBucketsCommand({})),
      'RequestTimeTooSkewed',
      403,
    );
    expect(error.message).toContain('too large');
  });

  it('let the SDK correct its clock from the Date header', async () => {
    clockOffset = 30 * MINUTE;
    const client = fixture.client();
    const listed = await client.send(new ListBucketsCommand({}));
    expect(listed.Buckets?.map((bucket) => bucket.Name)).toContain(BUCKET);
    expect(Math.abs(client.config.systemClockOffset - 30 * MINUTE)).toBeLessThan(MINUTE);
  });

  it('reject an unknown access key with InvalidAccessKeyId', async () => {
    const stranger = clientFor(fixture.server.endpoint, {
      credentials: { accessKeyId: 'AKIDSTRANGER', secretAccessKey: CREDENTIALS.secretAccessKey },
    });
    await expectS3Error(stranger.send(new ListBucketsCommand({})), 'InvalidAccessKeyId', 403);
    stranger.destroy();
  });

  it('reject a wrong secret with SignatureDoesNotMatch', async () => {
    const wrong = fixture.client({
      credentials: { ...CREDENTIALS, secretAccessKey: 'wrong-secret' },
    });
    await expectS3Error(wrong.send(new ListBucketsCommand({})), 'SignatureDoesNotMatch', 403);
  });

  it('reject another region with AuthorizationHeaderMalformed', async () => {
    const elsewhere = fixture.client({ region: 'eu-west-3' });
    await expectS3Error(
      elsewhere.send(new ListBucketsCommand({})),
      'AuthorizationHeaderMalformed',
      400,
    );
  });

  it('reject anonymous requests with AccessDenied', async () => {
    const response = await rawRequest(`${fixture.server.endpoint}/${BUCKET}/song.flac`);
    expect(response.status).toBe(403);
    expect(xmlField(response.body, 'Code')).toBe('AccessDenied');
  });

  it('reject a body whose SHA-256 differs from x-amz-content-sha256', async () => {
    const declared = createHash('sha256').update('declared body').digest('hex');
    const headers = signRaw({
      method: 'PUT',
      path: `/${BUCKET}/hashed`,
      headers: { 'content-length': '11' },
      payloadHash: declared,
    });
    const response = await rawRequest(`${fixture.server.endpoint}/${BUCKET}/hashed`, {
      method: 'PUT',
      headers,
      body: 'actual body',
    });
    expect(response.status).toBe(400);
    expect(xmlField(response.body, 'Code')).toBe('XAmzContentSHA256Mismatch');
    await expectS3Error(
      s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'hashed' })),
      'NotFound',
      404,
    );
  });

  it('accept a body whose SHA-256 matches x-amz-content-sha256', async () => {
    const payloadHash = createHash('sha256').update('hashed body').digest('hex');
    const headers = signRaw({
      method: 'PUT',
      path: `/${BUCKET}/hashed`,
      headers: { 'content-length': '11' },
      payloadHash,
    });
    const response = await rawRequest(`${fixture.server.endpoint}/${BUCKET}/hashed`, {
      method: 'PUT',
      headers,
      body: 'hashed body',
    });
    expect(response.status).toBe(200);
  });
});

describe('signed aws-chunked bodies', () => {
  const chunks = [patternBytes(65_536, 1), patternBytes(65_536, 2), patternBytes(1000, 3)];
  const payload = Buffer.concat(chunks);

  function chunkedRequest(
    key: string,
    trailer: boolean,
  ): { url: string; headers: Record<string, string>; signed: ReturnType<typeof signTestRequest> } {
    const signed = signTestRequest(
      {
        method: 'PUT',
        host: host(),
        path: `/${BUCKET}/${key}`,
        headers: {
          'content-encoding': 'aws-chunked',
          'x-amz-decoded-content-length': String(payload.length),
          ...(trailer ? { 'x-amz-trailer': 'x-amz-checksum-sha256' } : {}),
        },
        payloadHash: trailer
          ? 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER'
          : 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD',
      },
      { ...CREDENTIALS, region: REGION, date: new Date() },
    );
    return { url: `${fixture.server.endpoint}/${BUCKET}/${key}`, headers: signed.headers, signed };
  }

  it('verify chunk signatures and store the decoded payload', async () => {
    const { url, headers, signed } = chunkedRequest('chunked', false);
    const response = await rawRequest(url, {
      method: 'PUT',
      headers,
      body: signedChunkedBody(chunks, signed),
    });
    expect(response.status).toBe(200);
    const got = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'chunked' }));
    expect(Buffer.from((await got.Body?.transformToByteArray()) ?? []).equals(payload)).toBe(true);
  });

  it('verify a signed checksum trailer', async () => {
    const { url, headers, signed } = chunkedRequest('chunked-trailer', true);
    const checksum = createHash('sha256').update(payload).digest('base64');
    const chunkedBody = signedChunkedBody(chunks, signed, {
      name: 'x-amz-checksum-sha256',
      value: checksum,
    });
    const response = await rawRequest(url, { method: 'PUT', headers, body: chunkedBody });
    expect(response.status).toBe(200);
    const head = await s3.send(
      new HeadObjectCommand({ Bucket: BUCKET, Key: 'chunked-trailer', ChecksumMode: 'ENABLED' }),
    );
    expect(head.ChecksumSHA256).toBe(checksum);
  });

  it('reject a tampered chunk and keep no object', async () => {
    const before = await objectFiles();
    const { url, headers, signed } = chunkedRequest('tampered', false);
    const chunkedBody = signedChunkedBody(chunks, signed);
    const dataStart = chunkedBody.indexOf('\r\n') + 2;
    chunkedBody[dataStart + 10] = (chunkedBody[dataStart + 10] ?? 0) ^ 0xff;

    const response = await rawRequest(url, { method: 'PUT', headers, body: chunkedBody });
    expect(response.status).toBe(403);
    expect(xmlField(response.body, 'Code')).toBe('SignatureDoesNotMatch');
    await expectS3Error(
      s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'tampered' })),
      'NotFound',
      404,
    );
    expect(await objectFiles()).toEqual(before);
  });
});
