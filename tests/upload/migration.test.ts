import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

import { GetObjectCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, expect, test } from 'vitest';

import { decodeTrackMetadata, peaksKeyFor } from '../../electron/main/library/track-metadata';
import type { ReportEntry } from '../../shared/uploads';
import { startUploadHarness, TEST_BUCKET } from '../support/upload-harness';
import type { UploadHarness } from '../support/upload-harness';
import { AUDIO_FIXTURES } from '../support/fixtures';

const FIXTURES = AUDIO_FIXTURES;
/** SHA-256 of id3v2.3.mp3, from the fixtures' MANIFEST.json. */
const INTRO_SHA256 = 'd3bf17ecd622194e688601592f2b22a3ddfec1b46d5c7dd7795b572cbba21c01';
let harness: UploadHarness;
let root: string;

beforeAll(async () => {
  harness = await startUploadHarness();
  root = join(harness.dir, 'Dropbox', 'Music');
  await buildTree();
});

afterAll(async () => {
  await harness.close();
});

async function place(relativePath: string, fixture: string | Buffer): Promise<void> {
  const path = join(root, relativePath);
  await mkdir(dirname(path), { recursive: true });
  if (typeof fixture === 'string') {
    await copyFile(join(FIXTURES, fixture), path);
  } else {
    await writeFile(path, fixture);
  }
}

const NFC_CAFE = 'Caf\u00e9.mp3';
const NFD_CAFE = 'Cafe\u0301.mp3';
const CONFLICTED = "Song (Ana's conflicted copy 2024-03-01).mp3";

async function buildTree(): Promise<void> {
  await place('Album One/01 Intro.mp3', 'id3v2.3.mp3');
  await place(
    "Album One/02 Sinner's Prayer.flac",
    "MusicBrainz - Beth Hart - Sinner's Prayer.flac",
  );
  await place('Album One/Disc 2/03 Nirvana.opus.ogg', 'nirvana-2sec.opus.ogg');
  await place('Album One/.DS_Store', Buffer.from('mac folder view'));
  await place('Album One/._01 Intro.mp3', Buffer.from('Mac OS X        '));
  await place('Album One/Thumbs.db', Buffer.from('thumbnail cache'));
  await place('Icon\r', Buffer.alloc(0));
  await place('.Spotlight-V100/Store-V2/store.db', Buffer.from('spotlight index'));
  await place('Singles/Mi Koras\u00f3n.flac', 'Discogs - Yasmin Levy - Mi Korasón.flac');
  await place('Singles/Riff.wav', 'riff_adobe_audition.wav');
  await place(`Singles/${CONFLICTED}`, 'id3v1_Blood_Sugar.mp3');
  await place('Singles/Silent.mp3', Buffer.alloc(0));
  await place('Singles/Tags Only.mp3', 'bug-non ascii chars.mp3');
  await place(`Twins/${NFC_CAFE}`, 'issue_77_empty_tag.mp3');
  await place(`Twins/${NFD_CAFE}`, 'silence-2s-16000 [no-tags].CBR-128.mp3');
  await place('notes.txt', Buffer.from('setlist for the tour\n'));
  await place('.dropbox', Buffer.from('{"ns": 1}'));
  await place('desktop.ini', Buffer.from('[.ShellClassInfo]'));
  await place('.dropbox.cache/2024-03-01/cached.mp3', 'id3v2.3.mp3');
}

function uploaded(relativePath: string, bytes: number): ReportEntry {
  return {
    path: join(root, relativePath),
    name: relativePath,
    key: `tracks/${relativePath.normalize('NFC')}`,
    outcome: 'uploaded',
    reason: null,
    message: null,
    bytes,
  };
}

// Files skipped while walking the folder (system and Dropbox files, conflicted copies) get no key.
function skipped(
  relativePath: string,
  reason: ReportEntry['reason'],
  message: unknown,
  bytes: number,
): ReportEntry {
  const walkerSkip =
    reason === 'dropbox-file' || reason === 'system-file' || reason === 'conflicted-copy';
  return {
    path: join(root, relativePath),
    name: relativePath,
    key: walkerSkip ? null : `tracks/${relativePath.normalize('NFC')}`,
    outcome: 'skipped',
    reason,
    message: message as string,
    bytes,
  };
}

test('migration report is exact and a rerun sends nothing', { timeout: 120_000 }, async () => {
  const engine = harness.engine();
  const { batchId } = await engine.add([{ path: root }], { origin: 'cli', root });
  const report = await engine.whenBatchDone(batchId);

  const dropbox = (name: string): string =>
    `"${name}" belongs to the Dropbox client, not to the library`;
  const system = (name: string, owner: string): string =>
    `"${name}" is a system file of ${owner}, not a track`;
  const nfcPath = join(root, 'Twins', NFC_CAFE);
  const nfdPath = join(root, 'Twins', NFD_CAFE);
  const spelling = (path: string): string =>
    path === nfcPath ? 'U+00E9 (precomposed, NFC)' : 'U+0065 U+0301 (decomposed, NFD)';
  const collision = (self: string, other: string): string =>
    `"${self}" and "${other}" map to the same key tracks/Twins/${NFC_CAFE}: the names look alike but spell "\u00e9" differently, this one as ${spelling(self)} and the other as ${spelling(other)}; rename or delete one of them`;
  const inspectorMessage = expect.stringMatching(/\w/);

  expect(report.entries).toEqual([
    skipped(
      '.Spotlight-V100',
      'system-file',
      '".Spotlight-V100" is a system folder of macOS Spotlight, not a track',
      0,
    ),
    skipped('.dropbox', 'dropbox-file', dropbox('.dropbox'), 9),
    skipped(
      '.dropbox.cache/2024-03-01/cached.mp3',
      'dropbox-file',
      dropbox('.dropbox.cache/2024-03-01/cached.mp3'),
      96_524,
    ),
    skipped(
      'Album One/.DS_Store',
      'system-file',
      system('Album One/.DS_Store', 'macOS Finder'),
      15,
    ),
    skipped(
      'Album One/._01 Intro.mp3',
      'system-file',
      system('Album One/._01 Intro.mp3', 'macOS (AppleDouble metadata)'),
      16,
    ),
    uploaded('Album One/01 Intro.mp3', 96_524),
    uploaded("Album One/02 Sinner's Prayer.flac", 413_077),
    uploaded('Album One/Disc 2/03 Nirvana.opus.ogg', 69_348),
    skipped(
      'Album One/Thumbs.db',
      'system-file',
      system('Album One/Thumbs.db', 'Windows Explorer'),
      15,
    ),
    skipped('Icon\r', 'system-file', system('Icon\r', 'macOS Finder'), 0),
    uploaded('Singles/Mi Koras\u00f3n.flac', 66_183),
    uploaded('Singles/Riff.wav', 88_134),
    skipped('Singles/Silent.mp3', 'empty', inspectorMessage, 0),
    skipped(
      `Singles/${CONFLICTED}`,
      'conflicted-copy',
      `Dropbox made "${CONFLICTED}" as a conflicted copy of "Song.mp3"; merge the two versions and delete the copy`,
      109_842,
    ),
    skipped('Singles/Tags Only.mp3', 'no-audio', inspectorMessage, 4_624),
    skipped(`Twins/${NFD_CAFE}`, 'key-collision', collision(nfdPath, nfcPath), 33_984),
    skipped(`Twins/${NFC_CAFE}`, 'key-collision', collision(nfcPath, nfdPath), 91_801),
    skipped('desktop.ini', 'system-file', system('desktop.ini', 'Windows Explorer'), 17),
    skipped('notes.txt', 'not-audio', inspectorMessage, 21),
  ]);
  expect(report.summary).toEqual({
    uploaded: 5,
    replaced: 0,
    wouldUpload: 0,
    wouldReplace: 0,
    conflicts: 0,
    unchanged: 0,
    skippedNotAudio: 2,
    skippedSystem: 6,
    skippedOther: 6,
    failed: 0,
    cancelled: 0,
    bytesSent: 96_524 + 413_077 + 69_348 + 66_183 + 88_134,
  });
  expect(report.origin).toBe('cli');
  expect(report.root).toBe(root);
  expect(report.dryRun).toBe(false);
  expect(await harness.trackKeys()).toEqual(
    [
      'tracks/Album One/01 Intro.mp3',
      "tracks/Album One/02 Sinner's Prayer.flac",
      'tracks/Album One/Disc 2/03 Nirvana.opus.ogg',
      'tracks/Singles/Mi Koras\u00f3n.flac',
      'tracks/Singles/Riff.wav',
    ].sort(),
  );

  const head = await harness.direct.send(
    new HeadObjectCommand({ Bucket: TEST_BUCKET, Key: 'tracks/Album One/01 Intro.mp3' }),
  );
  const metadata = decodeTrackMetadata(head.Metadata);
  expect(head.ContentType).toBe('audio/mpeg');
  expect(metadata.title).toBe('Home');
  expect(metadata.album).toBe('Friday Night Lights [Original Movie Soundtrack]');
  expect(metadata.trackNumber).toBe(5);
  expect(metadata.sha256).toBe(INTRO_SHA256);
  expect(metadata.peaksKey).toBe(peaksKeyFor(INTRO_SHA256));
  const peaks = await harness.direct.send(
    new GetObjectCommand({ Bucket: TEST_BUCKET, Key: peaksKeyFor(INTRO_SHA256) }),
  );
  const stored = JSON.parse((await peaks.Body?.transformToString()) ?? '') as {
    durationSeconds: number;
    data: number[][];
  };
  expect(stored.durationSeconds).toBeCloseTo(0.78, 1);
  expect(stored.data.length).toBeGreaterThan(0);
  expect(harness.uploadedKeys.sort()).toEqual(await harness.trackKeys());

  harness.resetCounters();
  const again = await engine.add([{ path: root }], { origin: 'cli', root });
  const second = await engine.whenBatchDone(again.batchId);

  const unchanged = second.entries.filter((entry) => entry.reason === 'unchanged');
  expect(unchanged.map((entry) => entry.path)).toEqual(
    report.entries.filter((entry) => entry.outcome === 'uploaded').map((entry) => entry.path),
  );
  expect(second.summary.uploaded).toBe(0);
  expect(second.summary.unchanged).toBe(5);
  expect(second.summary.bytesSent).toBe(0);
  expect(harness.serverBodyBytes()).toBe(0);
});

test('dry run reports would-upload and sends nothing', async () => {
  const fresh = join(harness.dir, 'Fresh');
  await mkdir(fresh, { recursive: true });
  await copyFile(join(FIXTURES, 'id4.m4a'), join(fresh, 'New Song.m4a'));
  await copyFile(join(FIXTURES, 'id3v2.3.mp3'), join(fresh, 'Old Song.mp3'));
  const engine = harness.engine({ stateDir: join(harness.dir, 'state-dry') });
  const first = await engine.add([{ path: join(fresh, 'Old Song.mp3') }], { origin: 'cli' });
  await engine.whenBatchDone(first.batchId);
  harness.resetCounters();

  const { batchId } = await engine.add([{ path: fresh }], {
    origin: 'cli',
    root: fresh,
    dryRun: true,
  });
  const report = await engine.whenBatchDone(batchId);

  expect(report.dryRun).toBe(true);
  expect(report.entries.map((entry) => [entry.key, entry.outcome, entry.reason])).toEqual([
    ['tracks/New Song.m4a', 'would-upload', null],
    ['tracks/Old Song.mp3', 'skipped', 'unchanged'],
  ]);
  expect(report.summary.uploaded).toBe(0);
  expect(report.summary.wouldUpload).toBe(1);
  expect(report.summary.bytesSent).toBe(0);
  expect(harness.serverBodyBytes()).toBe(0);
  expect(await harness.trackKeys()).not.toContain('tracks/New Song.m4a');
});
