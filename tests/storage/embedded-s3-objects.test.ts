import { createHash } from 'node:crypto';

import {
  CopyObjectCommand,
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetBucketLocationCommand,
  GetBucketVersioningCommand,
  GetObjectAclCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListBucketsCommand,
  PutBucketCorsCommand,
  PutObjectCommand,
  type S3Client,
  type S3ServiceException,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startFixture, type S3Fixture } from './embedded-s3-fixture';
import { expectS3Error, rawRequest, xmlField } from './s3-test-helpers';

let fixture: S3Fixture;
let s3: S3Client;
const BUCKET = 'objects';

beforeAll(async () => {
  fixture = await startFixture();
  s3 = fixture.client();
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
});

afterAll(async () => {
  await fixture.close();
});

describe('buckets', () => {
  it('creates, lists, heads and deletes a bucket', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'scratch' }));
    const listed = await s3.send(new ListBucketsCommand({}));
    expect(listed.Buckets?.map((bucket) => bucket.Name)).toEqual([BUCKET, 'scratch']);
    expect(listed.Owner?.ID).toBeTruthy();

    const head = await s3.send(new HeadBucketCommand({ Bucket: 'scratch' }));
    expect(head.BucketRegion).toBe('us-east-1');

    await s3.send(new DeleteBucketCommand({ Bucket: 'scratch' }));
    await expectS3Error(s3.send(new HeadBucketCommand({ Bucket: 'scratch' })), 'NotFound', 404);
  });

  it('rejects an existing bucket name and invalid names', async () => {
    await expectS3Error(
      s3.send(new CreateBucketCommand({ Bucket: BUCKET })),
      'BucketAlreadyOwnedByYou',
      409,
    );
    await expectS3Error(
      s3.send(new CreateBucketCommand({ Bucket: 'Upper_Case' })),
      'InvalidBucketName',
      400,
    );
    await expectS3Error(
      s3.send(new CreateBucketCommand({ Bucket: 'ab' })),
      'InvalidBucketName',
      400,
    );
  });

  it('refuses to delete a bucket that has objects', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'full' }));
    await s3.send(new PutObjectCommand({ Bucket: 'full', Key: 'x', Body: 'x' }));
    await expectS3Error(
      s3.send(new DeleteBucketCommand({ Bucket: 'full' })),
      'BucketNotEmpty',
      409,
    );
    await s3.send(new DeleteObjectCommand({ Bucket: 'full', Key: 'x' }));
    await s3.send(new DeleteBucketCommand({ Bucket: 'full' }));
  });

  it('returns the location and an empty versioning configuration', async () => {
    const location = await s3.send(new GetBucketLocationCommand({ Bucket: BUCKET }));
    expect(location.LocationConstraint).toBeUndefined();
    const versioning = await s3.send(new GetBucketVersioningCommand({ Bucket: BUCKET }));
    expect(versioning.Status).toBeUndefined();
  });

  it('returns NoSuchBucket for a missing bucket', async () => {
    await expectS3Error(
      s3.send(new PutObjectCommand({ Bucket: 'missing', Key: 'k', Body: 'x' })),
      'NoSuchBucket',
      404,
    );
  });
});

describe('objects', () => {
  it('stores and returns the body, headers and user metadata', async () => {
    const put = await s3.send(
      new PutObjectCommand({
        Bucket: BUCKET,
        Key: 'meta.txt',
        Body: 'hello metadata',
        ContentType: 'text/plain; charset=utf-8',
        CacheControl: 'max-age=60',
        ContentDisposition: 'attachment; filename="meta.txt"',
        ContentEncoding: 'identity',
        ContentLanguage: 'en',
        Expires: new Date('2030-01-01T00:00:00Z'),
        Metadata: { artist: 'Nina Simone', 'track-number': '7' },
      }),
    );
    expect(put.ETag).toBe(`"${createHash('md5').update('hello metadata').digest('hex')}"`);

    const got = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'meta.txt' }));
    expect(await got.Body?.transformToString()).toBe('hello metadata');
    expect(got.ContentType).toBe('text/plain; charset=utf-8');
    expect(got.CacheControl).toBe('max-age=60');
    expect(got.ContentDisposition).toBe('attachment; filename="meta.txt"');
    expect(got.ContentEncoding).toBe('identity');
    expect(got.ContentLanguage).toBe('en');
    expect(got.ExpiresString).toBe('Tue, 01 Jan 2030 00:00:00 GMT');
    expect(got.Metadata).toEqual({ artist: 'Nina Simone', 'track-number': '7' });
    expect(got.ETag).toBe(put.ETag);
    expect(got.AcceptRanges).toBe('bytes');

    const head = await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'meta.txt' }));
    expect(head.ContentLength).toBe(14);
    expect(head.Metadata).toEqual({ artist: 'Nina Simone', 'track-number': '7' });
  });

  it('stores binary/octet-stream when no content type is sent', async () => {
    const url = await getSignedUrl(s3, new PutObjectCommand({ Bucket: BUCKET, Key: 'untyped' }));
    const put = await rawRequest(url, { method: 'PUT', body: 'raw' });
    expect(put.status).toBe(200);
    const head = await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'untyped' }));
    expect(head.ContentType).toBe('binary/octet-stream');
  });

  it('returns NoSuchKey and NotFound for a missing key', async () => {
    const error = await expectS3Error(
      s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'nope' })),
      'NoSuchKey',
      404,
    );
    expect(error.message).toBe('The specified key does not exist.');
    await expectS3Error(
      s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'nope' })),
      'NotFound',
      404,
    );
  });

  it('overwrites an object and deletes it idempotently', async () => {
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'over', Body: 'one' }));
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'over', Body: 'two!' }));
    const got = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'over' }));
    expect(await got.Body?.transformToString()).toBe('two!');

    const deleted = await s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: 'over' }));
    expect(deleted.$metadata.httpStatusCode).toBe(204);
    await s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: 'over' }));
    await expectS3Error(
      s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'over' })),
      'NotFound',
      404,
    );
  });

  it('stores an empty object', async () => {
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'empty', Body: '' }));
    const got = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'empty' }));
    expect(got.ContentLength).toBe(0);
    expect(got.ETag).toBe('"d41d8cd98f00b204e9800998ecf8427e"');
  });

  it('deletes several keys and reports each', async () => {
    for (const key of ['d/1', 'd/2', 'd/3']) {
      await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: key }));
    }
    const result = await s3.send(
      new DeleteObjectsCommand({
        Bucket: BUCKET,
        Delete: { Objects: [{ Key: 'd/1' }, { Key: 'd/2' }, { Key: 'd/never' }] },
      }),
    );
    expect(result.Deleted?.map((entry) => entry.Key)).toEqual(['d/1', 'd/2', 'd/never']);
    expect(result.Errors).toBeUndefined();
    await expectS3Error(
      s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'd/1' })),
      'NotFound',
      404,
    );

    const quiet = await s3.send(
      new DeleteObjectsCommand({
        Bucket: BUCKET,
        Delete: { Objects: [{ Key: 'd/3' }], Quiet: true },
      }),
    );
    expect(quiet.Deleted).toBeUndefined();
    await expectS3Error(
      s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'd/3' })),
      'NotFound',
      404,
    );
  });

  it('rejects keys longer than 1024 bytes', async () => {
    await expectS3Error(
      s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'é'.repeat(513), Body: 'x' })),
      'KeyTooLongError',
      400,
    );
  });

  it('honors If-None-Match: * on PutObject', async () => {
    await s3.send(
      new PutObjectCommand({ Bucket: BUCKET, Key: 'once', Body: 'first', IfNoneMatch: '*' }),
    );
    await expectS3Error(
      s3.send(
        new PutObjectCommand({ Bucket: BUCKET, Key: 'once', Body: 'second', IfNoneMatch: '*' }),
      ),
      'PreconditionFailed',
      412,
    );
    const got = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'once' }));
    expect(await got.Body?.transformToString()).toBe('first');
  });
});

// The SDK turns a bodiless 304 into an error without an S3 code, so only the status is checked.
async function expectNotModified(promise: Promise<unknown>): Promise<void> {
  const error = (await promise.catch((caught: unknown) => caught)) as S3ServiceException;
  expect(error.$metadata.httpStatusCode).toBe(304);
}

describe('reads', () => {
  const body = 'abcdefghijklmnopqrstuvwxyz';
  let etag = '';
  let lastModified = new Date();

  beforeAll(async () => {
    etag =
      (await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'alphabet', Body: body }))).ETag ??
      '';
    lastModified =
      (await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'alphabet' }))).LastModified ??
      new Date();
  });

  it('returns byte ranges with 206 and Content-Range', async () => {
    const cases: Array<[string, string, string]> = [
      ['bytes=0-4', 'abcde', 'bytes 0-4/26'],
      ['bytes=20-', 'uvwxyz', 'bytes 20-25/26'],
      ['bytes=-3', 'xyz', 'bytes 23-25/26'],
      ['bytes=24-100', 'yz', 'bytes 24-25/26'],
    ];
    for (const [range, expected, contentRange] of cases) {
      const got = await s3.send(
        new GetObjectCommand({ Bucket: BUCKET, Key: 'alphabet', Range: range }),
      );
      expect(got.$metadata.httpStatusCode).toBe(206);
      expect(await got.Body?.transformToString()).toBe(expected);
      expect(got.ContentRange).toBe(contentRange);
      expect(got.ContentLength).toBe(expected.length);
      expect(got.AcceptRanges).toBe('bytes');
    }
  });

  it('returns 416 InvalidRange for an unsatisfiable range', async () => {
    await expectS3Error(
      s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'alphabet', Range: 'bytes=26-30' })),
      'InvalidRange',
      416,
    );
  });

  it('ignores a malformed range and returns the whole object', async () => {
    const got = await s3.send(
      new GetObjectCommand({ Bucket: BUCKET, Key: 'alphabet', Range: 'bytes=9-3' }),
    );
    expect(got.$metadata.httpStatusCode).toBe(200);
    expect(await got.Body?.transformToString()).toBe(body);
  });

  it('evaluates conditional headers', async () => {
    await expectNotModified(
      s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'alphabet', IfNoneMatch: etag })),
    );
    await expectS3Error(
      s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'alphabet', IfMatch: '"0123"' })),
      'PreconditionFailed',
      412,
    );
    await expectNotModified(
      s3.send(
        new GetObjectCommand({ Bucket: BUCKET, Key: 'alphabet', IfModifiedSince: lastModified }),
      ),
    );
    const later = new Date(lastModified.getTime() - 60_000);
    const modified = await s3.send(
      new GetObjectCommand({ Bucket: BUCKET, Key: 'alphabet', IfModifiedSince: later }),
    );
    expect(await modified.Body?.transformToString()).toBe(body);
    const matched = await s3.send(
      new GetObjectCommand({ Bucket: BUCKET, Key: 'alphabet', IfMatch: etag }),
    );
    expect(matched.$metadata.httpStatusCode).toBe(200);
    await matched.Body?.transformToString();
  });

  it('applies response-* overrides', async () => {
    const got = await s3.send(
      new GetObjectCommand({
        Bucket: BUCKET,
        Key: 'alphabet',
        ResponseContentType: 'audio/flac',
        ResponseContentDisposition: 'inline; filename="a.flac"',
        ResponseCacheControl: 'no-store',
        ResponseContentLanguage: 'fr',
        ResponseContentEncoding: 'identity',
        ResponseExpires: new Date('2031-02-03T04:05:06Z'),
      }),
    );
    await got.Body?.transformToString();
    expect(got.ContentType).toBe('audio/flac');
    expect(got.ContentDisposition).toBe('inline; filename="a.flac"');
    expect(got.CacheControl).toBe('no-store');
    expect(got.ContentLanguage).toBe('fr');
    expect(got.ContentEncoding).toBe('identity');
    expect(got.ExpiresString).toBe('Mon, 03 Feb 2031 04:05:06 GMT');
  });
});

describe('copies', () => {
  beforeAll(async () => {
    await s3.send(
      new PutObjectCommand({
        Bucket: BUCKET,
        Key: 'source',
        Body: 'copy me',
        ContentType: 'audio/mpeg',
        Metadata: { album: 'Blue' },
      }),
    );
  });

  it('copies the body and metadata with the COPY directive', async () => {
    const result = await s3.send(
      new CopyObjectCommand({
        Bucket: BUCKET,
        Key: 'copy/of source',
        CopySource: `${BUCKET}/source`,
      }),
    );
    expect(result.CopyObjectResult?.ETag).toBe(
      `"${createHash('md5').update('copy me').digest('hex')}"`,
    );
    const got = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'copy/of source' }));
    expect(await got.Body?.transformToString()).toBe('copy me');
    expect(got.ContentType).toBe('audio/mpeg');
    expect(got.Metadata).toEqual({ album: 'Blue' });
  });

  it('replaces metadata with the REPLACE directive', async () => {
    await s3.send(
      new CopyObjectCommand({
        Bucket: BUCKET,
        Key: 'source',
        CopySource: `${BUCKET}/source`,
        MetadataDirective: 'REPLACE',
        ContentType: 'audio/ogg',
        Metadata: { album: 'Kind of Blue' },
      }),
    );
    const head = await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'source' }));
    expect(head.ContentType).toBe('audio/ogg');
    expect(head.Metadata).toEqual({ album: 'Kind of Blue' });
  });

  it('rejects a copy onto itself without changes', async () => {
    await expectS3Error(
      s3.send(
        new CopyObjectCommand({ Bucket: BUCKET, Key: 'source', CopySource: `${BUCKET}/source` }),
      ),
      'InvalidRequest',
      400,
    );
  });

  it('copies keys that need URL encoding in the copy source', async () => {
    const key = 'odd key?&%+#[].mp3';
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: 'odd' }));
    await s3.send(
      new CopyObjectCommand({
        Bucket: BUCKET,
        Key: 'odd-copy',
        CopySource: `${BUCKET}/${encodeURIComponent(key)}`,
      }),
    );
    const got = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'odd-copy' }));
    expect(await got.Body?.transformToString()).toBe('odd');
  });

  it('returns NoSuchKey for a missing copy source', async () => {
    await expectS3Error(
      s3.send(new CopyObjectCommand({ Bucket: BUCKET, Key: 'x', CopySource: `${BUCKET}/absent` })),
      'NoSuchKey',
      404,
    );
  });
});

describe('protocol', () => {
  it('handles CORS preflight and headers', async () => {
    const preflight = await rawRequest(`${fixture.server.endpoint}/${BUCKET}/alphabet`, {
      method: 'OPTIONS',
      headers: {
        Origin: 'http://localhost:5173',
        'Access-Control-Request-Method': 'GET',
        'Access-Control-Request-Headers': 'range',
      },
    });
    expect(preflight.status).toBe(200);
    expect(preflight.headers['access-control-allow-origin']).toBe('*');
    expect(preflight.headers['access-control-allow-methods']).toContain('GET');
    expect(preflight.headers['access-control-allow-headers']).toBe('range');

    const url = await getSignedUrl(s3, new GetObjectCommand({ Bucket: BUCKET, Key: 'meta.txt' }));
    const got = await rawRequest(url, { headers: { Origin: 'http://localhost:5173' } });
    expect(got.headers['access-control-allow-origin']).toBe('*');
    const exposed = got.headers['access-control-expose-headers'] ?? '';
    for (const name of [
      'ETag',
      'Content-Range',
      'Accept-Ranges',
      'Content-Length',
      'x-amz-meta-artist',
    ]) {
      expect(exposed).toContain(name);
    }
  });

  it('sends a Date header and a request id on every response', async () => {
    const response = await rawRequest(`${fixture.server.endpoint}/`);
    expect(response.status).toBe(403);
    expect(Number.isNaN(Date.parse(response.headers.date ?? ''))).toBe(false);
    expect(response.headers['x-amz-request-id']).toBeTruthy();
    expect(xmlField(response.body, 'Code')).toBe('AccessDenied');
    expect(xmlField(response.body, 'RequestId')).toBe(response.headers['x-amz-request-id']);
    expect(xmlField(response.body, 'Resource')).toBe('/');
  });

  it('returns 501 NotImplemented naming the operation', async () => {
    await expectS3Error(
      s3.send(new PutBucketCorsCommand({ Bucket: BUCKET, CORSConfiguration: { CORSRules: [] } })),
      'NotImplemented',
      501,
    );
    const error = await expectS3Error(
      s3.send(new GetObjectAclCommand({ Bucket: BUCKET, Key: 'alphabet' })),
      'NotImplemented',
      501,
    );
    expect(error.message).toContain('GetObjectAcl');
  });

  it('counts requests per operation', () => {
    const { requests, bytesReceived } = fixture.server.stats();
    expect(requests.PutObject).toBeGreaterThan(5);
    expect(requests.CreateBucket).toBeGreaterThan(0);
    expect(bytesReceived).toBeGreaterThan(0);
  });
});
