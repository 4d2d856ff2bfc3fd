import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { dispatch } from '../../electron/main/ipc/dispatch';
import { silentLogger } from '../../electron/main/log';
import { generateTestKeyPair } from '../support/key-pairs';
import { startWebApp } from '../support/web-app';
import type { WebApp } from '../support/web-app';

const KEY = 'tracks/Album/01 Intro.mp3';
const folder = mkdtempSync(join(tmpdir(), 'cratebox-key-file-'));
const publicKeyFile = join(folder, 'cratebox-public.pem');
const logger = silentLogger();

/** Starts web mode with CloudFront configured through the environment, with `keyFile`. */
function appWithKeyFile(keyFile: string): Promise<WebApp> {
  return startWebApp({
    CRATEBOX_CLOUDFRONT_DOMAIN: 'd111111abcdef8.cloudfront.net',
    CRATEBOX_CLOUDFRONT_KEY_PAIR_ID: 'K2PUBLIC',
    CRATEBOX_CLOUDFRONT_PRIVATE_KEY_FILE: keyFile,
  });
}

beforeAll(() => {
  writeFileSync(publicKeyFile, generateTestKeyPair('K2PUBLIC').publicKeyPem);
});

afterAll(() => {
  rmSync(folder, { recursive: true, force: true });
});

describe('unusable CloudFront key file', () => {
  let publicKeyApp: WebApp;
  let missingKeyApp: WebApp;

  beforeAll(async () => {
    publicKeyApp = await appWithKeyFile(publicKeyFile);
    missingKeyApp = await appWithKeyFile(join(folder, 'missing.pem'));
  });

  afterAll(async () => {
    await publicKeyApp?.close();
    await missingKeyApp?.close();
  });

  it('public key plays from S3 with the reason', async () => {
    const reply = await dispatch(
      publicKeyApp.services.handlers,
      'player.url',
      { key: KEY },
      logger,
    );

    expect(reply.ok).toBe(true);
    const playable = reply.ok ? (reply.result as { via: string; fallbackReason: string }) : null;
    expect(playable?.via).toBe('s3');
    expect(playable?.fallbackReason).toBe(
      `the private key of CloudFront key pair K2PUBLIC (file ${publicKeyFile} from CRATEBOX_CLOUDFRONT_PRIVATE_KEY_FILE) is a public key, not a private key: CloudFront keeps the public key, and Cratebox signs with the private key it was made from, a PEM file that starts with -----BEGIN PRIVATE KEY----- or -----BEGIN RSA PRIVATE KEY-----; playing from S3`,
    );
  });

  it('app info reports the public key', async () => {
    const reply = await dispatch(publicKeyApp.services.handlers, 'app.info', {}, logger);

    expect(reply).toMatchObject({ ok: true, result: { delivery: 'cloudfront' } });
    const info = reply.ok ? (reply.result as { deliveryProblem: string | null }) : null;
    expect(info?.deliveryProblem).toContain(`(file ${publicKeyFile} from`);
    expect(info?.deliveryProblem).toContain('is a public key, not a private key');
  });

  it('missing key file names the file', async () => {
    const reply = await dispatch(
      missingKeyApp.services.handlers,
      'player.url',
      { key: KEY },
      logger,
    );

    const playable = reply.ok ? (reply.result as { via: string; fallbackReason: string }) : null;
    expect(playable?.via).toBe('s3');
    expect(playable?.fallbackReason).toBe(
      `cannot read the private key of CloudFront key pair K2PUBLIC (file ${join(folder, 'missing.pem')} from CRATEBOX_CLOUDFRONT_PRIVATE_KEY_FILE): file not found; check the path; playing from S3`,
    );
  });

  it('app info without CloudFront problem is null', async () => {
    const app = await startWebApp();
    try {
      const reply = await dispatch(app.services.handlers, 'app.info', {}, logger);
      expect(reply).toMatchObject({ ok: true, result: { delivery: 's3', deliveryProblem: null } });
    } finally {
      await app.close();
    }
  });
});
