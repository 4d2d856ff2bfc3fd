import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createHarness, fetchRange, startSigningStack } from './signing-stack';
import type { SigningStack } from './signing-stack';

// AWS CLI v2 at this path; a Python `aws` 1.x earlier on PATH is not the one to compare with.
const AWS_CLI = '/usr/bin/aws';
const HAS_AWS_CLI = existsSync(AWS_CLI);
const KEY = 'tracks/Cross check/Ünïcode & (brackets) + plus.mp3';

if (!HAS_AWS_CLI) {
  console.warn(`skipping the AWS CLI cross-check: ${AWS_CLI} is not installed`);
}

let stack: SigningStack;
let folder: string;
let keyFile: string;

beforeAll(async () => {
  if (!HAS_AWS_CLI) {
    return;
  }
  stack = await startSigningStack();
  await stack.put(KEY, 'cross-checked bytes');
  folder = await mkdtemp(join(tmpdir(), 'cratebox-aws-cli-'));
  keyFile = join(folder, 'private-key.pem');
  await writeFile(keyFile, stack.primary.privateKeyPem, { mode: 0o600 });
});

afterAll(async () => {
  await stack?.close();
  if (folder !== undefined) {
    await rm(folder, { recursive: true, force: true });
  }
});

/** Signs `url` with `aws cloudfront sign`, which signs the URL string as given. */
async function signWithAwsCli(
  url: string,
  expiresEpochSeconds: number,
  ipRange?: string,
): Promise<string> {
  const args = [
    'cloudfront',
    'sign',
    '--url',
    url,
    '--key-pair-id',
    stack.primary.id,
    '--private-key',
    `file://${keyFile}`,
    '--date-less-than',
    String(expiresEpochSeconds),
  ];
  if (ipRange !== undefined) {
    args.push('--ip-address', ipRange);
  }
  const { stdout } = await promisify(execFile)(AWS_CLI, args, {
    env: { ...process.env, AWS_EC2_METADATA_DISABLED: 'true' },
  });
  return stdout.trim();
}

function unsignedPart(url: string): string {
  return url.slice(0, url.indexOf('?'));
}

describe.skipIf(!HAS_AWS_CLI)('AWS CLI cross-check', () => {
  it('canned policy signatures are identical', async () => {
    const { signer } = createHarness(stack, { cloudfront: { policy: 'canned' } });
    const ours = await signer.urlFor(KEY);
    const expires = Number(new URL(ours.url).searchParams.get('Expires'));

    const theirs = await signWithAwsCli(unsignedPart(ours.url), expires);
    // RSA PKCS#1 v1.5 signatures are deterministic, so one policy gives one signature; only the
    // order of the query parameters differs between the two signers.
    expect(unsignedPart(theirs)).toBe(unsignedPart(ours.url));
    for (const name of ['Expires', 'Signature', 'Key-Pair-Id']) {
      expect(new URL(theirs).searchParams.get(name), name).toBe(
        new URL(ours.url).searchParams.get(name),
      );
    }
    for (const url of [ours.url, theirs]) {
      const response = await fetchRange(url, 'bytes=0-6');
      expect(response.status).toBe(206);
      expect(response.body.toString()).toBe('cross-c');
    }
  });

  it('custom policy URLs both verify', async () => {
    const { signer } = createHarness(stack, {
      cloudfront: { policy: 'custom', ipRange: '127.0.0.0/8' },
    });
    const ours = await signer.urlFor(KEY);
    const policy = JSON.parse(
      Buffer.from(
        (new URL(ours.url).searchParams.get('Policy') ?? '')
          .replace(/-/g, '+')
          .replace(/_/g, '=')
          .replace(/~/g, '/'),
        'base64',
      ).toString('utf8'),
    ) as { Statement: { Condition: { DateLessThan: { 'AWS:EpochTime': number } } }[] };
    const expires = policy.Statement[0]?.Condition.DateLessThan['AWS:EpochTime'] ?? 0;

    const theirs = await signWithAwsCli(unsignedPart(ours.url), expires, '127.0.0.0/8');
    expect(new URL(theirs).searchParams.has('Policy')).toBe(true);
    for (const url of [ours.url, theirs]) {
      const response = await fetchRange(url, 'bytes=0-6');
      expect(response.status).toBe(206);
      expect(stack.edge.requests.at(-1)?.decision).toBe('allowed');
    }
  });
});
