import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import { hasChromium, launchChromium } from '../support/browser';
import { generateTestKeyPair } from '../support/key-pairs';
import { freePort, TEST_CREDENTIALS } from '../support/s3-servers';
import { startWebApp } from '../support/web-app';
import type { WebApp } from '../support/web-app';

const keyPair = generateTestKeyPair('K2DIALOGTEST');
const BODY_LINES = keyPair.privateKeyPem
  .split('\n')
  .filter((line) => line !== '' && !line.startsWith('-'));

describe.skipIf(!hasChromium)('settings dialog', () => {
  const folder = mkdtempSync(join(tmpdir(), 'cratebox-settings-ui-'));
  const privateKeyFile = join(folder, 'cratebox-private.pem');
  let app: WebApp;
  let deadEndpointApp: WebApp;
  let deadEndpoint: string;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    writeFileSync(privateKeyFile, keyPair.privateKeyPem, { mode: 0o600 });
    // The SDK's default credential chain reads these; this test file runs in its own process.
    process.env.AWS_ACCESS_KEY_ID = TEST_CREDENTIALS.accessKeyId;
    process.env.AWS_SECRET_ACCESS_KEY = TEST_CREDENTIALS.secretAccessKey;
    deadEndpoint = `http://127.0.0.1:${await freePort()}`;

    app = await startWebApp();
    deadEndpointApp = await startWebApp({
      CRATEBOX_BUCKET: 'music',
      CRATEBOX_REGION: 'us-east-1',
      CRATEBOX_S3_ENDPOINT: deadEndpoint,
      CRATEBOX_S3_FORCE_PATH_STYLE: 'true',
    });
    browser = await launchChromium();
  }, 60_000);

  afterEach(async () => {
    await page?.close();
  });

  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await deadEndpointApp?.close();
    rmSync(folder, { recursive: true, force: true });
  });

  async function openSettings(target: WebApp = app): Promise<Locator> {
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(target.url);
    await page.getByRole('button', { name: 'Settings', exact: true }).click();
    const dialog = page.getByRole('dialog', { name: 'Settings' });
    await dialog.getByRole('button', { name: 'Save' }).waitFor();
    return dialog;
  }

  function problemOf(dialog: Locator, field: string): Locator {
    return dialog.locator(`[data-field="${field}"]`);
  }

  async function fillCloudFront(dialog: Locator, privateKeyPath: string): Promise<void> {
    await dialog.getByLabel('Play through CloudFront signed URLs').check();
    await dialog.getByLabel('Distribution domain').fill('d111111abcdef8.cloudfront.net');
    await dialog.getByLabel('Public key ID', { exact: true }).fill(keyPair.id);
    await dialog.getByLabel('Private key file (PEM)', { exact: true }).fill(privateKeyPath);
  }

  it('is modal and closes on Escape', async () => {
    const dialog = await openSettings();

    expect(await dialog.evaluate((element) => element.matches(':modal'))).toBe(true);
    expect(await dialog.evaluate((element) => element.contains(document.activeElement))).toBe(true);
    await page.keyboard.press('Escape');

    await dialog.waitFor({ state: 'detached' });
  });

  it('shows a bucket problem by its label and clears it on edit', async () => {
    const dialog = await openSettings();
    await dialog.getByLabel('Amazon S3').check();
    await dialog.getByLabel('Bucket').fill('My_Music');

    await dialog.getByRole('button', { name: 'Save' }).click();

    const problem = problemOf(dialog, 'storage.bucket');
    expect(await problem.textContent()).toBe(
      'Bucket: a bucket name contains only lowercase letters, digits, dots and hyphens, not "M"',
    );
    expect(await dialog.getByLabel('Bucket').getAttribute('aria-invalid')).toBe('true');
    expect(
      await dialog.getByLabel('Bucket').evaluate((input) => input === document.activeElement),
    ).toBe(true);
    await dialog.getByLabel('Bucket').fill('my-music');
    await problem.waitFor({ state: 'detached' });
  });

  it('rejects an ftp endpoint', async () => {
    const dialog = await openSettings();
    await dialog.getByLabel('Amazon S3').check();
    await dialog.getByLabel('Bucket').fill('music');
    await dialog.getByLabel('Endpoint').fill('ftp://127.0.0.1:9');

    await dialog.getByRole('button', { name: 'Save' }).click();

    expect(await problemOf(dialog, 'storage.endpoint').textContent()).toBe(
      'Endpoint: use an http:// or https:// URL such as https://s3.example.com:9000',
    );
  });

  it('states the URL lifetime limit', async () => {
    const dialog = await openSettings();
    await dialog.getByLabel('URL lifetime').fill('9999999');

    await dialog.getByRole('button', { name: 'Save' }).click();

    expect(await problemOf(dialog, 'delivery.urlLifetimeSeconds').textContent()).toBe(
      'URL lifetime: at most 604800 seconds (7 days)',
    );
  });

  it('rejects a pasted private key without showing it', async () => {
    const dialog = await openSettings();
    await fillCloudFront(dialog, keyPair.privateKeyPem);

    await dialog.getByRole('button', { name: 'Save' }).click();

    expect(
      await problemOf(dialog, 'delivery.cloudfront.keyPairs.0.privateKeyPath').textContent(),
    ).toBe(
      'Private key file: this field takes the path of the key file, not the key itself: save the key to a file (chmod 600) and enter its path',
    );
    const shown = (await dialog.textContent()) ?? '';
    expect(shown).not.toContain('BEGIN PRIVATE KEY');
    for (const line of BODY_LINES) {
      expect(shown).not.toContain(line);
    }
  });

  it('shows a problem from the main process next to its field', async () => {
    const dialog = await openSettings();
    const missing = join(folder, 'missing.pem');
    await fillCloudFront(dialog, missing);

    await dialog.getByRole('button', { name: 'Save' }).click();

    const problem = problemOf(dialog, 'delivery.cloudfront.keyPairs.0.privateKeyPath');
    await problem.waitFor();
    expect(await problem.textContent()).toBe(
      `Private key file: cannot read ${missing}: file not found; check the path`,
    );
    expect(await dialog.getByRole('alert').count()).toBe(0);
    await dialog.getByLabel('Private key file (PEM)', { exact: true }).fill(privateKeyFile);
    await problem.waitFor({ state: 'detached' });
  });

  it('keeps the host name of a pasted distribution URL', async () => {
    const dialog = await openSettings();
    await fillCloudFront(dialog, privateKeyFile);
    const domain = dialog.getByLabel('Distribution domain');
    await domain.fill('https://d111111abcdef8.cloudfront.net/');

    await domain.press('Tab');

    expect(await domain.inputValue()).toBe('d111111abcdef8.cloudfront.net');
    expect(await dialog.locator('.field-note').textContent()).toBe(
      'Removed https:// and the trailing /: this field takes the host name alone.',
    );
    await dialog.getByRole('button', { name: 'Save' }).click();
    await dialog.waitFor({ state: 'detached' });
    const settings = await app.services.handlers['settings.get']({});
    expect(settings.delivery.cloudfront?.domain).toBe('d111111abcdef8.cloudfront.net');
  });

  it('points a dead endpoint to the settings', async () => {
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(deadEndpointApp.url);
    const alert = page.getByTestId('library-error');

    await alert.waitFor();

    expect(await alert.textContent()).toContain(
      `Cannot load the library: cannot reach the S3 endpoint ${deadEndpoint} (connection refused); check CRATEBOX_S3_ENDPOINT and that the server is running`,
    );
    await alert.getByRole('button', { name: 'Storage settings…' }).click();
    const note = page.getByRole('dialog', { name: 'Settings' }).getByTestId('environment-note');
    expect(await note.textContent()).toBe(
      'Set by environment variables (read-only here): CRATEBOX_BUCKET (Bucket), ' +
        'CRATEBOX_REGION (Region), CRATEBOX_S3_ENDPOINT (Endpoint), ' +
        'CRATEBOX_S3_FORCE_PATH_STYLE (Path-style addressing)',
    );
  });
});
