import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';

import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { hasChromium, launchChromium } from '../support/browser';
import { AUDIO_FIXTURES } from '../support/fixtures';
import { startOtherStorage } from '../support/s3-servers';
import type { LocalS3Server } from '../support/s3-servers';
import { startWebApp } from '../support/web-app';
import type { WebApp } from '../support/web-app';

const ARTIFACTS = join(import.meta.dirname, '..', '..', 'test-results');
/** A track over one hour long: 1:02:05. */
const LONG_SECONDS = 3725;

const FORMATS: Record<string, string> = {
  'Discogs - Yasmin Levy - Mi Korasón.flac': 'FLAC',
  'id3v1_Blood_Sugar.mp3': 'MP3',
  "MusicBrainz - Beth Hart - Sinner's Prayer.m4a": 'M4A',
  'nirvana-2sec.vorbis.ogg': 'Ogg',
  'riff_adobe_audition.wav': 'WAV',
  'Long Mix.mp3': 'MP3',
};

/** Copies of one tagged file in two folders, whose rows differ only by folder. */
const FOLDER_COPIES = ['Sessions/Take 1/Blood Sugar.mp3', 'Sessions/Take 2/Blood Sugar.mp3'];
const TRACK_COUNT = Object.keys(FORMATS).length + FOLDER_COPIES.length;

function row(page: Page, key: string): Locator {
  return page.locator(`tr[data-key="${key}"]`);
}

async function waitForTracks(page: Page, count: number): Promise<void> {
  await page.waitForFunction(
    (expected) => document.querySelectorAll('tr[data-key]').length === expected,
    count,
    { timeout: 120_000 },
  );
}

describe.skipIf(!hasChromium)('library table in web mode', () => {
  const folder = mkdtempSync(join(tmpdir(), 'cratebox-table-'));
  let other: LocalS3Server;
  let app: WebApp;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    for (const name of Object.keys(FORMATS).filter((file) => file !== 'Long Mix.mp3')) {
      copyFileSync(join(AUDIO_FIXTURES, name), join(folder, name));
    }
    for (const path of FOLDER_COPIES) {
      mkdirSync(join(folder, dirname(path)), { recursive: true });
      copyFileSync(join(AUDIO_FIXTURES, 'id3v1_Blood_Sugar.mp3'), join(folder, path));
    }
    await promisify(execFile)('ffmpeg', [
      ...['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi'],
      ...['-i', `sine=frequency=220:sample_rate=8000:duration=${LONG_SECONDS}`],
      ...['-ac', '1', '-c:a', 'libmp3lame', '-b:a', '8k'],
      ...['-metadata', 'title=Long Mix', '-metadata', 'artist=Test Sine'],
      join(folder, 'Long Mix.mp3'),
    ]);

    other = await startOtherStorage(join(folder, 'other-store'));

    app = await startWebApp();
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await page.goto(app.url);
    await page.getByText('Drop audio files or folders').waitFor();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await other?.close();
    rmSync(folder, { recursive: true, force: true });
  });

  it('counts one track in the singular', async () => {
    await page.getByTestId('file-input').setInputFiles([join(folder, 'id3v1_Blood_Sugar.mp3')]);
    await waitForTracks(page, 1);

    expect(await page.getByTestId('track-count').textContent()).toBe('1 track');
  });

  it('counts several tracks in the plural', async () => {
    const rest = Object.keys(FORMATS).filter((name) => name !== 'id3v1_Blood_Sugar.mp3');
    await page.getByTestId('file-input').setInputFiles(rest.map((name) => join(folder, name)));
    await waitForTracks(page, Object.keys(FORMATS).length);

    expect(await page.getByTestId('track-count').textContent()).toBe(
      `${Object.keys(FORMATS).length} tracks`,
    );
  });

  it('names the format of every track', async () => {
    for (const [name, format] of Object.entries(FORMATS)) {
      expect(await row(page, `tracks/${name}`).locator('.format').textContent(), name).toBe(format);
    }
  });

  it('shows the full key over the title', async () => {
    for (const name of Object.keys(FORMATS)) {
      const title = row(page, `tracks/${name}`).locator('.title');
      expect(await title.getAttribute('title'), name).toBe(`tracks/${name}`);
    }
  });

  it('fits a track over an hour long', async () => {
    const time = row(page, 'tracks/Long Mix.mp3').locator('.duration');

    expect(await time.textContent()).toBe('1:02:05');
    const clipped = await time.evaluate((cell) => cell.scrollWidth > cell.clientWidth);
    expect(clipped).toBe(false);
  });

  it('shows the folder of tracks in folders', async () => {
    await page.getByTestId('folder-input').setInputFiles(join(folder, 'Sessions'));
    await waitForTracks(page, TRACK_COUNT);

    for (const path of FOLDER_COPIES) {
      const copy = row(page, `tracks/${path}`);
      expect(await copy.locator('.title').textContent(), path).toBe('Blood Sugar');
      expect(await copy.getByTestId('track-folder').textContent(), path).toBe(dirname(path));
    }
    expect(
      await row(page, 'tracks/id3v1_Blood_Sugar.mp3').getByTestId('track-folder').count(),
    ).toBe(0);
  });

  it('keeps Previous on the first track, where it restarts the track', async () => {
    const first = page.locator('tr[data-key]').first();
    await first.click();
    await expect
      .poll(() => page.getByTestId('now-playing-title').textContent())
      .not.toBe('Nothing playing');

    const title = await page.getByTestId('now-playing-title').textContent();
    expect(await page.getByRole('button', { name: 'Previous' }).isDisabled()).toBe(false);
    expect(await page.getByRole('button', { name: 'Next' }).isDisabled()).toBe(false);

    await page.getByRole('button', { name: 'Previous' }).click();
    expect(await page.getByTestId('now-playing-title').textContent()).toBe(title);
  });

  it('disables Next on the last track', async () => {
    await page.locator('tr[data-key]').last().click();
    await expect.poll(() => page.getByRole('button', { name: 'Next' }).isDisabled()).toBe(true);

    expect(await page.getByRole('button', { name: 'Previous' }).isDisabled()).toBe(false);
    await page.evaluate(() => document.querySelector('audio')?.pause());
  });

  it('takes one Tab stop for the whole table', async () => {
    await page.getByRole('button', { name: 'Refresh' }).focus();
    await page.keyboard.press('Tab');
    const first = await page.evaluate(() => document.activeElement?.getAttribute('data-key'));
    await page.keyboard.press('Tab');
    const second = await page.evaluate(() => document.activeElement?.getAttribute('data-key'));

    expect(first).toBeTruthy();
    expect(second).toBeNull();
    expect(await page.locator('tr[data-key][tabindex="0"]').count()).toBe(1);
  });

  it('moves between rows with the arrow keys', async () => {
    const keys = await page.$$eval('tr[data-key]', (rows) =>
      rows.map((element) => element.getAttribute('data-key')),
    );
    await page.locator('tr[data-key]').first().focus();
    const focused = (): Promise<string | null | undefined> =>
      page.evaluate(() => document.activeElement?.getAttribute('data-key'));

    await page.keyboard.press('ArrowDown');
    expect(await focused()).toBe(keys[1]);
    await page.keyboard.press('End');
    expect(await focused()).toBe(keys.at(-1));
    await page.keyboard.press('ArrowUp');
    expect(await focused()).toBe(keys.at(-2));
    await page.keyboard.press('Home');
    expect(await focused()).toBe(keys[0]);
    expect(await page.locator('tr[data-key][tabindex="0"]').getAttribute('data-key')).toBe(keys[0]);
  });

  it('plays the focused row with Enter', async () => {
    const target = page.locator('tr[data-key]').nth(1);
    await target.focus();
    await page.keyboard.press('Enter');

    await expect
      .poll(() => page.getByTestId('now-playing-title').textContent())
      .toBe(await target.locator('.title').textContent());
    await expect.poll(() => page.getByRole('button', { name: 'Pause' }).count()).toBe(1);
  });

  it('pauses and resumes with Space, without scrolling', async () => {
    await page.setViewportSize({ width: 1280, height: 400 });
    const current = page.locator('tr[aria-current="true"]');
    await current.focus();
    const scrolled = (): Promise<number> =>
      page.evaluate(() => document.querySelector('.library')?.scrollTop ?? -1);
    const before = await scrolled();

    await page.keyboard.press(' ');
    await expect
      .poll(() => page.getByRole('button', { name: 'Play', exact: true }).count())
      .toBe(1);
    await page.keyboard.press(' ');
    await expect.poll(() => page.getByRole('button', { name: 'Pause' }).count()).toBe(1);

    expect(await scrolled()).toBe(before);
    await page.evaluate(() => document.querySelector('audio')?.pause());
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  it('saves a screenshot of the library table', async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    const path = join(ARTIFACTS, 'library-table.png');
    await page.screenshot({ path });
    expect(readFileSync(path).length).toBeGreaterThan(10_000);
  });

  it('clears the tracks when the storage changes', async () => {
    await page.getByRole('button', { name: 'Settings' }).click();
    await page.getByLabel('Amazon S3').check();
    await page.getByLabel('Bucket').fill('other-bucket');
    await page.getByLabel('Region').fill('us-east-1');
    await page.getByLabel('Endpoint').fill(other.endpoint);
    await page.getByLabel('Path-style addressing').check();
    await page.getByRole('button', { name: 'Save' }).click();

    await expect
      .poll(() => page.getByTestId('storage-badge').textContent())
      .toContain('S3 bucket other-bucket');
    await expect.poll(() => page.getByTestId('track-count').textContent()).toBe('0 tracks');
    expect(await page.locator('tr[data-key]').count()).toBe(0);
  });

  it('clears the tracks when listing fails', async () => {
    await app.staging.handlers['settings.update']({ storage: { mode: 'embedded' } });
    await waitForTracks(page, TRACK_COUNT);

    await app.staging.handlers['settings.update']({
      storage: {
        mode: 'aws',
        bucket: 'missing-bucket',
        region: 'us-east-1',
        endpoint: other.endpoint,
        forcePathStyle: true,
      },
    });

    const error = page.locator('.library [role=alert]');
    await error.waitFor({ timeout: 20_000 });
    expect(await error.textContent()).toMatch(/Cannot load the library: .*bucket/i);
    expect(await page.locator('tr[data-key]').count()).toBe(0);
  });

  it('names uploads that wait for another storage', async () => {
    await page.getByTestId('file-input').setInputFiles([join(folder, 'id3v1_Blood_Sugar.mp3')]);
    await page.locator('[data-testid=upload-job][data-state=failed]').waitFor({ timeout: 30_000 });

    await app.staging.handlers['settings.update']({ storage: { mode: 'embedded' } });

    const notice = page.getByTestId('waiting-elsewhere');
    await expect
      .poll(() => notice.textContent(), { timeout: 20_000 })
      .toBe(
        `1 file waits for S3 bucket missing-bucket at ${other.endpoint} (id3v1_Blood_Sugar.mp3). Select that storage in Settings to upload, retry or discard it.`,
      );
    expect(await page.locator('[data-testid=upload-job][data-state=failed]').count()).toBe(0);
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'transfers-waiting.png') });
  });
});
