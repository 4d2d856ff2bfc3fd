import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { hasChromium, launchChromium } from '../support/browser';
import { generateTestKeyPair } from '../support/key-pairs';
import { startEmbeddedServer, TEST_CREDENTIALS } from '../support/s3-servers';
import type { LocalS3Server } from '../support/s3-servers';
import { startWebApp } from '../support/web-app';
import type { WebApp } from '../support/web-app';

describe.skipIf(!hasChromium)('error messages in the window', () => {
  const folder = mkdtempSync(join(tmpdir(), 'cratebox-error-ui-'));
  const publicKeyFile = join(folder, 'cratebox-public.pem');
  let server: LocalS3Server;
  let missingBucketApp: WebApp;
  let publicKeyApp: WebApp;
  let browser: Browser;

  beforeAll(async () => {
    server = await startEmbeddedServer(join(folder, 'server'));
    // The SDK's default credential chain reads these; this test file runs in its own process.
    process.env.AWS_ACCESS_KEY_ID = TEST_CREDENTIALS.accessKeyId;
    process.env.AWS_SECRET_ACCESS_KEY = TEST_CREDENTIALS.secretAccessKey;
    writeFileSync(publicKeyFile, generateTestKeyPair('K2PUBLIC').publicKeyPem);

    missingBucketApp = await startWebApp({
      CRATEBOX_BUCKET: 'missing-bucket',
      CRATEBOX_REGION: 'us-east-1',
      CRATEBOX_S3_ENDPOINT: server.endpoint,
      CRATEBOX_S3_FORCE_PATH_STYLE: 'true',
    });
    publicKeyApp = await startWebApp({
      CRATEBOX_CLOUDFRONT_DOMAIN: 'd111111abcdef8.cloudfront.net',
      CRATEBOX_CLOUDFRONT_KEY_PAIR_ID: 'K2PUBLIC',
      CRATEBOX_CLOUDFRONT_PRIVATE_KEY_FILE: publicKeyFile,
    });
    browser = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await missingBucketApp?.close();
    await publicKeyApp?.close();
    await server?.close();
    rmSync(folder, { recursive: true, force: true });
  });

  async function open(app: WebApp): Promise<Page> {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(app.url);
    return page;
  }

  it('missing bucket shows what to change', async () => {
    const page = await open(missingBucketApp);
    const alert = page.getByTestId('library-error');

    await alert.waitFor();

    expect(await alert.textContent()).toContain(
      `Cannot load the library: bucket "missing-bucket" does not exist in region us-east-1 at ${server.endpoint}; check CRATEBOX_BUCKET, or create the bucket`,
    );
    await alert.getByRole('button', { name: 'Storage settings…' }).click();
    await page.getByRole('dialog', { name: 'Settings' }).waitFor();
    await page.close();
  });

  it('unusable CloudFront key shows in the badge', async () => {
    const page = await open(publicKeyApp);
    const badge = page.getByTestId('storage-badge');

    await badge.waitFor();

    expect(await badge.textContent()).toBe('Embedded store · S3 URLs (CloudFront unusable)');
    expect(await badge.getAttribute('title')).toContain('is a public key, not a private key');
    await page.close();
  });
});
