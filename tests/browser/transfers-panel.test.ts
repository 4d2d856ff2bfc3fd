import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { HeadObjectCommand, ListMultipartUploadsCommand } from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';
import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { writeNoiseWav } from '../support/audio-files';
import { hasChromium, launchChromium } from '../support/browser';
import { startFaultProxy } from '../support/fault-proxy';
import type { FaultProxy } from '../support/fault-proxy';
import {
  TEST_CREDENTIALS,
  createBucket,
  startEmbeddedServer,
  testClient,
} from '../support/s3-servers';
import type { LocalS3Server } from '../support/s3-servers';
import { startWebApp } from '../support/web-app';
import type { WebApp } from '../support/web-app';

const MIB = 1024 * 1024;
const BUCKET = 'cratebox-transfers';

function job(page: Page, name: string): Locator {
  return page.locator(`[data-testid=upload-job][data-name="${name}"]`);
}

async function progressOf(row: Locator): Promise<number> {
  return Number(await row.locator('progress').getAttribute('value'));
}

// The app talks to a separate S3 server through a throttling proxy, as it would to AWS over a slow
// uplink, so an upload lasts long enough to pause and cancel it from the panel.
describe.skipIf(!hasChromium)('transfers panel', () => {
  const folder = mkdtempSync(join(tmpdir(), 'cratebox-transfers-'));
  let server: LocalS3Server;
  let proxy: FaultProxy;
  let s3: S3Client;
  let app: WebApp;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    server = await startEmbeddedServer(join(folder, 'server'));
    await createBucket(server.endpoint, BUCKET);
    proxy = await startFaultProxy({ targetPort: server.port, bytesPerSecond: MIB });
    s3 = testClient(server.endpoint);
    // The SDK's default credential chain reads these; this test file runs in its own process.
    process.env.AWS_ACCESS_KEY_ID = TEST_CREDENTIALS.accessKeyId;
    process.env.AWS_SECRET_ACCESS_KEY = TEST_CREDENTIALS.secretAccessKey;

    for (const name of ['Pause Me.wav', 'Cancel Me.wav']) {
      await writeNoiseWav(join(folder, 'music', name), 24 * MIB + 44);
    }

    app = await startWebApp({
      CRATEBOX_BUCKET: BUCKET,
      CRATEBOX_REGION: 'us-east-1',
      CRATEBOX_S3_ENDPOINT: proxy.endpoint,
      CRATEBOX_S3_FORCE_PATH_STYLE: 'true',
      CRATEBOX_PART_SIZE_MIB: '5',
      CRATEBOX_PARALLEL_PARTS: '2',
      CRATEBOX_PARALLEL_FILES: '2',
    });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(app.url);
    await page.getByTestId('storage-badge').waitFor();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await app?.close();
    s3?.destroy();
    await proxy?.close();
    await server?.close();
    rmSync(folder, { recursive: true, force: true });
  });

  it('shows the S3 bucket in the header', async () => {
    expect(await page.getByTestId('storage-badge').textContent()).toContain(`S3 bucket ${BUCKET}`);
  });

  it('uploads picked files with a progress bar each', async () => {
    await page
      .getByTestId('file-input')
      .setInputFiles([
        join(folder, 'music', 'Pause Me.wav'),
        join(folder, 'music', 'Cancel Me.wav'),
      ]);
    for (const name of ['Pause Me.wav', 'Cancel Me.wav']) {
      await expect
        .poll(() => job(page, name).getAttribute('data-state'), { timeout: 30_000 })
        .toBe('uploading');
    }
    await expect
      .poll(() => progressOf(job(page, 'Pause Me.wav')), { timeout: 30_000 })
      .toBeGreaterThan(0);
    expect(await page.getByTestId('transfer-totals').textContent()).toMatch(/left/);
  });

  it('cancels a file without leaving an object or a pending upload', async () => {
    const row = job(page, 'Cancel Me.wav');
    await row.getByRole('button', { name: 'Cancel' }).click();
    await expect.poll(() => row.getAttribute('data-state'), { timeout: 5_000 }).toBe('cancelled');

    const pending = await s3.send(
      new ListMultipartUploadsCommand({ Bucket: BUCKET, Prefix: 'tracks/Cancel Me.wav' }),
    );
    expect(pending.Uploads ?? []).toEqual([]);
    await expect(
      s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'tracks/Cancel Me.wav' })),
    ).rejects.toMatchObject({
      $metadata: { httpStatusCode: 404 },
    });
  });

  it('pauses and resumes a file', async () => {
    const row = job(page, 'Pause Me.wav');
    await row.getByRole('button', { name: 'Pause' }).click();
    await expect.poll(() => row.getAttribute('data-state')).toBe('paused');
    const pausedAt = await progressOf(row);

    await row.getByRole('button', { name: 'Resume' }).click();
    await expect.poll(() => row.getAttribute('data-state'), { timeout: 60_000 }).toBe('done');
    expect(pausedAt).toBeGreaterThan(0);
    expect(pausedAt).toBeLessThan(1);
  });

  it('retries a cancelled file to the end', async () => {
    proxy.setBytesPerSecond(undefined);
    const row = job(page, 'Cancel Me.wav');
    await row.getByRole('button', { name: 'Retry' }).click();
    await expect.poll(() => row.getAttribute('data-state'), { timeout: 60_000 }).toBe('done');

    const head = await s3.send(
      new HeadObjectCommand({ Bucket: BUCKET, Key: 'tracks/Cancel Me.wav' }),
    );
    expect(head.ContentLength).toBe(24 * MIB + 44);
  });

  it('lists both tracks and reports the batch', async () => {
    await expect.poll(() => page.locator('tr[data-key]').count()).toBe(2);
    const report = page.getByTestId('last-report');
    await expect.poll(() => report.textContent()).toMatch(/2 uploaded/);
  });
});
