import { once } from 'node:events';
import { createServer } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';

import { S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createClock } from '../../electron/main/signing/clock';
import type { MemoryLogger } from '../support/memory-logger';
import { createMemoryLogger } from '../support/memory-logger';
import { TEST_CREDENTIALS } from '../support/s3-servers';
import { createHarness, fetchRange, patternBytes, startSigningStack } from './signing-stack';
import type { SigningStack } from './signing-stack';

const KEY = 'tracks/Fallback/Song (live).mp3';
const CONTENT = patternBytes(KEY, 32 * 1024);
const WARN = 40;
const ERROR = 50;

let stack: SigningStack;

beforeAll(async () => {
  stack = await startSigningStack();
  await stack.put(KEY, CONTENT);
});

afterAll(async () => {
  await stack?.close();
});

/** Clock whose local time the test moves forward, sharing one logger with the signer. */
function steppedClock(logs: MemoryLogger): {
  clock: ReturnType<typeof createClock>;
  advance(ms: number): void;
} {
  let shift = 0;
  const clock = createClock({ logger: logs.logger, localNow: () => Date.now() + shift });
  return {
    clock,
    advance(ms) {
      shift += ms;
    },
  };
}

/** Starts a TCP server on 127.0.0.1 that accepts connections and never replies. */
async function startSilentServer(): Promise<{ origin: string; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    async close() {
      for (const socket of sockets) {
        socket.destroy();
      }
      server.close();
      await once(server, 'close');
    },
  };
}

/** Checks that no log line carries signing material or a signed URL. */
function expectNoSecrets(logs: MemoryLogger, urls: string[]): void {
  const text = logs.text();
  for (const marker of [
    'Signature=',
    'X-Amz-Signature',
    'X-Amz-Credential',
    'Policy=',
    'PRIVATE KEY',
  ]) {
    expect(text).not.toContain(marker);
  }
  for (const url of urls) {
    const parsed = new URL(url);
    const signature =
      parsed.searchParams.get('Signature') ?? parsed.searchParams.get('X-Amz-Signature');
    expect(signature).not.toBeNull();
    expect(text).not.toContain(signature);
    expect(text).not.toContain(url);
  }
}

describe('S3 fallback', () => {
  it('no CloudFront means S3 without reason', async () => {
    const { signer } = createHarness(stack, { cloudfront: null });

    const playable = await signer.urlFor(KEY);
    expect(playable.via).toBe('s3');
    expect(playable.fallbackReason).toBeNull();

    const response = await fetchRange(playable.url, 'bytes=100-199');
    expect(response.status).toBe(206);
    expect(response.body.equals(CONTENT.subarray(100, 200))).toBe(true);
  });

  it('expired CloudFront URL gets a fresh CloudFront URL', async () => {
    const logs = createMemoryLogger();
    const { clock, advance } = steppedClock(logs);
    const { signer } = createHarness(stack, { clock, logs, config: { urlLifetimeSeconds: 60 } });

    const first = await signer.urlFor(KEY);
    advance(120_000);
    stack.edge.setClockOffset(120_000);
    try {
      expect((await fetchRange(first.url, 'bytes=0-0')).status).toBe(403);
      expect(stack.edge.requests.at(-1)?.decision).toBe('expired');

      const requestsBefore = stack.edge.requests.length;
      const fresh = await signer.urlFor(KEY, { failedUrl: first.url });
      expect(stack.edge.requests.length - requestsBefore).toBe(1);
      expect(stack.edge.requests.at(-1)?.range).toBe('bytes=0-0');
      expect(fresh.via).toBe('cloudfront');
      expect(fresh.fallbackReason).toBeNull();
      expect(fresh.url).not.toBe(first.url);
      expect(clock.offsetMs()).toBe(0);

      const response = await fetchRange(fresh.url, 'bytes=0-9');
      expect(response.status).toBe(206);
    } finally {
      stack.edge.setClockOffset(0);
    }
  });

  it('untrusted key 403 starts S3 cool-down', async () => {
    const logs = createMemoryLogger();
    const { clock, advance } = steppedClock(logs);
    const { signer } = createHarness(stack, {
      clock,
      logs,
      cloudfront: {
        keyPairs: [{ id: stack.secondary.id, privateKeyPem: stack.secondary.privateKeyPem }],
        activeKeyPairId: stack.secondary.id,
      },
      deps: { fallbackCooldownMs: 300_000 },
    });

    const broken = await signer.urlFor(KEY);
    expect(broken.via).toBe('cloudfront');
    expect((await fetchRange(broken.url, 'bytes=0-0')).status).toBe(403);

    const fallback = await signer.urlFor(KEY, { failedUrl: broken.url });
    expect(fallback.via).toBe('s3');
    expect(fallback.fallbackReason).toBe('CloudFront answered 403 Forbidden; playing from S3');
    const response = await fetchRange(fallback.url, 'bytes=0-99');
    expect(response.status).toBe(206);
    expect(response.body.equals(CONTENT.subarray(0, 100))).toBe(true);

    const again = await signer.urlFor(KEY);
    expect(again.via).toBe('s3');
    expect(again.fallbackReason).toBe(fallback.fallbackReason);
    await signer.urlFor(KEY, { failedUrl: broken.url });
    expect(logs.at(WARN)).toHaveLength(1);

    advance(301_000);
    const afterCooldown = await signer.urlFor(KEY);
    expect(afterCooldown.via).toBe('cloudfront');
    expectNoSecrets(logs, [broken.url, fallback.url]);
  });

  it('logs the fallback warning once per cool-down', async () => {
    const { signer, logs } = createHarness(stack, {
      cloudfront: {
        keyPairs: [{ id: stack.secondary.id, privateKeyPem: stack.secondary.privateKeyPem }],
        activeKeyPairId: stack.secondary.id,
      },
    });

    const broken = await signer.urlFor(KEY);
    for (let attempt = 0; attempt < 3; attempt += 1) {
      await signer.urlFor(KEY, { failedUrl: broken.url });
      await signer.urlFor(KEY);
    }
    const warnings = logs.at(WARN);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.key).toBe(KEY);
    expect(warnings[0]?.reason).toBe('CloudFront answered 403 Forbidden; playing from S3');
    expectNoSecrets(logs, [broken.url]);
  });

  it('invalid private key uses S3', async () => {
    const { signer, logs } = createHarness(stack, {
      cloudfront: {
        keyPairs: [
          {
            id: stack.primary.id,
            privateKeyPem: '-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n',
          },
        ],
      },
    });

    const first = await signer.urlFor(KEY);
    const second = await signer.urlFor('tracks/another.mp3');
    for (const playable of [first, second]) {
      expect(playable.via).toBe('s3');
      expect(playable.fallbackReason).toMatch(
        /^the private key of CloudFront key pair K2PRIMARYTEST is not a readable PEM private key/,
      );
      expect(playable.fallbackReason).toMatch(/; playing from S3$/);
    }
    expect(logs.at(ERROR)).toHaveLength(1);
    expect(logs.at(ERROR)[0]?.keyPairId).toBe(stack.primary.id);
    expect(logs.at(WARN)).toHaveLength(1);
    expectNoSecrets(logs, [first.url]);
  });

  it('short RSA key uses S3', async () => {
    const { generateKeyPairSync } = await import('node:crypto');
    const { privateKey } = generateKeyPairSync('rsa', {
      modulusLength: 1024,
      privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
      publicKeyEncoding: { type: 'spki', format: 'pem' },
    });
    const { signer } = createHarness(stack, {
      cloudfront: { keyPairs: [{ id: stack.primary.id, privateKeyPem: privateKey }] },
    });

    const playable = await signer.urlFor(KEY);
    expect(playable.via).toBe('s3');
    expect(playable.fallbackReason).toContain('has 1024 bits');
  });

  it('unknown active key id uses S3', async () => {
    const { signer } = createHarness(stack, { cloudfront: { activeKeyPairId: 'KUNKNOWN' } });

    const playable = await signer.urlFor(KEY);
    expect(playable.via).toBe('s3');
    expect(playable.fallbackReason).toBe(
      `the active CloudFront key pair KUNKNOWN is not among the configured key pairs (${stack.primary.id}); playing from S3`,
    );
  });

  it('5xx from CloudFront falls back to S3', async () => {
    const { signer } = createHarness(stack);

    const playable = await signer.urlFor(KEY);
    stack.edge.setOriginFault(503);
    try {
      expect((await fetchRange(playable.url, 'bytes=0-0')).status).toBe(503);
      const fallback = await signer.urlFor(KEY, { failedUrl: playable.url });
      expect(fallback.via).toBe('s3');
      expect(fallback.fallbackReason).toBe(
        'CloudFront answered 503 Service Unavailable; playing from S3',
      );
    } finally {
      stack.edge.setOriginFault(null);
    }
  });

  it('unreachable CloudFront falls back to S3', async () => {
    const { startCloudFrontEdge } = await import('../support/cloudfront-edge');
    const closedEdge = await startCloudFrontEdge({
      origin: { client: stack.origin.client, bucket: stack.origin.bucket },
      trustedKeys: {},
    });
    await closedEdge.close();
    const { signer } = createHarness(stack, { cloudfront: { domain: closedEdge.origin } });

    const playable = await signer.urlFor(KEY);
    const fallback = await signer.urlFor(KEY, { failedUrl: playable.url });
    expect(fallback.via).toBe('s3');
    expect(fallback.fallbackReason).toBe(
      'CloudFront could not be reached (ECONNREFUSED); playing from S3',
    );
  });

  it('404 on both paths ends in NotFound', async () => {
    const missing = 'tracks/Fallback/missing.mp3';
    const { signer } = createHarness(stack);

    const playable = await signer.urlFor(missing);
    expect((await fetchRange(playable.url, 'bytes=0-0')).status).toBe(404);
    const fallback = await signer.urlFor(missing, { failedUrl: playable.url });
    expect(fallback.via).toBe('s3');
    expect(fallback.fallbackReason).toBe('CloudFront answered 404 Not Found; playing from S3');

    await expect(signer.urlFor(missing, { failedUrl: fallback.url })).rejects.toMatchObject({
      name: 'NotFound',
      message: `track ${missing} is not in bucket ${stack.origin.bucket}; refresh the library`,
    });
  });

  it('failed S3 URL gets a fresh S3 URL', async () => {
    const { signer } = createHarness(stack, { cloudfront: null });

    const first = await signer.urlFor(KEY);
    const fresh = await signer.urlFor(KEY, { failedUrl: first.url });
    expect(fresh.via).toBe('s3');
    expect(fresh.fallbackReason).toBeNull();
    expect((await fetchRange(fresh.url, 'bytes=0-0')).status).toBe(206);
  });

  it('expired S3 URL gets a fresh S3 URL', async () => {
    const logs = createMemoryLogger();
    const { clock, advance } = steppedClock(logs);
    const { signer } = createHarness(stack, {
      clock,
      logs,
      cloudfront: null,
      config: { urlLifetimeSeconds: 60 },
    });

    const first = await signer.urlFor(KEY);
    advance(120_000);
    stack.origin.setClockOffset(120_000);
    try {
      const rejected = await fetchRange(first.url, 'bytes=0-0');
      expect(rejected.status).toBe(403);
      expect(rejected.body.toString()).toContain('<Message>Request has expired</Message>');

      const fresh = await signer.urlFor(KEY, { failedUrl: first.url });
      expect(fresh.via).toBe('s3');
      expect(fresh.fallbackReason).toBeNull();
      expect(fresh.url).not.toBe(first.url);
      expect(clock.offsetMs()).toBe(0);

      const response = await fetchRange(fresh.url, 'bytes=10-19');
      expect(response.status).toBe(206);
      expect(response.body.equals(CONTENT.subarray(10, 20))).toBe(true);
    } finally {
      stack.origin.setClockOffset(0);
    }
  });

  it('S3 rejecting a current URL is StorageUnavailable', async () => {
    const wrongSecret = stack.origin.createClient({
      credentials: { ...TEST_CREDENTIALS, secretAccessKey: 'not-the-secret-the-server-knows' },
    });
    try {
      const { signer, logs } = createHarness(stack, {
        cloudfront: null,
        deps: { s3: wrongSecret },
      });

      const rejected = await signer.urlFor(KEY);
      const response = await fetchRange(rejected.url, 'bytes=0-0');
      expect(response.status).toBe(403);
      expect(response.body.toString()).toContain('<Code>SignatureDoesNotMatch</Code>');

      await expect(signer.urlFor(KEY, { failedUrl: rejected.url })).rejects.toMatchObject({
        name: 'StorageUnavailable',
        message: `S3 answered 403 Forbidden for ${KEY}; check the bucket and its credentials`,
      });
      expect(logs.at(ERROR)).toHaveLength(1);
      expectNoSecrets(logs, [rejected.url]);
    } finally {
      wrongSecret.destroy();
    }
  });

  it('failed URL on another host is not probed', async () => {
    const { signer, logs } = createHarness(stack);
    const requestsBefore = stack.edge.requests.length;

    const fresh = await signer.urlFor(KEY, { failedUrl: 'http://127.0.0.1:9/tracks/x.mp3' });
    expect(fresh.via).toBe('cloudfront');
    expect(stack.edge.requests.length).toBe(requestsBefore);
    expect(logs.at(WARN)).toHaveLength(1);
  });

  it('silent CloudFront times out to S3', async () => {
    const silent = await startSilentServer();
    try {
      const { signer } = createHarness(stack, {
        cloudfront: { domain: silent.origin },
        deps: { probeTimeoutMs: 200 },
      });

      const playable = await signer.urlFor(KEY);
      const fallback = await signer.urlFor(KEY, { failedUrl: playable.url });
      expect(fallback.via).toBe('s3');
      expect(fallback.fallbackReason).toBe(
        'CloudFront could not be reached (timed out); playing from S3',
      );
    } finally {
      await silent.close();
    }
  });

  it('silent S3 leaves the clock uncorrected', async () => {
    const silent = await startSilentServer();
    const s3 = new S3Client({
      endpoint: silent.origin,
      region: 'us-east-1',
      forcePathStyle: true,
      maxAttempts: 1,
      credentials: {
        accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
        secretAccessKey: 'test-secret-key-for-presigning',
      },
    });
    try {
      const { signer, logs, clock } = createHarness(stack, {
        cloudfront: null,
        deps: { s3, probeTimeoutMs: 200 },
      });

      const playable = await signer.urlFor(KEY);
      expect(playable.via).toBe('s3');
      expect(clock.offsetMs()).toBe(0);
      const warnings = logs.at(WARN);
      expect(warnings).toHaveLength(1);
      expect(warnings[0]?.msg).toBe(
        'could not read the S3 server time; signing with the local clock',
      );
    } finally {
      s3.destroy();
      await silent.close();
    }
  });
});
