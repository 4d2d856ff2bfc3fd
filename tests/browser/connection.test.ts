import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { PutObjectCommand } from '@aws-sdk/client-s3';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { EMBEDDED_BUCKET } from '../../electron/main/settings/app-config';
import { createS3Client } from '../../electron/main/storage/s3-client';
import { hasChromium, launchChromium } from '../support/browser';
import { AUDIO_FIXTURES } from '../support/fixtures';
import { startOtherStorage } from '../support/s3-servers';
import type { LocalS3Server } from '../support/s3-servers';
import { startWebApp } from '../support/web-app';
import type { WebApp } from '../support/web-app';

const ARTIFACTS = join(import.meta.dirname, '..', '..', 'test-results');

function banner(page: Page): ReturnType<Page['getByTestId']> {
  return page.getByTestId('connection-banner');
}

// The page keeps what it showed while the host is down. These tests change the state meanwhile,
// so its events never reach the page, and check what the page shows once it has reconnected.
describe.skipIf(!hasChromium)('connection to the web host', () => {
  const folder = mkdtempSync(join(tmpdir(), 'cratebox-connection-'));
  let other: LocalS3Server;
  let app: WebApp;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    other = await startOtherStorage(join(folder, 'other-store'));

    app = await startWebApp();
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
    await page.goto(app.url);
    await page.getByText('Drop audio files or folders').waitFor();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await other?.close();
    rmSync(folder, { recursive: true, force: true });
  });

  it('shows no banner while connected', async () => {
    expect(await banner(page).count()).toBe(0);
  });

  it('shows a banner while the host is down', async () => {
    await app.restartHost(async () => {
      await banner(page).waitFor();
      expect(await banner(page).textContent()).toBe('Connection lost, reconnecting…');
      mkdirSync(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: join(ARTIFACTS, 'connection-lost.png') });
    });

    await banner(page).waitFor({ state: 'detached', timeout: 20_000 });
  });

  it('sends no change saved while disconnected', async () => {
    await page.getByRole('button', { name: 'Settings' }).click();
    const dialog = page.getByRole('dialog', { name: 'Settings' });
    const parallelFiles = dialog.getByLabel('Files in parallel');
    const before = await parallelFiles.inputValue();

    await app.restartHost(async () => {
      await banner(page).waitFor();
      await parallelFiles.fill(String(Number(before) + 1));
      await dialog.getByRole('button', { name: 'Save' }).click();
      await expect.poll(() => dialog.getByRole('alert').textContent()).toMatch(/nothing was sent/);
    });

    await banner(page).waitFor({ state: 'detached', timeout: 20_000 });
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    // A message kept from while the socket was down would go out first on the new socket, before
    // the reply to this refresh.
    await page.getByRole('button', { name: 'Refresh' }).click();
    await expect.poll(() => page.getByTestId('track-count').textContent()).toMatch(/tracks?$/);
    const settings = await app.services.handlers['settings.get']({});
    expect(settings.uploads.parallelFiles).toBe(Number(before));
  });

  it('resyncs the library and the queue after reconnecting', async () => {
    await app.restartHost(async () => {
      await banner(page).waitFor();
      const s3 = createS3Client(app.storageTarget());
      await s3.send(
        new PutObjectCommand({
          Bucket: EMBEDDED_BUCKET,
          Key: 'tracks/Stored Meanwhile.mp3',
          Body: readFileSync(join(AUDIO_FIXTURES, 'id3v2.3.mp3')),
          ContentType: 'audio/mpeg',
        }),
      );
      s3.destroy();
      const engine = app.services.engine();
      const { batchId } = await engine.add(
        [{ path: join(AUDIO_FIXTURES, 'id3v1_Blood_Sugar.mp3') }],
        { origin: 'desktop' },
      );
      await engine.whenBatchDone(batchId);
    });

    await banner(page).waitFor({ state: 'detached', timeout: 20_000 });
    await page.locator('tr[data-key="tracks/Stored Meanwhile.mp3"]').waitFor();
    const job = page.locator('[data-testid=upload-job][data-name="id3v1_Blood_Sugar.mp3"]');
    await expect.poll(() => job.getAttribute('data-state')).toBe('done');
    expect(await page.locator('tr[data-key="tracks/id3v1_Blood_Sugar.mp3"]').count()).toBe(1);
  });

  it('resyncs the storage settings after reconnecting', async () => {
    await app.restartHost(async () => {
      await banner(page).waitFor();
      await app.services.handlers['settings.update']({
        storage: {
          mode: 'aws',
          bucket: 'other-bucket',
          region: 'us-east-1',
          endpoint: other.endpoint,
          forcePathStyle: true,
        },
      });
    });

    await banner(page).waitFor({ state: 'detached', timeout: 20_000 });
    await expect
      .poll(() => page.getByTestId('storage-badge').textContent())
      .toContain('S3 bucket other-bucket');
    await expect.poll(() => page.locator('tr[data-key]').count()).toBe(0);
    expect(await page.locator('[data-testid=upload-job]').count()).toBe(0);
  });
});
