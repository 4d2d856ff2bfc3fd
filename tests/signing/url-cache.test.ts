import { S3Client } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';

import { createClock } from '../../electron/main/signing/clock';
import { createSigner } from '../../electron/main/signing/signer';
import type { SignerConfig } from '../../electron/main/signing/signer';
import { refreshMarginMs } from '../../electron/main/signing/url-cache';
import { generateTestKeyPair } from '../support/key-pairs';
import { createMemoryLogger } from '../support/memory-logger';

const KEY = 'tracks/cache/track.flac';
const primary = generateTestKeyPair('KCACHEPRIMARY');
const secondary = generateTestKeyPair('KCACHESECONDARY');

/**
 * Signer on a manual clock. Signing needs no network: CloudFront URLs are signed locally and
 * S3 presigning only computes, so the endpoint below is never contacted.
 */
function manualSigner(
  options: { lifetimeSeconds?: number; cacheEntries?: number; cloudfront?: boolean } = {},
) {
  const logs = createMemoryLogger();
  let localTime = Date.UTC(2026, 0, 1);
  const clock = createClock({ logger: logs.logger, localNow: () => localTime });
  const config: SignerConfig = {
    bucket: 'cratebox-cache-test',
    urlLifetimeSeconds: options.lifetimeSeconds ?? 3600,
    cloudfront:
      options.cloudfront === false
        ? null
        : {
            domain: 'd111111abcdef8.cloudfront.net',
            keyPairs: [primary, secondary].map(({ id, privateKeyPem }) => ({ id, privateKeyPem })),
            activeKeyPairId: primary.id,
            policy: 'canned',
            resource: null,
            ipRange: null,
          },
  };
  const s3 = new S3Client({
    endpoint: 'http://127.0.0.1:1',
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: {
      accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
      secretAccessKey: 'test-secret-key-for-presigning',
    },
  });
  const signer = createSigner({
    s3,
    config: () => config,
    clock,
    logger: logs.logger,
    syncClockOnFirstUse: false,
    ...(options.cacheEntries === undefined ? {} : { cacheEntries: options.cacheEntries }),
  });
  return {
    signer,
    config,
    advanceSeconds(seconds: number) {
      localTime += seconds * 1000;
    },
  };
}

describe('URL cache', () => {
  it('refresh margin is 10% of the lifetime or 60 s', () => {
    expect(refreshMarginMs(3_600_000)).toBe(360_000);
    expect(refreshMarginMs(300_000)).toBe(60_000);
    expect(refreshMarginMs(60_000)).toBe(60_000);
  });

  it('reuses a CloudFront URL for repeated plays', async () => {
    const { signer, advanceSeconds } = manualSigner();

    const first = await signer.urlFor(KEY);
    advanceSeconds(600);
    const second = await signer.urlFor(KEY);
    expect(second).toBe(first);
  });

  it('signs anew inside the margin', async () => {
    const { signer, advanceSeconds } = manualSigner({ lifetimeSeconds: 3600 });

    const first = await signer.urlFor(KEY);
    advanceSeconds(3600 - 361);
    expect((await signer.urlFor(KEY)).url).toBe(first.url);

    advanceSeconds(2);
    const refreshed = await signer.urlFor(KEY);
    expect(refreshed.url).not.toBe(first.url);
    expect(Date.parse(refreshed.expiresAt)).toBe(Date.parse(first.expiresAt) + (3600 - 359) * 1000);
  });

  it('applies the 60 s floor to short lifetimes', async () => {
    const { signer, advanceSeconds } = manualSigner({ lifetimeSeconds: 300 });

    const first = await signer.urlFor(KEY);
    advanceSeconds(239);
    expect((await signer.urlFor(KEY)).url).toBe(first.url);
    advanceSeconds(2);
    expect((await signer.urlFor(KEY)).url).not.toBe(first.url);
  });

  it('signs anew after the active key changes', async () => {
    const { signer, config } = manualSigner();

    const first = await signer.urlFor(KEY);
    if (config.cloudfront === null) {
      throw new Error('the test configures CloudFront');
    }
    config.cloudfront.activeKeyPairId = secondary.id;
    const second = await signer.urlFor(KEY);
    expect(new URL(second.url).searchParams.get('Key-Pair-Id')).toBe(secondary.id);
    expect(second.url).not.toBe(first.url);
  });

  it('signs anew after the policy changes', async () => {
    const { signer, config } = manualSigner();

    const first = await signer.urlFor(KEY);
    if (config.cloudfront === null) {
      throw new Error('the test configures CloudFront');
    }
    config.cloudfront.policy = 'custom';
    const second = await signer.urlFor(KEY);
    expect(new URL(second.url).searchParams.has('Policy')).toBe(true);
    expect(new URL(first.url).searchParams.has('Policy')).toBe(false);
  });

  it('reuses S3 presigned URLs too', async () => {
    const { signer, advanceSeconds } = manualSigner({ cloudfront: false });

    const first = await signer.urlFor(KEY);
    advanceSeconds(600);
    expect(await signer.urlFor(KEY)).toBe(first);
  });

  it('zero entries disables the cache', async () => {
    const { signer, advanceSeconds } = manualSigner({ cacheEntries: 0 });

    const first = await signer.urlFor(KEY);
    advanceSeconds(1);
    expect((await signer.urlFor(KEY)).url).not.toBe(first.url);
  });

  it('evicts the least recently used track', async () => {
    const { signer, advanceSeconds } = manualSigner({ cacheEntries: 2 });
    const [a, b, c] = ['tracks/a.mp3', 'tracks/b.mp3', 'tracks/c.mp3'];

    const firstA = await signer.urlFor(a);
    const firstB = await signer.urlFor(b);
    advanceSeconds(1);
    expect((await signer.urlFor(a)).url).toBe(firstA.url);
    await signer.urlFor(c);

    expect((await signer.urlFor(a)).url).toBe(firstA.url);
    expect((await signer.urlFor(b)).url).not.toBe(firstB.url);
  });
});
