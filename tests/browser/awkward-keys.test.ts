import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';

import type { S3Client } from '@aws-sdk/client-s3';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { EMBEDDED_BUCKET } from '../../electron/main/settings/app-config';
import { createS3Client } from '../../electron/main/storage/s3-client';
import { hasChromium, launchChromium } from '../support/browser';
import { startCloudFrontEdge } from '../support/cloudfront-edge';
import type { CloudFrontEdge } from '../support/cloudfront-edge';
import { generateTestKeyPair } from '../support/key-pairs';
import {
  clickTrack,
  installPlaybackLog,
  readPlaybackLog,
  waitForPlaying,
  waitForPositionPast,
} from '../support/player-page';
import { startWebApp } from '../support/web-app';
import type { WebApp } from '../support/web-app';
import { AUDIO_FIXTURES } from '../support/fixtures';

// A real 5.5 s MP3 from the shared fixtures. Its ID3v1 tag is removed, so every copy is titled with
// its own file name.
const FIXTURE = join(AUDIO_FIXTURES, 'id3v1_Blood_Sugar.mp3');
const FOLDER = 'Awkward names';
const PLAY_TIMEOUT_MS = 20_000;

// Paths below FOLDER. Each one contains characters that URL encoders, URL parsers, CloudFront's
// policy matching or S3's key decoding treat specially. All are valid Linux file names.
const AWKWARD_PATHS = [
  'space in name.mp3',
  ' leading space.mp3',
  'trailing space .mp3',
  'plus+sign.mp3',
  'ampersand & co.mp3',
  'hash #1.mp3',
  '100% pure.mp3',
  'literal %20 escape.mp3',
  'encoded %2F slash.mp3',
  'question?.mp3',
  '(round) brackets.mp3',
  '[square] brackets.mp3',
  '{curly} brackets.mp3',
  "it's single.mp3",
  '"double quotes".mp3',
  'Caf\u00e9 NFC.mp3',
  'Cafe\u0301 NFD.mp3',
  ' leading space folder/inside.mp3',
  'A\u030angstro\u0308m NFD folder/track.mp3',
  '\u00c5ngstr\u00f6m NFC folder/track.mp3',
  'emoji \u{1f3b5}\u{1f3b8}.mp3',
  '\u65e5\u672c\u8a9e \u66f2.mp3',
  '\u0395\u03bb\u03bb\u03b7\u03bd\u03b9\u03ba\u03ac.mp3',
  'equals=semicolon;comma,.mp3',
  'Expires=1&Signature=x&Key-Pair-Id=K.mp3',
  'dollar$ at@ colon: bang! star*.mp3',
  'tilde~ caret^ backtick`.mp3',
  'pipe | less< greater>.mp3',
  'trailing dot..mp3',
];

/** Track key the uploader gives a path below FOLDER: segments in NFC, under `tracks/`. */
function keyOf(path: string): string {
  const segments = [FOLDER, ...path.split('/')].map((segment) => segment.normalize('NFC'));
  return `tracks/${segments.join('/')}`;
}

/** Decodes the path of a URL back into the object key it names, dropping `prefix`. */
function keyInUrl(url: string, prefix: string): string {
  const path = url.slice(prefix.length, url.indexOf('?'));
  return path.split('/').map(decodeURIComponent).join('/');
}

describe.skipIf(!hasChromium)('awkward key names in web mode', () => {
  const keyPair = generateTestKeyPair('K2AWKWARDTEST');
  const keys = AWKWARD_PATHS.map(keyOf);
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

  /** Plays `key` from its library row and returns the URL the player streams from. */
  async function playTrack(key: string): Promise<string> {
    const previous = await page.evaluate(() =>
      document.querySelector('audio')?.getAttribute('src'),
    );
    await clickTrack(page, key);
    const playing = await waitForPlaying(page, previous ?? null, PLAY_TIMEOUT_MS);
    await waitForPositionPast(page, playing.currentTime + 0.2);
    expect(await page.getByTestId('now-playing-title').textContent(), key).toBe(
      key.slice(key.lastIndexOf('/') + 1),
    );
    return playing.src ?? '';
  }

  beforeAll(async () => {
    folder = await mkdtemp(join(tmpdir(), 'cratebox-awkward-'));
    const stripped = join(folder, 'stripped.mp3');
    await promisify(execFile)('ffmpeg', [
      '-loglevel',
      'error',
      '-i',
      FIXTURE,
      '-map_metadata',
      '-1',
      '-c:a',
      'copy',
      '-id3v2_version',
      '0',
      '-write_id3v1',
      '0',
      stripped,
    ]);
    for (const path of AWKWARD_PATHS) {
      const target = join(folder, FOLDER, path);
      await mkdir(dirname(target), { recursive: true });
      await copyFile(stripped, target);
    }
    const privateKeyPath = join(folder, 'cloudfront-private-key.pem');
    await writeFile(privateKeyPath, keyPair.privateKeyPem, { mode: 0o600 });

    edge = await startCloudFrontEdge({
      origin,
      trustedKeys: { [keyPair.id]: keyPair.publicKeyPem },
    });
    app = await startWebApp();
    origin.client.destroy();
    origin.client = createS3Client(app.storageTarget());
    await app.services.handlers['settings.update']({
      delivery: {
        cloudfront: {
          domain: edge.origin,
          keyPairs: [{ id: keyPair.id, privateKeyPath }],
          activeKeyPairId: keyPair.id,
          policy: 'canned',
          resource: null,
          ipRange: null,
        },
      },
    });

    const { batchId } = await app.services.handlers['uploads.add']({
      sources: [{ path: join(folder, FOLDER) }],
    });
    const report = await app.services.engine().whenBatchDone(batchId);
    expect(report.entries.filter((entry) => entry.outcome !== 'uploaded')).toEqual([]);

    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(app.url);
    await page.waitForFunction(
      (count) => document.querySelectorAll('tr[data-key]').length === count,
      keys.length,
    );
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

  it('table covers 20+ names in NFC and NFD', async () => {
    expect(new Set(keys).size).toBe(AWKWARD_PATHS.length);
    expect(keys.length).toBeGreaterThanOrEqual(20);
    expect(AWKWARD_PATHS.some((path) => path !== path.normalize('NFC'))).toBe(true);
    expect(AWKWARD_PATHS.some((path) => path !== path.normalize('NFD'))).toBe(true);

    // Both forms stay distinct on disk, as Linux keeps the bytes of a name as given.
    const names = await readdir(join(folder, FOLDER));
    expect(names).toContain('Cafe\u0301 NFD.mp3');
    expect(names).toContain('Caf\u00e9 NFC.mp3');
  });

  it('lists every upload under its own name', async () => {
    const rows = await page.$$eval('tr[data-key]', (elements) =>
      elements.map((row) => ({
        key: row.getAttribute('data-key') ?? '',
        title: row.querySelector('.title')?.textContent ?? '',
      })),
    );
    expect(rows.map((row) => row.key).sort()).toEqual([...keys].sort());
    for (const row of rows) {
      expect(row.title, row.key).toBe(`${row.key.slice(row.key.lastIndexOf('/') + 1)} (file name)`);
    }
  });

  it('plays each through CloudFront', async () => {
    expect(await page.getByTestId('storage-badge').textContent()).toContain('CloudFront');

    for (const key of keys) {
      const firstRequest = edge.requests.length;
      const src = await playTrack(key);

      expect(src.startsWith(`${edge.origin}/`), key).toBe(true);
      expect(keyInUrl(src, `${edge.origin}/`), key).toBe(key);
      expect(await page.getByTestId('delivery').textContent(), key).toBe('via CloudFront');
      // The edge grants a canned-policy URL only when the URL it receives is the one signed.
      const requests = edge.requests.slice(firstRequest);
      expect(requests.length, key).toBeGreaterThan(0);
      for (const request of requests) {
        expect(request.rawUrl, key).toBe(src.slice(edge.origin.length));
        expect(request.decision, key).toBe('allowed');
        expect(request.status, key).toBe(206);
      }
    }
  });

  it('plays each from S3 once CloudFront is off', async () => {
    await app.services.handlers['settings.update']({ delivery: { cloudfront: null } });
    await expect.poll(() => page.getByTestId('storage-badge').textContent()).toContain('S3 URLs');
    const bucketUrl = `${app.storageTarget().endpoint}/${EMBEDDED_BUCKET}/`;
    const edgeRequests = edge.requests.length;

    for (const key of keys) {
      const src = await playTrack(key);

      expect(src.startsWith(bucketUrl), key).toBe(true);
      expect(keyInUrl(src, bucketUrl), key).toBe(key);
      expect(new URL(src).searchParams.has('X-Amz-Signature'), key).toBe(true);
      expect(await page.getByTestId('delivery').textContent(), key).toBe('via S3');
    }
    expect(edge.requests.length).toBe(edgeRequests);

    const log = await readPlaybackLog(page);
    expect(log.mediaErrors).toEqual([]);
    expect(log.shownErrors).toEqual([]);
  });
});
