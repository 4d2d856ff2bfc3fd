import { existsSync, readFileSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';

import {
  GetObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
} from '@aws-sdk/client-s3';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';

import { silentLogger } from '../../electron/main/log';
import { EMBEDDED_BUCKET } from '../../electron/main/settings/app-config';
import { openEmbeddedStore } from '../../electron/main/storage/embedded-store';
import { createS3Client } from '../../electron/main/storage/s3-client';
import { sha256Of, sha256OfFile } from '../support/audio-files';
import {
  spawnWebMode,
  startMigration,
  startWebMode,
  webAddress,
} from '../support/cratebox-processes';
import type { CrateboxProcess } from '../support/cratebox-processes';
import { AUDIO_FIXTURES } from '../support/fixtures';
import { waitUntil } from '../support/wait';
import { ffmpeg } from './inspect-helpers.js';

// Long recordings of 25 MiB as WAV and 17 MiB as FLAC, so each is sent in 4 to 6 parts of 5 MiB.
const LARGE_TRACKS = ['Live 1.wav', 'Live 2.flac', 'Live 3.wav'];
const LARGE_TRACK_SECONDS = 150;
const FIXTURE_TRACKS = ['id3v2.3.mp3', "MusicBrainz - Beth Hart - Sinner's Prayer.flac"];
// Small parts, one file and two parts at a time, so the migration is mid-upload for a while.
const SLOW_MIGRATION = {
  CRATEBOX_PART_SIZE_MIB: '5',
  CRATEBOX_PARALLEL_FILES: '1',
  CRATEBOX_PARALLEL_PARTS: '2',
};

let root: string;
let catalogue: string;
const started: CrateboxProcess[] = [];

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'cratebox-shared-folder-'));
  catalogue = join(root, 'catalogue');
  await mkdir(catalogue, { recursive: true });
  for (const [index, name] of LARGE_TRACKS.entries()) {
    const noise = `anoisesrc=duration=${LARGE_TRACK_SECONDS}:color=pink:seed=${index + 1}`;
    await ffmpeg('-f', 'lavfi', '-i', noise, '-ac', '2', '-ar', '44100', join(catalogue, name));
  }
  for (const name of FIXTURE_TRACKS) {
    await copyFile(join(AUDIO_FIXTURES, name), join(catalogue, name));
  }
});

afterEach(async () => {
  await Promise.all(started.splice(0).map((child) => child.stop()));
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

async function newDataDir(): Promise<string> {
  return mkdtemp(join(root, 'data-'));
}

function track<T extends CrateboxProcess>(child: T): T {
  started.push(child);
  return child;
}

/** Folder of the CLI's upload queue for the embedded store. */
function cliStateDir(dataDir: string): string {
  return join(dataDir, 'sessions', `127.0.0.1-${EMBEDDED_BUCKET}`, 'uploads-cli');
}

/** Names of the migration reports the CLI has written. */
async function reportFiles(dataDir: string): Promise<string[]> {
  const names = await readdir(join(cliStateDir(dataDir), 'reports')).catch(() => []);
  return names.filter((name) => name.endsWith('.json'));
}

/** Counts the parts that the CLI's upload records list as stored. */
async function partsRecorded(dataDir: string): Promise<number> {
  const recordsDir = join(cliStateDir(dataDir), 'uploads');
  const names = existsSync(recordsDir) ? await readdir(recordsDir) : [];
  let parts = 0;
  for (const name of names.filter((file) => file.endsWith('.json'))) {
    try {
      const record = JSON.parse(await readFile(join(recordsDir, name), 'utf8')) as {
        parts: unknown[];
      };
      parts += record.parts.length;
    } catch {
      // The record was replaced or removed while it was read.
    }
  }
  return parts;
}

/** Reads the log file of web mode or the CLI in a data folder; empty until it exists. */
function logOf(dataDir: string, shell: 'web' | 'cli'): string {
  const file = join(dataDir, 'logs', `${shell}.log`);
  return existsSync(file) ? readFileSync(file, 'utf8') : '';
}

/** Returns the state letter of a process from /proc, such as 'T' once it is stopped. */
function processState(pid: number): string | null {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
}

/** Stops a running process with SIGSTOP and waits until it no longer runs. */
async function freeze(child: CrateboxProcess): Promise<void> {
  child.signal('SIGSTOP');
  await waitUntil(() => child.exitStatus() !== null || processState(child.pid) === 'T');
  if (child.exitStatus() !== null) {
    throw new Error(
      `the process ended before it could be stopped, so it needs more files to upload: ${child.stderr()}`,
    );
  }
}

/** Opens the data folder's store in the test and returns its tracks' SHA-256 by key. */
async function storedTracks(dataDir: string): Promise<{
  sha256: Record<string, string>;
  pendingUploads: number;
}> {
  const store = await openEmbeddedStore(dataDir, silentLogger());
  const s3 = createS3Client(store.target);
  try {
    const bucket = store.target.bucket;
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'tracks/' }));
    const sha256: Record<string, string> = {};
    for (const { Key } of listed.Contents ?? []) {
      const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key }));
      sha256[Key ?? ''] = await sha256Of(object.Body as Readable);
    }
    const pending = await s3.send(new ListMultipartUploadsCommand({ Bucket: bucket }));
    return { sha256, pendingUploads: pending.Uploads?.length ?? 0 };
  } finally {
    s3.destroy();
    await store.close();
  }
}

async function sourceTracks(folder: string, names: string[]): Promise<Record<string, string>> {
  const sha256: Record<string, string> = {};
  for (const name of names) {
    sha256[`tracks/${name}`] = await sha256OfFile(join(folder, name));
  }
  return sha256;
}

describe('migration beside web mode', () => {
  test.each(['SIGTERM', 'SIGKILL'] as const)(
    'continues after web mode ends by %s',
    { timeout: 240_000 },
    async (signal) => {
      const dataDir = await newDataDir();
      const web = track(await startWebMode(dataDir));
      const cli = track(startMigration(dataDir, catalogue, SLOW_MIGRATION));

      // Stopping the CLI once parts are stored pins it mid-migration while web mode ends.
      await waitUntil(async () => (await partsRecorded(dataDir)) > 0 || cli.exitStatus() !== null);
      await freeze(cli);
      // Web mode watches the reports folder, so the folder exists; no report means no end yet.
      expect(await reportFiles(dataDir)).toEqual([]);
      const serverLock = JSON.parse(readFileSync(join(dataDir, 's3', 'server.lock'), 'utf8')) as {
        pid: number;
      };
      expect(serverLock.pid).toBe(web.pid);

      web.signal(signal);
      const webExit = await web.exited;
      expect(webExit).toEqual(
        signal === 'SIGTERM' ? { code: 0, signal: null } : { code: null, signal },
      );
      cli.signal('SIGCONT');
      const cliExit = await cli.exited;

      expect(cliExit, cli.stderr()).toEqual({ code: 0, signal: null });
      const takeover =
        'the Cratebox process that ran the embedded store ended; this process runs it now';
      // The terminal gets short lines; the log file gets the JSON lines with their stacks.
      expect(cli.stderr()).toContain(`warning: ${takeover}\n`);
      for (const line of cli.stderr().trim().split('\n')) {
        expect(line).toMatch(/^(warning|error): /);
      }
      const cliLog = join(dataDir, 'logs', 'cli.log');
      expect(readFileSync(cliLog, 'utf8')).toContain(`"msg":"${takeover}"`);
      expect(cli.stdout()).toContain(`Log: ${cliLog}\n`);
      expect(cli.stdout()).toMatch(/Uploaded: +5 files/);
      expect(cli.stdout()).toMatch(/Failed: +0 files/);
      const stored = await storedTracks(dataDir);
      expect(stored.sha256).toEqual(
        await sourceTracks(catalogue, [...LARGE_TRACKS, ...FIXTURE_TRACKS]),
      );
      expect(stored.pendingUploads).toBe(0);
    },
  );
});

describe('second process on one folder', () => {
  test('second web mode is rejected', { timeout: 120_000 }, async () => {
    const dataDir = await newDataDir();
    const first = track(await startWebMode(dataDir));

    const second = track(spawnWebMode(dataDir));
    const exit = await second.exited;

    expect(exit).toEqual({ code: 1, signal: null });
    expect(second.stderr().trim().split('\n').at(-1)).toBe(
      `Cratebox is already running on this data folder (pid ${first.pid}) at ${first.url}; open that address or pass --data-dir to use another folder`,
    );
    expect(first.exitStatus()).toBeNull();
    const page = await fetch(first.url);
    expect(page.status).toBe(200);
    const instance = JSON.parse(readFileSync(join(dataDir, 'instance.lock'), 'utf8')) as {
      pid: number;
    };
    expect(instance.pid).toBe(first.pid);
  });

  test('second migration is rejected', { timeout: 120_000 }, async () => {
    const dataDir = await newDataDir();
    const first = track(startMigration(dataDir, catalogue, SLOW_MIGRATION));
    const queueLock = join(cliStateDir(dataDir), 'queue.lock');
    await waitUntil(() => existsSync(queueLock) || first.exitStatus() !== null);
    await freeze(first);

    const second = track(startMigration(dataDir, catalogue));
    const secondExit = await second.exited;
    first.signal('SIGCONT');
    const firstExit = await first.exited;

    expect(secondExit).toEqual({ code: 1, signal: null });
    expect(second.stderr().trim().split('\n').at(-1)).toBe(
      `cratebox: another cratebox migrate is already running on this data folder (pid ${first.pid}); wait for it to finish, or stop it and run this command again: files already uploaded are skipped`,
    );
    expect(firstExit, first.stderr()).toEqual({ code: 0, signal: null });
    expect(first.stdout()).toMatch(/Uploaded: +5 files/);
  });
});

describe('fresh folder', () => {
  test(
    'web mode and a migration started together share one store',
    { timeout: 120_000 },
    async () => {
      const dataDir = await newDataDir();

      const web = track(spawnWebMode(dataDir, { CRATEBOX_LOG_LEVEL: 'info' }));
      const cli = track(
        startMigration(dataDir, catalogue, { ...SLOW_MIGRATION, CRATEBOX_LOG_LEVEL: 'info' }),
      );
      // The CLI opens the store before it locks its queue. Holding it there until web mode has
      // opened the store too keeps both alive while each opens it, so exactly one of them may
      // start the server.
      const queueLock = join(cliStateDir(dataDir), 'queue.lock');
      await waitUntil(() => existsSync(queueLock) || cli.exitStatus() !== null);
      await freeze(cli);
      const storeOpened = /"msg":"(embedded store started|joined the embedded store)/;
      await waitUntil(() => storeOpened.test(logOf(dataDir, 'web')) || web.exitStatus() !== null);
      cli.signal('SIGCONT');
      await webAddress(web);
      const cliExit = await cli.exited;

      expect(cliExit, cli.stderr()).toEqual({ code: 0, signal: null });
      expect(cli.stdout()).toMatch(/Uploaded: +5 files/);
      const logs = logOf(dataDir, 'web') + logOf(dataDir, 'cli');
      expect(logs.match(/"msg":"embedded store started"/g)).toHaveLength(1);
      expect(
        logs.match(/"msg":"joined the embedded store of another Cratebox process"/g),
      ).toHaveLength(1);
      const credentials = JSON.parse(
        readFileSync(join(dataDir, 's3-credentials.json'), 'utf8'),
      ) as {
        accessKeyId: string;
      };
      expect(credentials.accessKeyId).toMatch(/^CRATEBOX[0-9A-F]{12}$/);
      const stored = await storedTracks(dataDir);
      expect(stored.sha256).toEqual(
        await sourceTracks(catalogue, [...LARGE_TRACKS, ...FIXTURE_TRACKS]),
      );
    },
  );
});
