import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createHarness, fetchRange, patternBytes, startSigningStack } from './signing-stack';
import type { SigningStack } from './signing-stack';

const KEY = 'tracks/Artist/Album/01 Opening.mp3';
const CONTENT = patternBytes(KEY, 64 * 1024);

let stack: SigningStack;

beforeAll(async () => {
  stack = await startSigningStack();
  await stack.put(KEY, CONTENT);
});

afterAll(async () => {
  await stack?.close();
});

describe('CloudFront signed URLs', () => {
  it('canned policy URL streams a range as 206', async () => {
    const { signer } = createHarness(stack, { cloudfront: { policy: 'canned' } });

    const playable = await signer.urlFor(KEY);
    expect(playable.via).toBe('cloudfront');
    expect(playable.fallbackReason).toBeNull();
    expect(new URL(playable.url).searchParams.has('Expires')).toBe(true);

    const response = await fetchRange(playable.url, 'bytes=1000-1999');
    expect(response.status).toBe(206);
    expect(response.contentRange).toBe(`bytes 1000-1999/${CONTENT.length}`);
    expect(response.body.equals(CONTENT.subarray(1000, 2000))).toBe(true);
    expect(stack.edge.requests.at(-1)?.decision).toBe('allowed');
  });

  it('custom policy URL streams a range as 206', async () => {
    const { signer } = createHarness(stack, { cloudfront: { policy: 'custom' } });

    const playable = await signer.urlFor(KEY);
    expect(new URL(playable.url).searchParams.has('Policy')).toBe(true);

    const response = await fetchRange(playable.url, 'bytes=0-99');
    expect(response.status).toBe(206);
    expect(response.body.equals(CONTENT.subarray(0, 100))).toBe(true);
  });

  it('custom policy expiry equals lifetime', async () => {
    const { signer, clock } = createHarness(stack, {
      cloudfront: { policy: 'custom' },
      config: { urlLifetimeSeconds: 900 },
    });

    const before = Math.floor(clock.now() / 1000) * 1000;
    const playable = await signer.urlFor(KEY);
    const expiresAt = Date.parse(playable.expiresAt);
    expect(expiresAt - before).toBeGreaterThanOrEqual(900_000);
    expect(expiresAt - before).toBeLessThanOrEqual(910_000);
  });

  it('wildcard resource tracks/* covers every track', async () => {
    const otherKey = 'tracks/Other/02 Second.mp3';
    await stack.put(otherKey, 'second track');
    const { signer } = createHarness(stack, {
      cloudfront: { policy: 'custom', resource: `${stack.edge.origin}/tracks/*` },
    });

    for (const key of [KEY, otherKey]) {
      const playable = await signer.urlFor(key);
      const response = await fetchRange(playable.url, 'bytes=0-5');
      expect(response.status, key).toBe(206);
    }
  });

  it('wildcard resource rejects a path outside it', async () => {
    const { signer } = createHarness(stack, {
      cloudfront: { policy: 'custom', resource: `${stack.edge.origin}/tracks/Other/*` },
    });

    const playable = await signer.urlFor(KEY);
    const response = await fetchRange(playable.url, 'bytes=0-5');
    expect(response.status).toBe(403);
    expect(stack.edge.requests.at(-1)?.decision).toBe('resource-mismatch');
  });

  it('IP range that contains the client is allowed', async () => {
    const { signer } = createHarness(stack, {
      cloudfront: {
        policy: 'custom',
        resource: `${stack.edge.origin}/tracks/*`,
        ipRange: '127.0.0.0/8',
      },
    });

    const playable = await signer.urlFor(KEY);
    const response = await fetchRange(playable.url, 'bytes=10-19');
    expect(response.status).toBe(206);
    expect(response.body.equals(CONTENT.subarray(10, 20))).toBe(true);
  });

  it('IP range without the client is denied', async () => {
    // 192.0.2.0/24 is TEST-NET-1 (RFC 5737): no test traffic comes from it.
    const { signer } = createHarness(stack, {
      cloudfront: {
        policy: 'custom',
        resource: `${stack.edge.origin}/tracks/*`,
        ipRange: '192.0.2.0/24',
      },
    });

    const playable = await signer.urlFor(KEY);
    const response = await fetchRange(playable.url, 'bytes=10-19');
    expect(response.status).toBe(403);
    expect(response.body.toString()).toContain('<Code>AccessDenied</Code>');
    expect(stack.edge.requests.at(-1)?.decision).toBe('ip-denied');
  });

  it('tampered signature is rejected', async () => {
    const { signer } = createHarness(stack);

    const playable = await signer.urlFor(KEY);
    const url = new URL(playable.url);
    const signature = url.searchParams.get('Signature') ?? '';
    const flipped = (signature.startsWith('A') ? 'B' : 'A') + signature.slice(1);
    const tampered = playable.url.replace(signature, flipped);

    const response = await fetchRange(tampered, 'bytes=0-0');
    expect(response.status).toBe(403);
    expect(stack.edge.requests.at(-1)?.decision).toBe('bad-signature');
  });

  it('missing Key-Pair-Id is rejected', async () => {
    const { signer } = createHarness(stack);

    const playable = await signer.urlFor(KEY);
    const response = await fetchRange(playable.url.replace(/&Key-Pair-Id=[^&]*/, ''), 'bytes=0-0');
    expect(response.status).toBe(403);
    expect(response.body.toString()).toContain('<Code>MissingKey</Code>');
  });
});

describe('key rotation', () => {
  it('key switch keeps old URLs valid', async () => {
    stack.edge.trustKey(stack.secondary.id, stack.secondary.publicKeyPem);
    const { signer, config } = createHarness(stack, {
      cloudfront: {
        keyPairs: [
          { id: stack.primary.id, privateKeyPem: stack.primary.privateKeyPem },
          { id: stack.secondary.id, privateKeyPem: stack.secondary.privateKeyPem },
        ],
      },
    });

    const before = await signer.urlFor(KEY);
    expect(new URL(before.url).searchParams.get('Key-Pair-Id')).toBe(stack.primary.id);

    if (config.cloudfront === null) {
      throw new Error('the harness configures CloudFront');
    }
    config.cloudfront.activeKeyPairId = stack.secondary.id;
    const after = await signer.urlFor(KEY);
    expect(new URL(after.url).searchParams.get('Key-Pair-Id')).toBe(stack.secondary.id);
    expect(after.url).not.toBe(before.url);

    for (const playable of [before, after]) {
      const response = await fetchRange(playable.url, 'bytes=0-9');
      expect(response.status).toBe(206);
    }
    stack.edge.distrustKey(stack.secondary.id);
  });

  it('untrusted new key is unknown', async () => {
    const { signer } = createHarness(stack, {
      cloudfront: {
        keyPairs: [{ id: stack.secondary.id, privateKeyPem: stack.secondary.privateKeyPem }],
        activeKeyPairId: stack.secondary.id,
      },
    });

    const playable = await signer.urlFor(KEY);
    const response = await fetchRange(playable.url, 'bytes=0-9');
    expect(response.status).toBe(403);
    expect(response.body.toString()).toContain('<Code>InvalidKey</Code>');
  });
});

describe('signer input and logs', () => {
  it('rejects keys that cannot name a track', async () => {
    const { signer } = createHarness(stack);

    await expect(signer.urlFor('music/a.mp3')).rejects.toMatchObject({ name: 'KeyOutsideTracks' });
    await expect(signer.urlFor('tracks/../secret')).rejects.toMatchObject({
      name: 'InvalidRequest',
    });
    await expect(signer.urlFor('tracks/folder/')).rejects.toMatchObject({ name: 'InvalidRequest' });
    await expect(signer.urlFor('tracks/\ud800.mp3')).rejects.toMatchObject({
      name: 'InvalidRequest',
      message: 'key "tracks/\ud800.mp3" is not valid Unicode',
    });
  });

  it('debug log has expiry, no URL', async () => {
    const { signer, logs } = createHarness(stack, {
      cloudfront: { policy: 'custom', ipRange: '127.0.0.0/8' },
      config: { urlLifetimeSeconds: 1800 },
    });

    const playable = await signer.urlFor(KEY);
    const debug = logs.at(20).find((line) => line.msg === 'signed CloudFront URL');
    expect(debug?.key).toBe(KEY);
    expect(debug?.expiresInSeconds).toBe(1800);

    const text = logs.text();
    const url = new URL(playable.url);
    for (const secret of [
      url.searchParams.get('Signature'),
      url.searchParams.get('Policy'),
      playable.url,
    ]) {
      expect(secret).not.toBeNull();
      expect(text).not.toContain(secret);
    }
  });

  it('working failed URL is re-signed', async () => {
    const { signer, logs } = createHarness(stack);

    const first = await signer.urlFor(KEY);
    const fresh = await signer.urlFor(KEY, { failedUrl: first.url });
    expect(fresh.via).toBe('cloudfront');
    expect(fresh.fallbackReason).toBeNull();
    expect(logs.at(40)).toHaveLength(0);
  });
});
