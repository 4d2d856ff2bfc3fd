import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createClock } from '../../electron/main/signing/clock';
import { presignedUrlExpiry } from '../../electron/main/signing/s3-presign';
import { createMemoryLogger } from '../support/memory-logger';
import { createHarness, fetchRange, startSigningStack } from './signing-stack';
import type { SigningStack } from './signing-stack';

// The S3 origin and the edge both run on real time, so a local clock one hour behind puts the
// servers one hour ahead of the signer, as on a machine whose clock is wrong. The origin is the
// embedded server, which rejects expired and not yet valid presigned URLs as S3 does.
const HOUR = 3_600_000;
const KEY = 'tracks/skew/track.ogg';
const SHORT_LIFETIME_SECONDS = 60;

let stack: SigningStack;

beforeAll(async () => {
  stack = await startSigningStack();
  await stack.put(KEY, 'skewed clock content');
});

afterAll(async () => {
  await stack?.close();
});

function laggingSigner(options: {
  learn: boolean;
  syncClockOnFirstUse: boolean;
  cloudfront?: boolean;
}) {
  const logs = createMemoryLogger();
  const clock = createClock({
    logger: logs.logger,
    localNow: () => Date.now() - HOUR,
    learn: options.learn,
  });
  return createHarness(stack, {
    clock,
    logs,
    config: { urlLifetimeSeconds: SHORT_LIFETIME_SECONDS },
    deps: { syncClockOnFirstUse: options.syncClockOnFirstUse },
    ...(options.cloudfront === false ? { cloudfront: null } : {}),
  });
}

/** Reads the server time from the `Date` header of a request to the S3 origin. */
async function s3ServerTime(): Promise<number> {
  const response = await fetch(stack.origin.endpoint);
  await response.arrayBuffer();
  return Date.parse(response.headers.get('date') ?? '');
}

describe('clock skew', () => {
  it('corrected clock makes short-lived CloudFront URLs work', async () => {
    const { signer, clock } = laggingSigner({ learn: true, syncClockOnFirstUse: true });

    const playable = await signer.urlFor(KEY);
    expect(Math.abs(clock.offsetMs() - HOUR)).toBeLessThan(5000);
    expect(Date.parse(playable.expiresAt)).toBeGreaterThan(Date.now());

    const response = await fetchRange(playable.url, 'bytes=0-4');
    expect(response.status).toBe(206);
    expect(response.body.toString()).toBe('skewe');
  });

  it('uncorrected clock makes them expire at the edge', async () => {
    const { signer } = laggingSigner({ learn: false, syncClockOnFirstUse: true });

    const playable = await signer.urlFor(KEY);
    const response = await fetchRange(playable.url, 'bytes=0-4');
    expect(response.status).toBe(403);
    expect(stack.edge.requests.at(-1)?.decision).toBe('expired');
  });

  it('probe of an expired URL corrects the clock', async () => {
    const { signer, clock } = laggingSigner({ learn: true, syncClockOnFirstUse: false });

    const stale = await signer.urlFor(KEY);
    expect((await fetchRange(stale.url, 'bytes=0-0')).status).toBe(403);

    const fresh = await signer.urlFor(KEY, { failedUrl: stale.url });
    expect(Math.abs(clock.offsetMs() - HOUR)).toBeLessThan(5000);
    expect(fresh.via).toBe('cloudfront');
    expect(fresh.fallbackReason).toBeNull();
    expect((await fetchRange(fresh.url, 'bytes=0-0')).status).toBe(206);
  });

  it('corrected clock dates S3 URLs', async () => {
    const { signer } = laggingSigner({ learn: true, syncClockOnFirstUse: true, cloudfront: false });

    const playable = await signer.urlFor(KEY);
    const expiresAt = presignedUrlExpiry(new URL(playable.url)) ?? 0;
    const signedAt = expiresAt - SHORT_LIFETIME_SECONDS * 1000;
    expect(Math.abs(signedAt - (await s3ServerTime()))).toBeLessThan(5000);
    expect(Date.parse(playable.expiresAt)).toBe(expiresAt);

    const response = await fetchRange(playable.url, 'bytes=0-4');
    expect(response.status).toBe(206);
    expect(response.body.toString()).toBe('skewe');
  });

  it('uncorrected clock makes S3 URLs expire at S3', async () => {
    const { signer } = laggingSigner({
      learn: false,
      syncClockOnFirstUse: true,
      cloudfront: false,
    });

    const playable = await signer.urlFor(KEY);
    const expiresAt = presignedUrlExpiry(new URL(playable.url)) ?? 0;
    expect((await s3ServerTime()) - expiresAt).toBeGreaterThan(
      HOUR - SHORT_LIFETIME_SECONDS * 1000 - 5000,
    );

    const response = await fetchRange(playable.url, 'bytes=0-4');
    expect(response.status).toBe(403);
    expect(response.body.toString()).toContain('<Code>AccessDenied</Code>');
    expect(response.body.toString()).toContain('<Message>Request has expired</Message>');
  });

  it('probe of an expired S3 URL corrects the clock', async () => {
    const { signer, clock } = laggingSigner({
      learn: true,
      syncClockOnFirstUse: false,
      cloudfront: false,
    });

    const stale = await signer.urlFor(KEY);
    expect((await fetchRange(stale.url, 'bytes=0-0')).status).toBe(403);

    const fresh = await signer.urlFor(KEY, { failedUrl: stale.url });
    expect(Math.abs(clock.offsetMs() - HOUR)).toBeLessThan(5000);
    expect(fresh.via).toBe('s3');
    expect(fresh.fallbackReason).toBeNull();
    expect((await fetchRange(fresh.url, 'bytes=0-0')).status).toBe(206);
  });

  it('fast clock makes S3 URLs not yet valid', async () => {
    const logs = createMemoryLogger();
    const clock = createClock({ logger: logs.logger, localNow: () => Date.now() + HOUR });
    const { signer } = createHarness(stack, {
      clock,
      logs,
      cloudfront: null,
      config: { urlLifetimeSeconds: SHORT_LIFETIME_SECONDS },
      deps: { syncClockOnFirstUse: false },
    });

    const early = await signer.urlFor(KEY);
    const rejected = await fetchRange(early.url, 'bytes=0-0');
    expect(rejected.status).toBe(403);
    expect(rejected.body.toString()).toContain('<Message>Request is not valid yet</Message>');

    const fresh = await signer.urlFor(KEY, { failedUrl: early.url });
    expect(Math.abs(clock.offsetMs() + HOUR)).toBeLessThan(5000);
    expect(fresh.via).toBe('s3');
    expect((await fetchRange(fresh.url, 'bytes=0-0')).status).toBe(206);
  });
});
