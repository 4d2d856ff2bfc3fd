import { join } from 'node:path';

import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { hasChromium, launchChromium } from '../support/browser';
import { AUDIO_FIXTURES } from '../support/fixtures';
import { clickTrack, readAudio, waitForPlaying } from '../support/player-page';
import { startWebApp } from '../support/web-app';
import type { WebApp } from '../support/web-app';

// A VBR MP3 without a Xing, Info or VBRI header: 10.7 s of audio that Chromium takes for 37.5 s.
const VBR_KEY = 'tracks/he_44khz.mp3';
const VBR_SECONDS = 10.71;

function slider(page: Page): Locator {
  return page.getByRole('slider', { name: 'Playback position' });
}

async function pause(page: Page): Promise<void> {
  await page.evaluate(() => document.querySelector('audio')?.pause());
  await expect.poll(() => page.getByRole('button', { name: 'Play', exact: true }).count()).toBe(1);
}

describe.skipIf(!hasChromium)('player timeline in web mode', () => {
  let app: WebApp;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    app = await startWebApp();
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await page.goto(app.url);
    await page.getByText('Drop audio files or folders').waitFor();
    await page.getByTestId('file-input').setInputFiles([join(AUDIO_FIXTURES, 'he_44khz.mp3')]);
    await page.locator(`tr[data-key="${VBR_KEY}"]`).waitFor({ timeout: 60_000 });
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  it('shows the stored duration, not the guess', async () => {
    await clickTrack(page, VBR_KEY);
    const audio = await waitForPlaying(page, null, 20_000);

    // Without this guess the test would prove nothing.
    expect(audio.duration, 'Chromium guesses the duration').toBeGreaterThan(30);
    expect(await page.getByTestId('duration').textContent()).toBe('0:11');
    expect(await slider(page).getAttribute('aria-valuemax')).toBe('11');
  });

  it('seeks by the stored duration on click', async () => {
    await pause(page);
    const box = await page.getByTestId('waveform').boundingBox();
    if (box === null) {
      throw new Error('the waveform is not visible');
    }

    await page.mouse.click(box.x + box.width * 0.8, box.y + box.height / 2);

    await expect.poll(() => page.getByTestId('position').textContent()).toBe('0:09');
    expect(await slider(page).getAttribute('aria-valuenow')).toBe('9');
    // The element goes to the same share of its own guessed duration, at about the same bytes.
    const { currentTime, duration } = await readAudio(page);
    expect(currentTime / duration).toBeCloseTo(0.8, 1);
  });

  it('seeks 5 s with the arrow keys', async () => {
    await slider(page).focus();

    await page.keyboard.press('Home');
    await expect.poll(() => slider(page).getAttribute('aria-valuenow')).toBe('0');
    await page.keyboard.press('ArrowRight');
    await expect.poll(() => slider(page).getAttribute('aria-valuenow')).toBe('5');
    await page.keyboard.press('ArrowRight');
    await expect.poll(() => slider(page).getAttribute('aria-valuenow')).toBe('10');
    await page.keyboard.press('ArrowLeft');
    await expect.poll(() => slider(page).getAttribute('aria-valuenow')).toBe('5');
    expect(await slider(page).getAttribute('aria-valuetext')).toBe('0:05 of 0:11');
    expect(await page.getByTestId('position').textContent()).toBe('0:05');
  });

  it('ends at the stored duration', async () => {
    await page.getByRole('button', { name: 'Play', exact: true }).click();
    await page.waitForFunction(() => document.querySelector('audio')?.ended === true, undefined, {
      timeout: 30_000,
    });

    await expect.poll(() => page.getByTestId('position').textContent()).toBe('0:11');
    expect(Number(await slider(page).getAttribute('aria-valuenow'))).toBe(Math.round(VBR_SECONDS));
  });

  it('restarts from the start after the end', async () => {
    await page.getByRole('button', { name: 'Play', exact: true }).click();
    await page.waitForFunction(() => (document.querySelector('audio')?.currentTime ?? 99) < 2);

    await expect.poll(() => page.getByTestId('position').textContent()).toMatch(/^0:0[0-2]$/);
    await pause(page);
  });
});
