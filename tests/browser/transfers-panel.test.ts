import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { HeadObjectCommand, ListMultipartUploadsCommand } from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';
import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { writeNoiseWav } from '../support/audio-files';
import { hasChromium, launchChromium } from '../support/browser';
import { startFaultProxy } from '../support/fault-proxy';
import { AUDIO_FIXTURES } from '../support/fixtures';
import { typeScriptWorker } from '../support/inspect-workers';
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
const ARTIFACTS = join(import.meta.dirname, '..', '..', 'test-results');
const CLI = join(import.meta.dirname, '..', '..', 'out', 'main', 'cli.js');
// Past the 1024-byte limit of S3 keys, so the file is skipped at once.
const TOO_LONG = `${'x'.repeat(1100)}.mp3`;

/** Inspection worker that holds each file at 45% read while a hold file exists. */
const HELD_WORKER = typeScriptWorker(new URL('../support/held-inspect-worker.ts', import.meta.url));

function job(page: Page, name: string): Locator {
  return page.locator(`[data-testid=upload-job][data-name="${name}"]`);
}

/** Drops a fixture on the window as a file named `name`, as a browser drop carries it. */
async function dropFile(page: Page, name: string, fixture: string): Promise<void> {
  const base64 = readFileSync(join(AUDIO_FIXTURES, fixture)).toString('base64');
  const dataTransfer = await page.evaluateHandle(
    ({ fileName, content }) => {
      const transfer = new DataTransfer();
      const bytes = Uint8Array.from(atob(content), (character) => character.charCodeAt(0));
      transfer.items.add(new File([bytes], fileName));
      return transfer;
    },
    { fileName: name, content: base64 },
  );
  await page.dispatchEvent('body', 'drop', { dataTransfer });
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
  const holdFile = join(folder, 'hold-inspection');
  let env: Record<string, string>;
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
    // The held worker reads it; workers copy the environment when they start.
    process.env.CRATEBOX_TEST_HOLD_FILE = holdFile;

    const names = [
      'Pause Me.wav',
      'Cancel Me.wav',
      'Long Read.wav',
      'Resume Me.wav',
      'Offline.wav',
    ];
    for (const name of names) {
      await writeNoiseWav(join(folder, 'music', name), 24 * MIB + 44);
    }
    mkdirSync(join(folder, 'Twins'));
    copyFileSync(join(AUDIO_FIXTURES, 'id3v2.3.mp3'), join(folder, 'Twins', 'Twin.mp3'));
    copyFileSync(join(AUDIO_FIXTURES, 'he_44khz.mp3'), join(folder, 'Twins', 'TWIN.mp3'));
    mkdirSync(join(folder, 'Dropbox', 'Live'), { recursive: true });
    copyFileSync(
      join(AUDIO_FIXTURES, 'id3v2.3.mp3'),
      join(folder, 'Dropbox', 'Live', 'Encore.mp3'),
    );

    env = {
      CRATEBOX_BUCKET: BUCKET,
      CRATEBOX_REGION: 'us-east-1',
      CRATEBOX_S3_ENDPOINT: proxy.endpoint,
      CRATEBOX_S3_FORCE_PATH_STYLE: 'true',
      CRATEBOX_PART_SIZE_MIB: '5',
      CRATEBOX_PARALLEL_PARTS: '2',
      CRATEBOX_PARALLEL_FILES: '2',
    };
    app = await startWebApp(env, { inspectWorker: HELD_WORKER });
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

  async function storedSize(key: string): Promise<number | undefined> {
    const head = await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }));
    return head.ContentLength;
  }

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

  it('shows how much of a file is read', async () => {
    writeFileSync(holdFile, '');
    await page.getByTestId('file-input').setInputFiles([join(folder, 'music', 'Long Read.wav')]);
    const row = job(page, 'Long Read.wav');

    await expect
      .poll(() => row.getByTestId('job-state').textContent(), { timeout: 30_000 })
      .toBe('Reading 45%');
    expect(await progressOf(row)).toBeCloseTo(0.45, 2);
    expect(await row.getByTestId('job-bytes').textContent()).toBe('10.8 MiB / 24.0 MiB read');
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'transfers-reading.png') });

    rmSync(holdFile);
    await expect.poll(() => row.getAttribute('data-state'), { timeout: 60_000 }).toBe('done');
  });

  it('shows the stored bytes while a resumed file is read', async () => {
    proxy.setBytesPerSecond(4 * MIB);
    await page.getByTestId('file-input').setInputFiles([join(folder, 'music', 'Resume Me.wav')]);
    const row = job(page, 'Resume Me.wav');
    await expect.poll(() => progressOf(row), { timeout: 30_000 }).toBeGreaterThan(0.5);
    await row.getByRole('button', { name: 'Pause' }).click();
    await expect.poll(() => row.getAttribute('data-state')).toBe('paused');
    // Parts in flight at the pause are finished or dropped, and then the row shows what is stored.
    await expect
      .poll(() => row.getByTestId('job-bytes').textContent(), { timeout: 30_000 })
      .toMatch(/^(5|10|15|20)\.0 MiB \/ 24\.0 MiB$/);
    const stored = (await row.getByTestId('job-bytes').textContent())?.split(' / ')[0];
    const pausedAt = await progressOf(row);

    writeFileSync(holdFile, '');
    await row.getByRole('button', { name: 'Resume' }).click();
    await expect
      .poll(() => row.getByTestId('job-state').textContent(), { timeout: 30_000 })
      .toBe('Reading 45%');
    expect(await row.getByTestId('job-bytes').textContent()).toBe(
      `10.8 MiB / 24.0 MiB read · ${stored} uploaded`,
    );
    expect(await progressOf(row)).toBe(pausedAt);

    rmSync(holdFile);
    proxy.setBytesPerSecond(undefined);
    await expect.poll(() => row.getAttribute('data-state'), { timeout: 60_000 }).toBe('done');
  });

  it('marks the rows as stale while disconnected', async () => {
    proxy.setBytesPerSecond(2 * MIB);
    await page.getByTestId('file-input').setInputFiles([join(folder, 'music', 'Offline.wav')]);
    const row = job(page, 'Offline.wav');
    await expect
      .poll(() => row.getByTestId('job-bytes').textContent(), { timeout: 30_000 })
      .toMatch(/left$/);

    await app.restartHost(async () => {
      await page.getByTestId('connection-banner').waitFor();
      expect(await page.getByTestId('transfers-stale').textContent()).toMatch(/Not updating/);
      expect(await row.getByTestId('job-bytes').textContent()).not.toMatch(/left|\/s/);
      expect(await page.getByTestId('transfer-totals').textContent()).not.toMatch(/left|\/s/);
      expect(await row.getByRole('button', { name: 'Pause' }).isDisabled()).toBe(true);
      expect(await row.getByRole('button', { name: 'Cancel' }).isDisabled()).toBe(true);
      mkdirSync(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: join(ARTIFACTS, 'transfers-disconnected.png') });
    });

    await page.getByTestId('transfers-stale').waitFor({ state: 'detached', timeout: 20_000 });
    expect(await row.getByRole('button', { name: 'Pause' }).isDisabled()).toBe(false);
    proxy.setBytesPerSecond(undefined);
    await expect.poll(() => row.getAttribute('data-state'), { timeout: 60_000 }).toBe('done');
  });

  it('names dropped files as dropped', async () => {
    await page.getByTestId('folder-input').setInputFiles(join(folder, 'Twins'));
    const twin = job(page, 'Twins/Twin.mp3');
    await expect.poll(() => twin.getAttribute('data-state'), { timeout: 30_000 }).toBe('skipped');

    const message = await twin.getByTestId('upload-message').textContent();
    expect(message).toContain('"Twins/Twin.mp3" and "Twins/TWIN.mp3" map to the same key');
    expect(message).not.toContain(app.dataDir);
    const report = page.getByTestId('last-report');
    await expect.poll(() => report.textContent()).toMatch(/2 other skips/);
    const entries = await report.getByTestId('report-entry').allTextContents();
    expect(entries.map((entry) => entry.split(':')[0]).sort()).toEqual([
      'Twins/TWIN.mp3',
      'Twins/Twin.mp3',
    ]);
    for (const entry of entries) {
      expect(entry).not.toContain(app.dataDir);
    }
  });

  it('skips a name too long for a key', async () => {
    await dropFile(page, TOO_LONG, 'id3v2.3.mp3');
    const row = job(page, TOO_LONG);
    await expect.poll(() => row.getAttribute('data-state'), { timeout: 30_000 }).toBe('skipped');

    expect(await row.getByTestId('upload-message').textContent()).toBe(
      `the key of "${TOO_LONG}" would be 1111 bytes long in UTF-8, over the S3 limit of 1024; shorten the folder or file names`,
    );
    expect(await row.getByRole('button', { name: 'Retry' }).count()).toBe(0);
    const report = page.getByTestId('last-report');
    await expect.poll(() => report.textContent()).toMatch(/1 other skip/);
  });

  it('replaces a different recording on request', async () => {
    await dropFile(page, 'Encore Take.mp3', 'id3v2.3.mp3');
    await expect
      .poll(() => job(page, 'Encore Take.mp3').getAttribute('data-state'), { timeout: 30_000 })
      .toBe('done');

    await dropFile(page, 'Encore Take.mp3', 'he_44khz.mp3');
    const row = job(page, 'Encore Take.mp3').first();
    await expect.poll(() => row.getAttribute('data-state'), { timeout: 30_000 }).toBe('conflict');
    expect(await row.getByTestId('job-state').textContent()).toBe('Name taken');
    expect(await row.getByTestId('upload-message').textContent()).toBe(
      'a different recording is already stored as tracks/Encore Take.mp3; Replace overwrites it, Discard keeps it',
    );
    expect(await storedSize('tracks/Encore Take.mp3')).toBe(96_524);
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'transfers-conflict.png') });

    await row.getByRole('button', { name: 'Replace' }).click();

    await expect.poll(() => row.getAttribute('data-state'), { timeout: 30_000 }).toBe('done');
    expect(await row.getByTestId('job-state').textContent()).toBe('Replaced');
    expect(await storedSize('tracks/Encore Take.mp3')).toBe(166_661);
  });

  it('discards a conflict and keeps the stored file', async () => {
    await dropFile(page, 'Encore Take.mp3', 'id3v1_Blood_Sugar.mp3');
    const row = job(page, 'Encore Take.mp3').first();
    await expect.poll(() => row.getAttribute('data-state'), { timeout: 30_000 }).toBe('conflict');
    const id = await row.getAttribute('data-id');

    await row.getByRole('button', { name: 'Discard' }).click();

    await expect.poll(() => page.locator(`[data-id="${id}"]`).count()).toBe(0);
    expect(await storedSize('tracks/Encore Take.mp3')).toBe(166_661);
    const queue = await app.services.handlers['uploads.list']({});
    expect(queue.jobs.map((view) => view.id)).not.toContain(id);
  });

  it('reloads the report of a CLI migration', async () => {
    const root = join(folder, 'Dropbox');
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [CLI, 'migrate', root, '--data-dir', app.dataDir],
      { env: { ...process.env, ...env, CRATEBOX_LOG_LEVEL: 'error' } },
    );
    expect(stdout).toContain('Uploaded:            1 file');

    const report = page.getByTestId('last-report');
    await expect
      .poll(() => report.textContent(), { timeout: 20_000 })
      .toMatch(new RegExp(`Last migration of ${root}: 1 uploaded`));
    await page.locator('tr[data-key="tracks/Live/Encore.mp3"]').waitFor({ timeout: 20_000 });
  });

  it('words a dry run as would upload', async () => {
    const root = join(folder, 'Demos');
    mkdirSync(root);
    copyFileSync(join(AUDIO_FIXTURES, 'he_44khz.mp3'), join(root, 'Demo.mp3'));
    await promisify(execFile)(
      process.execPath,
      [CLI, 'migrate', root, '--dry-run', '--data-dir', app.dataDir],
      { env: { ...process.env, ...env, CRATEBOX_LOG_LEVEL: 'error' } },
    );

    const summary = page.getByTestId('last-report').locator('summary');
    await expect
      .poll(() => summary.textContent(), { timeout: 20_000 })
      .toBe(
        `Last dry run of ${root}: 1 would upload, 0 unchanged, 0 not audio, 0 system files, 0 other skips, 0 failed`,
      );
  });

  it('saves a screenshot of the transfers panel', async () => {
    const path = join(ARTIFACTS, 'transfers.png');
    await page.screenshot({ path });
    expect(readFileSync(path).length).toBeGreaterThan(10_000);
  });
});
