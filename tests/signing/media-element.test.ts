import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { chromium } from 'playwright-core';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createHarness, startSigningStack } from './signing-stack';
import type { SigningStack } from './signing-stack';

const CHROMIUM = '/usr/bin/chromium';
const HAS_CHROMIUM = existsSync(CHROMIUM);
const DURATION_SECONDS = 30;
const KEYS = [
  "tracks/Beth Hart/Sinner's Prayer [live] (50% + & #1) Caf\u00e9.mp3",
  'tracks/Cafe\u0301 NFD/?question & back\\slash.mp3',
];

if (!HAS_CHROMIUM) {
  console.warn(`skipping the media element test: ${CHROMIUM} is not installed`);
}

let stack: SigningStack;
let browser: Browser;
let folder: string;

beforeAll(async () => {
  if (!HAS_CHROMIUM) {
    return;
  }
  folder = await mkdtemp(join(tmpdir(), 'cratebox-media-'));
  const audioFile = join(folder, 'tone.mp3');
  await promisify(execFile)('ffmpeg', [
    '-loglevel',
    'error',
    '-f',
    'lavfi',
    '-i',
    `sine=frequency=440:duration=${DURATION_SECONDS}`,
    '-b:a',
    '128k',
    audioFile,
  ]);
  const audio = await readFile(audioFile);

  stack = await startSigningStack();
  for (const key of KEYS) {
    await stack.put(key, audio);
  }
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
});

afterAll(async () => {
  await browser?.close();
  await stack?.close();
  if (folder !== undefined) {
    await rm(folder, { recursive: true, force: true });
  }
});

// Runs in the page, so it is kept as source text: the test tsconfig has no DOM types.
const LOAD_AND_SEEK = `async (source) => {
  const audio = document.createElement('audio');
  audio.preload = 'auto';
  const failed = new Promise((_, reject) => {
    audio.addEventListener('error', () => reject(new Error('media error ' + audio.error?.code)));
  });
  const loaded = new Promise((resolve) => audio.addEventListener('loadedmetadata', resolve));
  audio.src = source;
  await Promise.race([loaded, failed]);

  const seeked = new Promise((resolve) => audio.addEventListener('seeked', resolve));
  audio.currentTime = audio.duration / 2;
  await Promise.race([seeked, failed]);
  return audio.duration;
}`;

/** Loads `url` in an audio element, seeks to the middle and returns the reported duration. */
async function loadAndSeek(url: string): Promise<number> {
  const page = await browser.newPage();
  try {
    const duration: unknown = await page.evaluate(`(${LOAD_AND_SEEK})(${JSON.stringify(url)})`);
    return Number(duration);
  } finally {
    await page.close();
  }
}

describe.skipIf(!HAS_CHROMIUM)('Chromium media element', () => {
  for (const policy of ['canned', 'custom'] as const) {
    it(`streams ${policy} policy URLs with Range requests`, async () => {
      const { signer } = createHarness(stack, { cloudfront: { policy } });

      const signedTargets: string[] = [];
      for (const key of KEYS) {
        const playable = await signer.urlFor(key);
        const target = playable.url.slice(stack.edge.origin.length);
        signedTargets.push(target);
        const firstRequest = stack.edge.requests.length;
        const duration = await loadAndSeek(playable.url);
        expect(Math.abs(duration - DURATION_SECONDS), key).toBeLessThan(0.5);

        // The previous page's last requests may still be logged after it closed, so requests
        // are matched by target: every one must be a URL that was signed, byte for byte.
        const requests = stack.edge.requests.slice(firstRequest);
        for (const request of requests) {
          expect(signedTargets, key).toContain(request.rawUrl);
          expect(request.decision, key).toBe('allowed');
        }
        const own = requests.filter((request) => request.rawUrl === target);
        expect(own.length, key).toBeGreaterThan(0);
        expect(
          own.some((request) => request.range !== null && request.status === 206),
          key,
        ).toBe(true);
      }
    });
  }
});
