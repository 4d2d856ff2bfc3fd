import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { PutObjectCommand } from '@aws-sdk/client-s3';

import { startS3Origin } from '../support/s3-origin';
import type { S3Origin } from '../support/s3-origin';
import { createHarness, fetchRange, patternBytes, startSigningStack } from './signing-stack';
import type { SigningStack } from './signing-stack';

// Each name exercises a character that URL encoders, parsers or S3 treat specially.
const AWKWARD_KEYS = [
  'tracks/space in name.mp3',
  'tracks/ leading and trailing space .mp3',
  'tracks/plus+sign.mp3',
  'tracks/ampersand & co.mp3',
  'tracks/hash #1.mp3',
  'tracks/100% pure.mp3',
  'tracks/literal %20 escape.mp3',
  'tracks/question?.mp3',
  'tracks/(round) brackets.mp3',
  'tracks/[square] brackets.mp3',
  'tracks/{curly} brackets.mp3',
  'tracks/"double quotes".mp3',
  "tracks/it's single.mp3",
  'tracks/`backtick` ^caret |pipe.mp3',
  'tracks/back\\slash.mp3',
  'tracks/less<than>greater.mp3',
  'tracks/equals=semicolon;comma,.mp3',
  'tracks/dollar$ at@ colon: bang! star*.mp3',
  'tracks/tilde~ dash- underscore_.mp3',
  'tracks/Expires=1&Signature=abc&Key-Pair-Id=K.mp3',
  'tracks/Caf\u00e9 (NFC).mp3',
  'tracks/Cafe\u0301 (NFC).mp3'.replace('(NFC)', '(NFD)'),
  'tracks/\u00c5ngstr\u00f6m/NFC folder.mp3',
  'tracks/A\u030angstro\u0308m/NFD folder.mp3',
  'tracks/日本語/曲 第1番.mp3',
  'tracks/Ελληνικά/Τραγούδι.mp3',
  'tracks/emoji 🎵🎸.mp3',
  'tracks/trailing dot..mp3',
  'tracks/.../three dots.mp3',
  'tracks/deep/nested/folder/with many/levels.mp3',
];

const SIZE = 8 * 1024;
let stack: SigningStack;
// moto decodes paths and checks keys with code of its own, so S3 URLs are also fetched from it.
let moto: S3Origin;

beforeAll(async () => {
  stack = await startSigningStack();
  moto = await startS3Origin({ kind: 'moto' });
  for (const key of AWKWARD_KEYS) {
    await stack.put(key, patternBytes(key, SIZE));
    await moto.client.send(
      new PutObjectCommand({ Bucket: moto.bucket, Key: key, Body: patternBytes(key, SIZE) }),
    );
  }
});

afterAll(async () => {
  await stack?.close();
  await moto?.stop();
});

describe('awkward key names', () => {
  it('table covers NFC, NFD and 20+ keys', () => {
    expect(new Set(AWKWARD_KEYS).size).toBe(AWKWARD_KEYS.length);
    expect(AWKWARD_KEYS.length).toBeGreaterThanOrEqual(20);
    expect(AWKWARD_KEYS).toContain('tracks/Caf\u00e9 (NFC).mp3'.normalize('NFC'));
    expect(AWKWARD_KEYS.some((key) => key !== key.normalize('NFC'))).toBe(true);
  });

  const paths = [
    { name: 'CloudFront canned', cloudfront: { policy: 'canned' as const }, via: 'cloudfront' },
    { name: 'CloudFront custom', cloudfront: { policy: 'custom' as const }, via: 'cloudfront' },
    { name: 'S3 presigned', cloudfront: null, via: 's3' },
  ];

  for (const path of paths) {
    it(`${path.name} URLs fetch the right bytes`, async () => {
      const { signer } = createHarness(stack, { cloudfront: path.cloudfront });

      for (const key of AWKWARD_KEYS) {
        const playable = await signer.urlFor(key);
        expect(playable.via, key).toBe(path.via);

        const response = await fetchRange(playable.url, 'bytes=1024-2047');
        expect(response.status, key).toBe(206);
        expect(response.contentRange, key).toBe(`bytes 1024-2047/${SIZE}`);
        expect(response.body.equals(patternBytes(key, SIZE).subarray(1024, 2048)), key).toBe(true);
      }
    });
  }

  it('S3 presigned URLs fetch the right bytes from moto', async () => {
    const { signer } = createHarness(stack, {
      cloudfront: null,
      config: { bucket: moto.bucket },
      deps: { s3: moto.client },
    });

    for (const key of AWKWARD_KEYS) {
      const playable = await signer.urlFor(key);
      expect(playable.url.startsWith(`${moto.endpoint}/`), key).toBe(true);

      const response = await fetchRange(playable.url, 'bytes=1024-2047');
      expect(response.status, key).toBe(206);
      expect(response.body.equals(patternBytes(key, SIZE).subarray(1024, 2048)), key).toBe(true);
    }
  });

  it('edge receives exactly the URL that was signed', async () => {
    const { signer } = createHarness(stack);

    for (const key of AWKWARD_KEYS) {
      const playable = await signer.urlFor(key);
      await fetchRange(playable.url, 'bytes=0-0');

      const received = stack.edge.requests.at(-1);
      expect(received?.rawUrl, key).toBe(playable.url.slice(stack.edge.origin.length));
      expect(received?.decision, key).toBe('allowed');
    }
  });
});
