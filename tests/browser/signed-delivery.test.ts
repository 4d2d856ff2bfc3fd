import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

import type { S3Client } from '@aws-sdk/client-s3';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { EMBEDDED_BUCKET } from '../../electron/main/settings/app-config';
import { createS3Client } from '../../electron/main/storage/s3-client';
import { hasChromium, launchChromium } from '../support/browser';
import { startCloudFrontEdge } from '../support/cloudfront-edge';
import type { CloudFrontEdge, EdgeRequest } from '../support/cloudfront-edge';
import { generateTestKeyPair } from '../support/key-pairs';
import {
  clickTrack,
  distanceFromBuffered,
  installPlaybackLog,
  readAudio,
  readPlaybackLog,
  seekWithWaveform,
  waitForPlaying,
  waitForPositionPast,
} from '../support/player-page';
import { startWebApp } from '../support/web-app';
import type { WebApp } from '../support/web-app';

// Ten minutes at 192 kbit/s is 14.4 MB, far more than Chromium buffers ahead (about 3 MB in
// Chromium 156), so a seek far ahead needs a new Range request on the current URL. Chromium may
// keep reading its open response for a seek just past the buffered data, so forward seeks go
// at least FAR_AHEAD_SECONDS (4.8 MB) past it, and other seeks go backward.
const LONG_SECONDS = 600;
const FAR_AHEAD_SECONDS = 200;
const SHORT_SECONDS = 30;
const FOLDER = 'Signed delivery';
const LONG_KEY = `tracks/${FOLDER}/Long tone.mp3`;
const SHORT_KEY = `tracks/${FOLDER}/Short tone.mp3`;
const LIFETIME_SECONDS = 60;
// Each expiry step moves the edge clock past the lifetime of every URL signed so far.
const EXPIRY_STEP_MS = 2 * LIFETIME_SECONDS * 1000;
// Chromium retries a rejected Range request for about 30 s before it fires `error`, so recovery
// must come from the stall well before that.
const RECOVERY_TIMEOUT_MS = 20_000;
const FALLBACK_REASON = 'CloudFront answered 403 Forbidden; playing from S3';
// About 87 s of the long track, which lasts under 6 s when played 16 times as fast.
const HELD_BODY_BYTES = 2 * 1024 * 1024;
const BUFFERED_BEFORE_DROP_SECONDS = 40;
const FAST_RATE = 16;

async function makeTone(path: string, seconds: number, frequency: number): Promise<void> {
  await promisify(execFile)('ffmpeg', [
    '-loglevel',
    'error',
    '-f',
    'lavfi',
    '-i',
    `sine=frequency=${frequency}:duration=${seconds}`,
    '-b:a',
    '192k',
    path,
  ]);
}

/** Returns the path and query the edge received for a signed URL on the edge. */
function requestTarget(edge: CloudFrontEdge, url: string | null): string {
  return (url ?? '').slice(edge.origin.length);
}

describe.skipIf(!hasChromium)('signed delivery in web mode', () => {
  const keyPair = generateTestKeyPair('K2DELIVERYTEST');
  // The edge reads its origin per request, so the client can be set once the app's store runs.
  const origin: { client: S3Client; bucket: string } = {
    client: createS3Client({
      bucket: EMBEDDED_BUCKET,
      region: 'us-east-1',
      endpoint: 'http://127.0.0.1:9',
      forcePathStyle: true,
      credentials: { accessKeyId: 'unset', secretAccessKey: 'unset' },
    }),
    bucket: EMBEDDED_BUCKET,
  };
  let folder: string;
  let edge: CloudFrontEdge;
  let app: WebApp;
  let browser: Browser;
  let page: Page;
  let edgeClockMs = 0;

  /** Edge requests since `from` for any URL of `key`'s path. */
  function requestsFor(key: string, from: number): EdgeRequest[] {
    const path = `/${key.split('/').map(encodeURIComponent).join('/')}?`;
    return edge.requests.slice(from).filter((request) => request.rawUrl.startsWith(path));
  }

  function expireEdgeUrls(): void {
    edgeClockMs += EXPIRY_STEP_MS;
    edge.setClockOffset(edgeClockMs);
  }

  beforeAll(async () => {
    folder = await mkdtemp(join(tmpdir(), 'cratebox-delivery-'));
    await mkdir(join(folder, FOLDER));
    await Promise.all([
      makeTone(join(folder, FOLDER, 'Long tone.mp3'), LONG_SECONDS, 440),
      makeTone(join(folder, FOLDER, 'Short tone.mp3'), SHORT_SECONDS, 660),
    ]);

    edge = await startCloudFrontEdge({
      origin,
      trustedKeys: { [keyPair.id]: keyPair.publicKeyPem },
    });
    app = await startWebApp({
      CRATEBOX_CLOUDFRONT_DOMAIN: edge.origin,
      CRATEBOX_CLOUDFRONT_KEY_PAIR_ID: keyPair.id,
      CRATEBOX_CLOUDFRONT_PRIVATE_KEY: keyPair.privateKeyPem.replace(/\n/g, '\\n'),
      CRATEBOX_URL_LIFETIME_SECONDS: String(LIFETIME_SECONDS),
    });
    origin.client.destroy();
    origin.client = createS3Client(app.storageTarget());

    const { batchId } = await app.services.handlers['uploads.add']({
      sources: [{ path: join(folder, FOLDER) }],
    });
    const report = await app.services.engine().whenBatchDone(batchId);
    expect(report.summary.uploaded).toBe(2);

    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await page.goto(app.url);
    await page.locator('tr[data-key]').nth(1).waitFor();
    await installPlaybackLog(page);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await edge?.close();
    origin.client.destroy();
    if (folder !== undefined) {
      await rm(folder, { recursive: true, force: true });
    }
  });

  it('plays through CloudFront with Range requests', async () => {
    await clickTrack(page, LONG_KEY);
    const playing = await waitForPlaying(page, null, RECOVERY_TIMEOUT_MS);
    await waitForPositionPast(page, playing.currentTime + 0.5);

    expect(await page.getByTestId('delivery').textContent()).toBe('via CloudFront');
    expect(playing.src?.startsWith(`${edge.origin}/`)).toBe(true);
    const requests = requestsFor(LONG_KEY, 0);
    expect(requests.length).toBeGreaterThan(0);
    for (const request of requests) {
      expect(request.rawUrl).toBe(requestTarget(edge, playing.src));
      expect(request.decision).toBe('allowed');
    }
    expect(requests.some((request) => request.range !== null && request.status === 206)).toBe(true);
  });

  it('expired URL resumes at the seek target', async () => {
    const before = await readAudio(page);
    const seconds = Math.round(LONG_SECONDS * 0.85);
    expect(distanceFromBuffered(before, seconds)).toBeGreaterThan(FAR_AHEAD_SECONDS);
    const firstRequest = edge.requests.length;

    expireEdgeUrls();
    const target = await seekWithWaveform(page, seconds);
    const resumed = await waitForPlaying(page, before.src, RECOVERY_TIMEOUT_MS);
    const later = await waitForPositionPast(page, resumed.currentTime + 0.5);

    expect(Math.abs(resumed.currentTime - target)).toBeLessThan(1);
    expect(later).toBeGreaterThan(target);
    expect(await page.getByTestId('delivery').textContent()).toBe('via CloudFront');

    const requests = requestsFor(LONG_KEY, firstRequest);
    const rejected = requests.findIndex(
      (request) =>
        request.rawUrl === requestTarget(edge, before.src) &&
        request.status === 403 &&
        request.decision === 'expired',
    );
    expect(rejected).toBeGreaterThanOrEqual(0);
    const fresh = requests.slice(rejected).find((request) => request.status === 206);
    expect(fresh?.rawUrl).toBe(requestTarget(edge, resumed.src));
    expect(fresh?.range).not.toBeNull();

    const log = await readPlaybackLog(page);
    expect(log.mediaErrors).toEqual([]);
    expect(log.shownErrors).toEqual([]);
  });

  it('seek while paused resumes at the target on play', async () => {
    await page.getByRole('button', { name: 'Pause' }).click();
    const before = await readAudio(page);
    expect(before.paused).toBe(true);
    const seconds = Math.round(LONG_SECONDS * 0.45);
    expect(seconds).toBeLessThan(before.currentTime);
    expect(distanceFromBuffered(before, seconds)).toBeGreaterThan(10);
    const firstRequest = edge.requests.length;

    expireEdgeUrls();
    const target = await seekWithWaveform(page, seconds);
    // The player replaces the rejected URL while paused; its new source waits at the target.
    await page.waitForFunction(
      (previous) => {
        const audio = document.querySelector('audio');
        return audio !== null && audio.getAttribute('src') !== previous && audio.readyState >= 1;
      },
      before.src,
      { timeout: RECOVERY_TIMEOUT_MS },
    );
    await page.getByRole('button', { name: 'Play' }).click();
    const resumed = await waitForPlaying(page, before.src, RECOVERY_TIMEOUT_MS);
    const later = await waitForPositionPast(page, resumed.currentTime + 0.5);

    expect(Math.abs(resumed.currentTime - target)).toBeLessThan(1);
    expect(later).toBeGreaterThan(target);
    const requests = requestsFor(LONG_KEY, firstRequest);
    expect(
      requests.some(
        (request) => request.status === 403 && request.rawUrl === requestTarget(edge, before.src),
      ),
    ).toBe(true);
    expect(
      requests.some(
        (request) => request.status === 206 && request.rawUrl === requestTarget(edge, resumed.src),
      ),
    ).toBe(true);

    const log = await readPlaybackLog(page);
    expect(log.mediaErrors).toEqual([]);
    expect(log.shownErrors).toEqual([]);
  });

  it('dropped connection resumes where playback stopped', async () => {
    // The edge sends part of the body and holds the rest, so the element plays what it has.
    edge.setBodyLimit(HELD_BODY_BYTES);
    const previous = await readAudio(page);
    await clickTrack(page, LONG_KEY);
    const before = await waitForPlaying(page, previous.src, RECOVERY_TIMEOUT_MS);
    await expect
      .poll(async () => (await readAudio(page)).buffered.at(-1)?.[1] ?? 0, {
        timeout: RECOVERY_TIMEOUT_MS,
      })
      .toBeGreaterThan(BUFFERED_BEFORE_DROP_SECONDS);
    const atDrop = await readAudio(page);
    const firstRequest = edge.requests.length;
    const waitsBefore = (await readPlaybackLog(page)).waitingPositions.length;

    // The URL expires and the connection breaks, so the element's next Range request fails.
    edge.setBodyLimit(null);
    expireEdgeUrls();
    edge.dropConnections();
    await page.evaluate((rate) => {
      const audio = document.querySelector('audio');
      if (audio !== null) {
        audio.playbackRate = rate;
      }
    }, FAST_RATE);
    const resumed = await waitForPlaying(page, before.src, RECOVERY_TIMEOUT_MS);
    const later = await waitForPositionPast(page, resumed.currentTime + 0.5);

    // The element played on from its buffer, stopped without data, and resumed at that spot.
    const log = await readPlaybackLog(page);
    const stoppedAt = log.waitingPositions.slice(waitsBefore).at(-1) ?? Number.NaN;
    expect(stoppedAt).toBeGreaterThan(atDrop.currentTime + 10);
    expect(Math.abs(resumed.currentTime - stoppedAt)).toBeLessThan(1);
    expect(later).toBeGreaterThan(stoppedAt);

    const requests = requestsFor(LONG_KEY, firstRequest);
    const rejected = requests.find(
      (request) => request.rawUrl === requestTarget(edge, before.src) && request.status === 403,
    );
    expect(rejected?.decision).toBe('expired');
    expect(rejected?.range).toMatch(/^bytes=[1-9]\d*-/);
    expect(
      requests.some(
        (request) => request.status === 206 && request.rawUrl === requestTarget(edge, resumed.src),
      ),
    ).toBe(true);
    expect(log.mediaErrors).toEqual([]);
    expect(log.shownErrors).toEqual([]);
  });

  it('untrusted key falls back to S3 at the same second', async () => {
    // Starting the track again gives it a fresh URL and a fresh budget of recoveries.
    const previous = await readAudio(page);
    await clickTrack(page, LONG_KEY);
    const before = await waitForPlaying(page, previous.src, RECOVERY_TIMEOUT_MS);
    const seconds = Math.round(LONG_SECONDS * 0.85);
    expect(distanceFromBuffered(before, seconds)).toBeGreaterThan(FAR_AHEAD_SECONDS);
    const firstRequest = edge.requests.length;

    edge.distrustKey(keyPair.id);
    const target = await seekWithWaveform(page, seconds);
    const resumed = await waitForPlaying(page, before.src, RECOVERY_TIMEOUT_MS);
    const later = await waitForPositionPast(page, resumed.currentTime + 0.5);

    expect(Math.abs(resumed.currentTime - target)).toBeLessThan(1);
    expect(later).toBeGreaterThan(target);
    expect(resumed.src?.startsWith(`${app.storageTarget().endpoint}/${EMBEDDED_BUCKET}/`)).toBe(
      true,
    );
    expect(await page.getByTestId('delivery').textContent()).toBe('via S3 (fallback)');
    await expect
      .poll(() => page.getByText(FALLBACK_REASON).count(), { timeout: RECOVERY_TIMEOUT_MS })
      .toBe(1);

    const rejected = requestsFor(LONG_KEY, firstRequest).filter(
      (request) => request.status === 403,
    );
    expect(rejected.length).toBeGreaterThan(0);
    for (const request of rejected) {
      expect(request.decision).toBe('unknown-key');
    }
    const log = await readPlaybackLog(page);
    expect(log.mediaErrors).toEqual([]);
    expect(log.shownErrors).toEqual([]);
  });

  it('track rejected at its start plays from S3', async () => {
    const before = await readAudio(page);
    const firstRequest = edge.requests.length;

    await clickTrack(page, SHORT_KEY);
    const playing = await waitForPlaying(page, before.src, RECOVERY_TIMEOUT_MS);
    await waitForPositionPast(page, playing.currentTime + 0.5);

    expect(await page.getByTestId('now-playing-title').textContent()).toBe('Short tone.mp3');
    expect(await page.getByTestId('delivery').textContent()).toBe('via S3 (fallback)');
    expect(playing.src?.startsWith(`${app.storageTarget().endpoint}/`)).toBe(true);
    const requests = requestsFor(SHORT_KEY, firstRequest);
    expect(requests.length).toBeGreaterThan(0);
    for (const request of requests) {
      expect(request.decision).toBe('unknown-key');
    }

    // Chromium fails a source whose first request is rejected at once, with
    // MEDIA_ERR_SRC_NOT_SUPPORTED, and the player recovers without showing that error.
    const log = await readPlaybackLog(page);
    expect(log.mediaErrors).toEqual([4]);
    expect(log.shownErrors).toEqual([]);
  });
});
