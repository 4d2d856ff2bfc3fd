import { generateKeyPairSync } from 'node:crypto';
import { performance } from 'node:perf_hooks';

import { S3Client } from '@aws-sdk/client-s3';
import pino from 'pino';

import { createClock } from '../electron/main/signing/clock';
import { signCloudFrontUrl } from '../electron/main/signing/cloudfront-signing';
import { createSigner } from '../electron/main/signing/signer';
import type { SignerConfig } from '../electron/main/signing/signer';

/** Measured signing throughput and per-play cost. */
export interface SigningBenchResult {
  cannedSignaturesPerSecond: number;
  customSignaturesPerSecond: number;
  s3PresignsPerSecond: number;
  /** Mean time of one `urlFor` call, in microseconds, signing every time. */
  microsecondsPerPlayWithoutCache: number;
  /** Mean time of one `urlFor` call, in microseconds, when the URL is cached. */
  microsecondsPerPlayWithCache: number;
  iterations: number;
}

/**
 * Measures CloudFront signatures per second (canned and custom policy, 2048-bit RSA), S3
 * presigns per second, and the cost of one play request with and without the URL cache.
 * Runs offline: nothing is sent to the S3 endpoint or the CloudFront domain.
 */
export async function benchmarkSigning(iterations = 2000): Promise<SigningBenchResult> {
  const { privateKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  const keyPair = { id: 'KBENCH', privateKeyPem: privateKey };
  const origin = 'https://d111111abcdef8.cloudfront.net';
  const expiresEpochSeconds = Math.floor(Date.now() / 1000) + 3600;

  const signaturesPerSecond = (policy: 'canned' | 'custom'): number =>
    perSecond(iterations, (index) =>
      signCloudFrontUrl({
        origin,
        key: `tracks/bench/${index}.mp3`,
        keyPair,
        policy,
        resource: policy === 'custom' ? `${origin}/tracks/*` : null,
        ipRange: null,
        expiresEpochSeconds,
      }),
    );
  const cannedSignaturesPerSecond = signaturesPerSecond('canned');
  const customSignaturesPerSecond = signaturesPerSecond('custom');

  const logger = pino({ level: 'silent' });
  const s3 = new S3Client({
    endpoint: 'http://127.0.0.1:1',
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: {
      accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
      secretAccessKey: 'bench-secret-key-not-used',
    },
  });
  const cloudFrontConfig: SignerConfig = {
    bucket: 'cratebox-bench',
    urlLifetimeSeconds: 3600,
    cloudfront: {
      domain: origin,
      keyPairs: [keyPair],
      activeKeyPairId: keyPair.id,
      policy: 'canned',
      resource: null,
      ipRange: null,
    },
  };
  const signerWith = (cacheEntries: number, config: SignerConfig) =>
    createSigner({
      s3,
      config: () => config,
      clock: createClock({ logger }),
      logger,
      cacheEntries,
      syncClockOnFirstUse: false,
    });

  const s3Signer = signerWith(0, { ...cloudFrontConfig, cloudfront: null });
  const s3PresignsPerSecond = await perSecondAsync(iterations, (index) =>
    s3Signer.urlFor(`tracks/bench/${index}.mp3`),
  );

  const uncached = signerWith(0, cloudFrontConfig);
  const cached = signerWith(100, cloudFrontConfig);
  const key = 'tracks/bench/repeated play.mp3';
  await cached.urlFor(key);
  const microsecondsPerPlayWithoutCache =
    1e6 / (await perSecondAsync(iterations, () => uncached.urlFor(key)));
  const microsecondsPerPlayWithCache =
    1e6 / (await perSecondAsync(iterations, () => cached.urlFor(key)));
  s3.destroy();

  return {
    cannedSignaturesPerSecond: Math.round(cannedSignaturesPerSecond),
    customSignaturesPerSecond: Math.round(customSignaturesPerSecond),
    s3PresignsPerSecond: Math.round(s3PresignsPerSecond),
    microsecondsPerPlayWithoutCache: round(microsecondsPerPlayWithoutCache),
    microsecondsPerPlayWithCache: round(microsecondsPerPlayWithCache),
    iterations,
  };
}

function perSecond(iterations: number, run: (index: number) => unknown): number {
  run(-1);
  const started = performance.now();
  for (let index = 0; index < iterations; index += 1) {
    run(index);
  }
  return (iterations * 1000) / (performance.now() - started);
}

async function perSecondAsync(
  iterations: number,
  run: (index: number) => Promise<unknown>,
): Promise<number> {
  await run(-1);
  const started = performance.now();
  for (let index = 0; index < iterations; index += 1) {
    await run(index);
  }
  return (iterations * 1000) / (performance.now() - started);
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}
