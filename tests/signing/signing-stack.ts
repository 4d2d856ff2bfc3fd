import { PutObjectCommand } from '@aws-sdk/client-s3';

import { createClock } from '../../electron/main/signing/clock';
import type { Clock } from '../../electron/main/signing/clock';
import { createSigner } from '../../electron/main/signing/signer';
import type { Signer, SignerConfig, SignerDeps } from '../../electron/main/signing/signer';
import { startCloudFrontEdge } from '../support/cloudfront-edge';
import type { CloudFrontEdge } from '../support/cloudfront-edge';
import { generateTestKeyPair } from '../support/key-pairs';
import type { TestKeyPair } from '../support/key-pairs';
import { createMemoryLogger } from '../support/memory-logger';
import type { MemoryLogger } from '../support/memory-logger';
import { startS3Origin } from '../support/s3-origin';
import type { S3Origin } from '../support/s3-origin';

/** S3 origin, CloudFront-like edge trusting key pair `primary`, and a spare key pair. */
export interface SigningStack {
  origin: S3Origin;
  edge: CloudFrontEdge;
  primary: TestKeyPair;
  secondary: TestKeyPair;
  /** Uploads an object to the origin bucket. */
  put(key: string, body: Uint8Array | string): Promise<void>;
  close(): Promise<void>;
}

/** Starts the origin and the edge; the edge trusts only `primary` until a test changes it. */
export async function startSigningStack(): Promise<SigningStack> {
  const origin = await startS3Origin();
  const primary = generateTestKeyPair('K2PRIMARYTEST');
  const secondary = generateTestKeyPair('K2SECONDARYTEST');
  let edge: CloudFrontEdge;
  try {
    edge = await startCloudFrontEdge({
      origin: { client: origin.client, bucket: origin.bucket },
      trustedKeys: { [primary.id]: primary.publicKeyPem },
    });
  } catch (error) {
    await origin.stop();
    throw error;
  }

  return {
    origin,
    edge,
    primary,
    secondary,
    async put(key, body) {
      await origin.client.send(
        new PutObjectCommand({ Bucket: origin.bucket, Key: key, Body: body }),
      );
    },
    async close() {
      await edge.close();
      await origin.stop();
    },
  };
}

/** Signer under test with its mutable configuration, clock and captured logs. */
export interface SignerHarness {
  signer: Signer;
  config: SignerConfig;
  clock: Clock;
  logs: MemoryLogger;
}

/** Options of {@link createHarness}. */
export interface HarnessOptions {
  config?: Partial<SignerConfig>;
  cloudfront?: Partial<NonNullable<SignerConfig['cloudfront']>> | null;
  clock?: Clock;
  /** Logger shared with a clock the test built; a new one when absent. */
  logs?: MemoryLogger;
  deps?: Partial<Omit<SignerDeps, 'config' | 'clock' | 'logger'>>;
}

/** Builds a signer that signs CloudFront URLs for the stack's edge with the primary key pair. */
export function createHarness(stack: SigningStack, options: HarnessOptions = {}): SignerHarness {
  const logs = options.logs ?? createMemoryLogger();
  const clock = options.clock ?? createClock({ logger: logs.logger });
  const cloudfront =
    options.cloudfront === null
      ? null
      : {
          domain: stack.edge.origin,
          keyPairs: [{ id: stack.primary.id, privateKeyPem: stack.primary.privateKeyPem }],
          activeKeyPairId: stack.primary.id,
          policy: 'canned' as const,
          resource: null,
          ipRange: null,
          ...options.cloudfront,
        };
  const config: SignerConfig = {
    bucket: stack.origin.bucket,
    urlLifetimeSeconds: 3600,
    cloudfront,
    ...options.config,
  };
  const signer = createSigner({
    s3: stack.origin.client,
    config: () => config,
    clock,
    logger: logs.logger,
    ...options.deps,
  });
  return { signer, config, clock, logs };
}

/** Fetches `url` with a Range header and returns status, Content-Range and body bytes. */
export async function fetchRange(
  url: string,
  range: string,
): Promise<{ status: number; contentRange: string | null; body: Buffer }> {
  const response = await fetch(url, { headers: { Range: range } });
  const body = Buffer.from(await response.arrayBuffer());
  return { status: response.status, contentRange: response.headers.get('content-range'), body };
}

/** Returns `size` deterministic bytes derived from `seed`, so each object's content differs. */
export function patternBytes(seed: string, size: number): Buffer {
  const bytes = Buffer.alloc(size);
  let state = 2166136261;
  for (const character of seed) {
    state = Math.imul(state ^ (character.codePointAt(0) ?? 0), 16777619) >>> 0;
  }
  for (let index = 0; index < size; index += 1) {
    state = Math.imul(state ^ index, 16777619) >>> 0;
    bytes[index] = state & 0xff;
  }
  return bytes;
}
