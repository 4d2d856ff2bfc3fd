import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { hasChromium, launchChromium } from '../support/browser';
import { AUDIO_FIXTURES } from '../support/fixtures';
import { clickTrack, waitForPlaying } from '../support/player-page';
import { startWebApp } from '../support/web-app';
import type { WebApp } from '../support/web-app';

const ARTIFACTS = join(import.meta.dirname, '..', '..', 'test-results');
const SIZES = [
  { width: 420, height: 560 },
  { width: 800, height: 600 },
  { width: 1280, height: 800 },
];

interface Box {
  name: string;
  left: number;
  right: number;
  /** Whether the content is wider than the element, so part of it is cut. */
  clipped: boolean;
}

// Boxes of the visible elements that `selector` matches.
async function boxesOf(page: Page, selector: string): Promise<Box[]> {
  return page.$$eval(selector, (elements) =>
    elements
      .filter((element) => element.getClientRects().length > 0)
      .map((element) => {
        const rect = element.getBoundingClientRect();
        return {
          name: element.getAttribute('aria-label') ?? element.textContent ?? '',
          left: rect.left,
          right: rect.right,
          clipped: element.scrollWidth > element.clientWidth + 1,
        };
      }),
  );
}

describe.skipIf(!hasChromium)('window sizes in web mode', () => {
  const folder = mkdtempSync(join(tmpdir(), 'cratebox-sizes-'));
  let app: WebApp;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    mkdirSync(join(folder, 'Live', 'Berlin'), { recursive: true });
    copyFileSync(join(AUDIO_FIXTURES, 'he_44khz.mp3'), join(folder, 'he_44khz.mp3'));
    copyFileSync(
      join(AUDIO_FIXTURES, "MusicBrainz - Beth Hart - Sinner's Prayer.flac"),
      join(folder, 'Live', 'Berlin', "Sinner's Prayer.flac"),
    );
    await promisify(execFile)('ffmpeg', [
      ...['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi'],
      ...['-i', 'sine=frequency=220:sample_rate=8000:duration=3600'],
      ...['-ac', '1', '-c:a', 'libmp3lame', '-b:a', '8k'],
      ...['-metadata', 'title=Hour Mix', '-metadata', 'artist=Test Sine'],
      join(folder, 'Hour Mix.mp3'),
    ]);

    app = await startWebApp();
    browser = await launchChromium();
    page = await browser.newPage({ viewport: SIZES[0] });
    await page.goto(app.url);
    await page.getByText('Drop audio files or folders').waitFor();
    await page
      .getByTestId('file-input')
      .setInputFiles([join(folder, 'he_44khz.mp3'), join(folder, 'Hour Mix.mp3')]);
    await page.getByTestId('folder-input').setInputFiles(join(folder, 'Live'));
    await page.waitForFunction(() => document.querySelectorAll('tr[data-key]').length === 3, null, {
      timeout: 120_000,
    });
    await clickTrack(page, 'tracks/he_44khz.mp3');
    await waitForPlaying(page, null, 20_000);
    await page.evaluate(() => document.querySelector('audio')?.pause());
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await app?.close();
    rmSync(folder, { recursive: true, force: true });
  });

  describe.each(SIZES)('at $width×$height', (size) => {
    beforeAll(async () => {
      await page.setViewportSize(size);
    });

    it('does not scroll sideways', async () => {
      const widths = await page.evaluate(() => ({
        scroll: document.documentElement.scrollWidth,
        client: document.documentElement.clientWidth,
      }));
      expect(widths.scroll).toBeLessThanOrEqual(widths.client);
    });

    it('keeps the column headers apart and whole', async () => {
      const headers = await boxesOf(page, '.tracks th');
      for (const [index, header] of headers.entries()) {
        expect(header.clipped, header.name).toBe(false);
        const next = headers[index + 1];
        if (next !== undefined) {
          expect(header.right, `${header.name} ends before ${next.name}`).toBeLessThanOrEqual(
            next.left + 0.5,
          );
        }
      }
    });

    it('shows every button whole', async () => {
      for (const button of await boxesOf(page, 'button')) {
        expect(button.clipped, button.name).toBe(false);
        expect(button.left, button.name).toBeGreaterThanOrEqual(0);
        expect(button.right, button.name).toBeLessThanOrEqual(size.width);
      }
    });

    it('keeps the volume slider inside the window', async () => {
      const [volume] = await boxesOf(page, 'input[aria-label="Volume"]');
      expect(volume?.left).toBeGreaterThanOrEqual(0);
      expect(volume?.right).toBeLessThanOrEqual(size.width);
    });

    it('gives the waveform room', async () => {
      const box = await page.getByTestId('waveform').boundingBox();
      expect(box?.width).toBeGreaterThan(200);
    });

    it('shows an hour-long duration whole', async () => {
      const time = page.locator('tr[data-key="tracks/Hour Mix.mp3"] .duration');
      expect(await time.textContent()).toBe('1:00:00');
      expect(await time.evaluate((cell) => cell.scrollWidth > cell.clientWidth)).toBe(false);
    });

    it('saves a screenshot', async () => {
      mkdirSync(ARTIFACTS, { recursive: true });
      const path = join(ARTIFACTS, `window-${size.width}x${size.height}.png`);
      await page.screenshot({ path });
      expect(readFileSync(path).length).toBeGreaterThan(10_000);
    });
  });
});
