import {
  CreateBucketCommand,
  ListObjectsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startFixture, type S3Fixture } from './embedded-s3-fixture';
import { expectS3Error, rawRequest, xmlField } from './s3-test-helpers';

let fixture: S3Fixture;
let s3: S3Client;
const BUCKET = 'listing';
const MANY = 'many';
const MANY_KEYS = Array.from(
  { length: 2500 },
  (_, i) => `tracks/${String(i).padStart(5, '0')}.flac`,
);

async function putAll(bucket: string, keys: string[]): Promise<void> {
  const queue = [...keys];
  const worker = async (): Promise<void> => {
    for (let key = queue.shift(); key !== undefined; key = queue.shift()) {
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: key }));
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
}

beforeAll(async () => {
  fixture = await startFixture();
  s3 = fixture.client();
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
  await s3.send(new CreateBucketCommand({ Bucket: MANY }));
  await putAll(BUCKET, [
    'a.txt',
    'music/album one/01.flac',
    'music/album one/02.flac',
    'music/album two/01.flac',
    'music/loose.mp3',
    'music/z/deep/file.ogg',
    'zzz',
  ]);
  await putAll(MANY, MANY_KEYS);
});

afterAll(async () => {
  await fixture.close();
});

describe('ListObjectsV2', () => {
  it('pages through 2500 keys with max-keys 1000', async () => {
    const pages: string[][] = [];
    let token: string | undefined;
    do {
      const page = await s3.send(
        new ListObjectsV2Command({ Bucket: MANY, MaxKeys: 1000, ContinuationToken: token }),
      );
      pages.push((page.Contents ?? []).map((object) => object.Key ?? ''));
      expect(page.KeyCount).toBe(pages.at(-1)?.length);
      token = page.NextContinuationToken;
      expect(page.IsTruncated).toBe(token !== undefined);
    } while (token !== undefined);

    expect(pages.map((page) => page.length)).toEqual([1000, 1000, 500]);
    expect(pages.flat()).toEqual(MANY_KEYS);
  });

  it('caps max-keys at 1000', async () => {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: MANY, MaxKeys: 5000 }));
    expect(page.Contents).toHaveLength(1000);
    expect(page.MaxKeys).toBe(1000);
    expect(page.IsTruncated).toBe(true);
  });

  it('groups keys into common prefixes at the delimiter', async () => {
    const root = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Delimiter: '/' }));
    expect(root.Contents?.map((object) => object.Key)).toEqual(['a.txt', 'zzz']);
    expect(root.CommonPrefixes?.map((prefix) => prefix.Prefix)).toEqual(['music/']);

    const music = await s3.send(
      new ListObjectsV2Command({ Bucket: BUCKET, Delimiter: '/', Prefix: 'music/' }),
    );
    expect(music.Contents?.map((object) => object.Key)).toEqual(['music/loose.mp3']);
    expect(music.CommonPrefixes?.map((prefix) => prefix.Prefix)).toEqual([
      'music/album one/',
      'music/album two/',
      'music/z/',
    ]);
    expect(music.KeyCount).toBe(4);
  });

  it('counts common prefixes toward max-keys across pages', async () => {
    const seen: string[] = [];
    let token: string | undefined;
    do {
      const page = await s3.send(
        new ListObjectsV2Command({
          Bucket: BUCKET,
          Delimiter: '/',
          Prefix: 'music/',
          MaxKeys: 1,
          ContinuationToken: token,
        }),
      );
      seen.push(...(page.CommonPrefixes ?? []).map((prefix) => prefix.Prefix ?? ''));
      seen.push(...(page.Contents ?? []).map((object) => object.Key ?? ''));
      token = page.NextContinuationToken;
    } while (token !== undefined);
    expect(seen).toEqual(['music/album one/', 'music/album two/', 'music/loose.mp3', 'music/z/']);
  });

  it('starts after a given key', async () => {
    const page = await s3.send(
      new ListObjectsV2Command({ Bucket: BUCKET, StartAfter: 'music/loose.mp3' }),
    );
    expect(page.Contents?.map((object) => object.Key)).toEqual(['music/z/deep/file.ogg', 'zzz']);
    expect(page.StartAfter).toBe('music/loose.mp3');
  });

  it('includes the owner only with fetch-owner', async () => {
    const without = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, MaxKeys: 1 }));
    expect(without.Contents?.[0]?.Owner).toBeUndefined();
    const withOwner = await s3.send(
      new ListObjectsV2Command({ Bucket: BUCKET, MaxKeys: 1, FetchOwner: true }),
    );
    expect(withOwner.Contents?.[0]?.Owner?.ID).toBeTruthy();
  });

  it('URL-encodes keys and prefixes with encoding-type=url', async () => {
    const page = await s3.send(
      new ListObjectsV2Command({
        Bucket: BUCKET,
        Prefix: 'music/',
        Delimiter: '/',
        EncodingType: 'url',
      }),
    );
    expect(page.EncodingType).toBe('url');
    expect(page.CommonPrefixes?.[0]?.Prefix).toBe('music/album%20one/');
    expect(page.Contents?.[0]?.Key).toBe('music/loose.mp3');
  });

  it('rejects an invalid continuation token', async () => {
    await expectS3Error(
      s3.send(new ListObjectsV2Command({ Bucket: BUCKET, ContinuationToken: 'not-a-token' })),
      'InvalidArgument',
      400,
    );
  });

  it('returns NoSuchBucket for a missing bucket', async () => {
    await expectS3Error(
      s3.send(new ListObjectsV2Command({ Bucket: 'absent' })),
      'NoSuchBucket',
      404,
    );
  });

  it('returns the listing XML with the S3 namespace', async () => {
    const response = await rawRequest(`${fixture.server.endpoint}/${BUCKET}?list-type=2`);
    expect(response.status).toBe(403);
    const { getSignedUrl } = await import('@aws-sdk/s3-request-presigner');
    const url = await getSignedUrl(s3, new ListObjectsV2Command({ Bucket: BUCKET, MaxKeys: 2 }));
    const listed = await rawRequest(url);
    expect(listed.status).toBe(200);
    expect(listed.headers['content-type']).toBe('application/xml');
    expect(listed.body.toString()).toContain(
      '<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">',
    );
    expect(xmlField(listed.body, 'KeyCount')).toBe('2');
  });
});

describe('ListObjects (version 1)', () => {
  it('pages with markers through 2500 keys', async () => {
    const keys: string[] = [];
    let marker: string | undefined;
    for (;;) {
      const page = await s3.send(new ListObjectsCommand({ Bucket: MANY, Marker: marker }));
      const pageKeys = (page.Contents ?? []).map((object) => object.Key ?? '');
      keys.push(...pageKeys);
      expect(page.NextMarker).toBeUndefined();
      if (page.IsTruncated !== true) {
        break;
      }
      marker = pageKeys.at(-1);
    }
    expect(keys).toEqual(MANY_KEYS);
  });

  it('returns NextMarker when a delimiter is given', async () => {
    const first = await s3.send(
      new ListObjectsCommand({ Bucket: BUCKET, Delimiter: '/', Prefix: 'music/', MaxKeys: 2 }),
    );
    expect(first.CommonPrefixes?.map((prefix) => prefix.Prefix)).toEqual([
      'music/album one/',
      'music/album two/',
    ]);
    expect(first.IsTruncated).toBe(true);
    expect(first.NextMarker).toBe('music/album two/');

    const second = await s3.send(
      new ListObjectsCommand({
        Bucket: BUCKET,
        Delimiter: '/',
        Prefix: 'music/',
        Marker: first.NextMarker,
      }),
    );
    expect(second.Contents?.map((object) => object.Key)).toEqual(['music/loose.mp3']);
    expect(second.CommonPrefixes?.map((prefix) => prefix.Prefix)).toEqual(['music/z/']);
    expect(second.IsTruncated).toBe(false);
    expect(second.Contents?.[0]?.Owner?.ID).toBeTruthy();
  });
});

describe('key order', () => {
  it('sorts keys by UTF-8 bytes', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'order' }));
    // UTF-16 order would put U+1F3B5 (a surrogate pair) before U+FF21; UTF-8 order puts it last.
    const keys = ['\u{1F3B5}', '\uFF21', 'é', 'Z', 'a', 'A', '~', ' ', '0'];
    await putAll('order', keys);
    const page = await s3.send(new ListObjectsV2Command({ Bucket: 'order' }));
    const expected = [...keys].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    expect(page.Contents?.map((object) => object.Key)).toEqual(expected);
    expect(expected.at(-1)).toBe('\u{1F3B5}');
  });
});
