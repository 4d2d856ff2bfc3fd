// The same table of keys and behaviours runs against the embedded server and against
// moto_server where it is installed. moto is an independent S3 implementation, so its passing
// the table confirms the expected responses.
import {
  CopyObjectCommand,
  CreateBucketCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { clientFor, startFixture } from './embedded-s3-fixture';
import { findExecutable, startMoto } from './local-tools';
import { expectS3Error, rawRequest } from './s3-test-helpers';

const NFC_CAFE = 'caf\u00e9.flac';
const NFD_CAFE = 'cafe\u0301.flac';

/** Keys that break naive URL encoding, XML escaping or file naming. */
export const AWKWARD_KEYS: Array<[label: string, key: string]> = [
  ['a space', 'album one/track 01.flac'],
  ['a plus', 'c++/plus+sign.flac'],
  ['an ampersand', 'rock & roll.flac'],
  ['a hash', 'track #9.flac'],
  ['a percent', '100% pure.flac'],
  ['a percent escape look-alike', 'literal%20escape.flac'],
  ['a question mark', 'why?.flac'],
  ['parentheses', 'song (live).flac'],
  ['brackets', '[2001] album.flac'],
  ['a double quote', 'the "best" of.flac'],
  ['a single quote', "don't stop.flac"],
  ['XML specials', '<tag> & </tag>.flac'],
  ['reserved punctuation', 'a;b,c=d@e$f!g*h:i.flac'],
  ['a backslash', 'back\\slash.flac'],
  ['braces, caret and pipe', '{a}^b|c`d.flac'],
  ['a tilde', '~home/under_score-dash.flac'],
  ['a double slash', 'double//slash.flac'],
  ['leading and trailing spaces', ' padded .flac'],
  ['NFC text', NFC_CAFE],
  ['NFD text', NFD_CAFE],
  ['CJK text', '日本語/曲.flac'],
  ['an emoji', 'mix 🎵🎶.flac'],
  ['right-to-left text', 'موسيقى.flac'],
];

function bodyFor(key: string): string {
  return `body of ${key}`;
}

function compatibilitySuite(
  start: () => Promise<{ endpoint: string; stop(): Promise<void> }>,
): void {
  const bucket = 'compat';
  let target: { endpoint: string; stop(): Promise<void> };
  let s3: S3Client;

  beforeAll(async () => {
    target = await start();
    s3 = clientFor(target.endpoint);
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    for (const [, key] of AWKWARD_KEYS) {
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: bodyFor(key) }));
    }
  });

  afterAll(async () => {
    s3?.destroy();
    await target?.stop();
  });

  describe('awkward keys', () => {
    for (const [label, key] of AWKWARD_KEYS) {
      it(`round-trip a key with ${label}`, async () => {
        const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
        expect(await got.Body?.transformToString()).toBe(bodyFor(key));

        const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: key }));
        expect(listed.Contents?.map((object) => object.Key)).toContain(key);

        const url = await getSignedUrl(s3, new GetObjectCommand({ Bucket: bucket, Key: key }));
        const presigned = await rawRequest(url);
        expect(presigned.status).toBe(200);
        expect(presigned.body.toString()).toBe(bodyFor(key));

        const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
        expect(head.ContentLength).toBe(Buffer.byteLength(bodyFor(key)));
      });
    }

    it('list every key once in UTF-8 byte order', async () => {
      const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket }));
      const expected = AWKWARD_KEYS.map(([, key]) => key).sort((a, b) =>
        Buffer.compare(Buffer.from(a), Buffer.from(b)),
      );
      expect(listed.Contents?.map((object) => object.Key)).toEqual(expected);
    });

    it('keep NFC and NFD twins apart', async () => {
      expect(NFC_CAFE).not.toBe(NFD_CAFE);
      const nfc = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: NFC_CAFE }));
      const nfd = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: NFD_CAFE }));
      expect(await nfc.Body?.transformToString()).toBe(bodyFor(NFC_CAFE));
      expect(await nfd.Body?.transformToString()).toBe(bodyFor(NFD_CAFE));
    });

    it('return URL-encoded keys that decode to the originals', async () => {
      const listed = await s3.send(
        new ListObjectsV2Command({ Bucket: bucket, EncodingType: 'url' }),
      );
      const decoded = (listed.Contents ?? []).map((object) => decodeURIComponent(object.Key ?? ''));
      expect(decoded.sort()).toEqual(AWKWARD_KEYS.map(([, key]) => key).sort());
    });

    it('copy an object with an awkward source key', async () => {
      const source = 'song (live) & 100% [remaster]?.flac';
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: source, Body: 'copied' }));
      await s3.send(
        new CopyObjectCommand({
          Bucket: bucket,
          Key: 'copies/target.flac',
          CopySource: `${bucket}/${encodeURIComponent(source)}`,
        }),
      );
      const got = await s3.send(
        new GetObjectCommand({ Bucket: bucket, Key: 'copies/target.flac' }),
      );
      expect(await got.Body?.transformToString()).toBe('copied');
    });

    it('delete awkward keys in one DeleteObjects call', async () => {
      const keys = ['del/<a&b>.flac', 'del/"quoted".flac', "del/it's.flac"];
      for (const key of keys) {
        await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: 'x' }));
      }
      const result = await s3.send(
        new DeleteObjectsCommand({
          Bucket: bucket,
          Delete: { Objects: keys.map((Key) => ({ Key })) },
        }),
      );
      expect(result.Deleted?.map((entry) => entry.Key).sort()).toEqual([...keys].sort());
      const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'del/' }));
      expect(listed.Contents).toBeUndefined();
    });
  });

  describe('behaviour', () => {
    it('return NoSuchKey and NoSuchBucket', async () => {
      await expectS3Error(
        s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'absent' })),
        'NoSuchKey',
        404,
      );
      await expectS3Error(
        s3.send(new GetObjectCommand({ Bucket: 'absent-bucket', Key: 'absent' })),
        'NoSuchBucket',
        404,
      );
    });

    it('return 206 for ranges and 416 past the end', async () => {
      const key = AWKWARD_KEYS[0]?.[1] ?? '';
      const got = await s3.send(
        new GetObjectCommand({ Bucket: bucket, Key: key, Range: 'bytes=0-3' }),
      );
      expect(got.$metadata.httpStatusCode).toBe(206);
      expect(got.ContentRange).toBe(`bytes 0-3/${Buffer.byteLength(bodyFor(key))}`);
      expect(await got.Body?.transformToString()).toBe('body');
      await expectS3Error(
        s3.send(new GetObjectCommand({ Bucket: bucket, Key: key, Range: 'bytes=5000-' })),
        'InvalidRange',
        416,
      );
    });

    it('group keys at a delimiter', async () => {
      const listed = await s3.send(
        new ListObjectsV2Command({ Bucket: bucket, Delimiter: '/', Prefix: 'album one/' }),
      );
      expect(listed.Contents?.map((object) => object.Key)).toEqual(['album one/track 01.flac']);
      const root = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Delimiter: '/' }));
      expect(root.CommonPrefixes?.map((prefix) => prefix.Prefix)).toContain('日本語/');
    });
  });
}

describe('embedded S3 server', () => {
  compatibilitySuite(async () => {
    const fixture = await startFixture();
    return { endpoint: fixture.server.endpoint, stop: () => fixture.close() };
  });
});

const moto = findExecutable('moto_server');
if (moto === undefined) {
  console.warn('moto_server is not on PATH: skipping the compatibility table against moto.');
}

describe.skipIf(moto === undefined)('moto_server (independent S3 implementation)', () => {
  compatibilitySuite(() => startMoto(moto ?? 'moto_server'));
});
