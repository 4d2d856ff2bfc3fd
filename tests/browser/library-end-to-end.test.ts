import { readFileSync, readdirSync } from 'node:fs';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

import { DeleteObjectCommand } from '@aws-sdk/client-s3';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { EMBEDDED_BUCKET } from '../../electron/main/settings/app-config';
import { createS3Client } from '../../electron/main/storage/s3-client';
import { hasChromium, launchChromium } from '../support/browser';
import { startWebApp } from '../support/web-app';
import type { WebApp } from '../support/web-app';
import { AUDIO_FIXTURES } from '../support/fixtures';

const FIXTURES = AUDIO_FIXTURES;
const ARTIFACTS = join(import.meta.dirname, '..', '..', 'test-results');

interface ManifestEntry {
  file: string;
  expected: {
    title: string | null;
    artist: string | null;
    album: string | null;
    durationSeconds: number | null;
    tagTypes?: string[];
  };
}

const manifest = JSON.parse(
  readFileSync(join(FIXTURES, 'MANIFEST.json'), 'utf8'),
) as ManifestEntry[];
const allFiles = readdirSync(FIXTURES);

/** Files the uploader must refuse, with the words its message must contain. */
const REFUSED: Record<string, RegExp> = {
  'README.md': /not an audio file/i,
  'MANIFEST.json': /not an audio file/i,
  'bug-non ascii chars.mp3': /no audio/i,
  'incomplete.mp3': /truncated/i,
};

interface Row {
  key: string;
  title: string;
  artist: string;
  album: string;
  duration: string;
}

async function dropFiles(page: Page, names: string[]): Promise<void> {
  const files = names.map((name) => ({
    name,
    base64: readFileSync(join(FIXTURES, name)).toString('base64'),
  }));
  const dataTransfer = await page.evaluateHandle((payload) => {
    const transfer = new DataTransfer();
    for (const { name, base64 } of payload) {
      const bytes = Uint8Array.from(atob(base64), (character) => character.charCodeAt(0));
      transfer.items.add(new File([bytes], name));
    }
    return transfer;
  }, files);
  await page.dispatchEvent('body', 'dragenter', { dataTransfer });
  await page.dispatchEvent('body', 'drop', { dataTransfer });
}

function seconds(text: string): number {
  const [minutes, rest] = text.split(':');
  return Number(minutes) * 60 + Number(rest);
}

describe.skipIf(!hasChromium)('library end to end in web mode', () => {
  let app: WebApp;
  let browser: Browser;
  let page: Page;
  let rows: Row[];

  beforeAll(async () => {
    app = await startWebApp();
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(app.url);
    await page.getByText('Drop audio files or folders').waitFor();

    await dropFiles(page, allFiles);
    await page.waitForFunction(
      (count) => {
        const jobs = [...document.querySelectorAll<HTMLElement>('[data-testid=upload-job]')];
        return (
          jobs.length === count &&
          jobs.every((job) => ['done', 'skipped', 'failed'].includes(job.dataset.state ?? ''))
        );
      },
      allFiles.length,
      { timeout: 120_000 },
    );
    const expectedTracks = allFiles.length - Object.keys(REFUSED).length;
    await page.waitForFunction(
      (count) => document.querySelectorAll('tr[data-key]').length === count,
      expectedTracks,
    );

    rows = await page.$$eval('tr[data-key]', (elements) =>
      elements.map((row) => ({
        key: row.getAttribute('data-key') ?? '',
        title: row.querySelector('.title')?.textContent ?? '',
        artist: row.querySelector('.artist')?.textContent ?? '',
        album: row.querySelector('.album')?.textContent ?? '',
        duration: row.querySelector('.duration')?.textContent ?? '',
      })),
    );
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  it('uploads every audio fixture into tracks/', () => {
    const audio = allFiles.filter((name) => !(name in REFUSED));
    expect(rows.map((row) => row.key).sort()).toEqual(audio.map((name) => `tracks/${name}`).sort());
  });

  it('lists tags and durations asserted by the fixtures manifest', () => {
    for (const entry of manifest.filter((item) => !(item.file in REFUSED))) {
      const row = rows.find((candidate) => candidate.key === `tracks/${entry.file}`);
      expect(row, entry.file).toBeDefined();
      const { title, artist, album, durationSeconds } = entry.expected;
      if (title !== null) {
        expect(row?.title, `${entry.file} title`).toBe(title);
      }
      if (artist !== null) {
        expect(row?.artist, `${entry.file} artist`).toBe(artist);
      }
      if (album !== null) {
        expect(row?.album, `${entry.file} album`).toBe(album);
      }
      if (durationSeconds !== null) {
        // The table shows whole seconds, so the check allows the rounding on top of 0.5 s.
        expect(
          Math.abs(seconds(row?.duration ?? '') - durationSeconds),
          `${entry.file} duration`,
        ).toBeLessThanOrEqual(1);
      }
    }
  });

  it('titles an untagged track with its file name', () => {
    for (const entry of manifest.filter((item) => item.expected.tagTypes?.length === 0)) {
      const row = rows.find((candidate) => candidate.key === `tracks/${entry.file}`);
      expect(row?.title).toBe(`${entry.file} (file name)`);
    }
  });

  it('sorts the library by artist, album and track', () => {
    const artists = rows.map((row) => row.artist).filter((artist) => artist !== '');
    const sorted = [...artists].sort((a, b) =>
      a.localeCompare(b, undefined, { sensitivity: 'base' }),
    );
    expect(artists).toEqual(sorted);
  });

  it('explains every refused file', async () => {
    for (const [name, reason] of Object.entries(REFUSED)) {
      const job = page.locator(`[data-testid=upload-job][data-name="${name}"]`);
      await expect.poll(() => job.getAttribute('data-state')).toBe('skipped');
      expect(await job.getByTestId('upload-message').textContent(), name).toMatch(reason);
    }
  });

  it('plays a track and advances currentTime', async () => {
    await page.locator('tr[data-key="tracks/id3v1_Blood_Sugar.mp3"]').click();
    await page.waitForFunction(
      () => (document.querySelector('audio')?.currentTime ?? 0) > 0.5,
      undefined,
      { timeout: 20_000 },
    );
    const first = await page.evaluate(() => document.querySelector('audio')?.currentTime ?? 0);
    await page.waitForFunction(
      (start) => (document.querySelector('audio')?.currentTime ?? 0) > start + 0.3,
      first,
    );
    expect(await page.getByTestId('now-playing-title').textContent()).toBe('Blood Sugar');
  });

  it('seeks when the waveform is clicked', async () => {
    await page.evaluate(() => document.querySelector('audio')?.pause());
    const box = await page.getByTestId('waveform').boundingBox();
    expect(box).not.toBeNull();
    await page.mouse.click(
      (box?.x ?? 0) + (box?.width ?? 0) * 0.75,
      (box?.y ?? 0) + (box?.height ?? 0) / 2,
    );
    const duration = await page.evaluate(() => document.querySelector('audio')?.duration ?? 0);
    await expect
      .poll(() => page.evaluate(() => document.querySelector('audio')?.currentTime ?? 0))
      .toBeGreaterThan(duration * 0.6);
    expect(
      await page.evaluate(() => document.querySelector('audio')?.currentTime ?? 0),
    ).toBeLessThan(duration * 0.9);
  });

  it('marks a format this browser cannot decode', async () => {
    const aiff = page.locator(
      `tr[data-key="tracks/MusicBrainz - Beth Hart - Sinner's Prayer [id3v2.4].aiff"]`,
    );
    const m4a = page.locator(`tr[data-key="tracks/MusicBrainz - Beth Hart - Sinner's Prayer.m4a"]`);

    expect(await aiff.getAttribute('data-undecodable')).toBe('true');
    expect(await aiff.getByTestId('track-note').textContent()).toBe(
      'AIFF does not play in this player',
    );
    // Chromium reports that it may play audio/mp4, so an ALAC file shows as such once it failed.
    expect(await m4a.getAttribute('data-undecodable')).toBeNull();
  });

  it('explains formats the player cannot decode', async () => {
    const cases = [
      [
        "MusicBrainz - Beth Hart - Sinner's Prayer [id3v2.4].aiff",
        /cannot decode audio\/aiff audio/,
      ],
      ["MusicBrainz - Beth Hart - Sinner's Prayer.m4a", /cannot decode audio\/mp4 audio/],
    ] as const;
    for (const [name, message] of cases) {
      await page.locator(`tr[data-key="tracks/${name}"]`).click();
      const error = page.getByTestId('player-error');
      await error.waitFor({ timeout: 20_000 });
      expect(await error.textContent(), name).toMatch(message);
      const row = page.locator(`tr[data-key="tracks/${name}"]`);
      expect(await row.getAttribute('data-undecodable'), name).toBe('true');
    }
  });

  it('shows an error when a track cannot load', async () => {
    const s3 = createS3Client(app.storageTarget());
    await s3.send(new DeleteObjectCommand({ Bucket: EMBEDDED_BUCKET, Key: 'tracks/id3v2.3.mp3' }));
    s3.destroy();

    await page.locator('tr[data-key="tracks/id3v2.3.mp3"]').click();

    const error = page.getByTestId('player-error');
    await error.waitFor({ timeout: 20_000 });
    expect(await error.textContent()).toMatch(
      /Cannot play Home: .*not in bucket cratebox; refresh the library/,
    );
  });

  it('saves a screenshot of the library', async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    const path = join(ARTIFACTS, 'library.png');
    await page.screenshot({ path, fullPage: true });
    expect(readFileSync(path).length).toBeGreaterThan(10_000);
  });
});
