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
import { sha256Of, sha256OfFile, writeNoiseWav } from '../support/audio-files';
import {
  BUILT_WEB,
  spawnCratebox,
  startMigration,
  startWebMode,
} from '../support/cratebox-processes';
import type { CrateboxProcess } from '../support/cratebox-processes';
import { AUDIO_FIXTURES } from '../support/fixtures';
import { waitUntil } from '../support/wait';

const MIB = 1024 * 1024;
const LARGE_TRACKS = ['Live 1.wav', 'Live 2.wav', 'Live 3.wav'];
const FIXTURE_TRACKS = ['id3v2.3.mp3', "MusicBrainz - Beth Hart - Sinner's Prayer.flac"];
// Small parts, one file and two parts at a time, so the migration is mid-upload for a while.
const SLOW_MIGRATION = {
  CRATEBOX_PART_SIZE_MIB: '5',
  CRATEBOX_PARALLEL_FILES: '1',
  CRATEBOX_PARALLEL_PARTS: '2',
};

let root: string;
let catalogue: string;
let smallCatalogue: string;
const started: CrateboxProcess[] = [];

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'cratebox-shared-folder-'));
  catalogue = join(root, 'catalogue');
  smallCatalogue = join(root, 'small-catalogue');
  await mkdir(catalogue, { recursive: true });
  await mkdir(smallCatalogue, { recursive: true });
  for (const name of LARGE_TRACKS) {
    await writeNoiseWav(join(catalogue, name), 24 * MIB + 44);
  }
  for (const name of FIXTURE_TRACKS) {
    await copyFile(join(AUDIO_FIXTURES, name), join(catalogue, name));
    await copyFile(join(AUDIO_FIXTURES, name), join(smallCatalogue, name));
  }
});

afterEach(async () => {
  await Promise.all(started.splice(0).map((process) => process.stop()));
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

async function newDataDir(): Promise<string> {
  return mkdtemp(join(root, 'data-'));
}

function track<T extends CrateboxProcess>(process: T): T {
  started.push(process);
  return process;
}

/** Folder of the CLI's upload queue for the embedded store. */
function cliStateDir(dataDir: string): string {
  return join(dataDir, 'sessions', `127.0.0.1-${EMBEDDED_BUCKET}`, 'uploads-cli');
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

/** Returns the state letter of a process from /proc, such as 'T' once it is stopped. */
function processState(pid: number): string {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
}

/** Stops a process with SIGSTOP and waits until it no longer runs. */
async function freeze(process: CrateboxProcess): Promise<void> {
  process.signal('SIGSTOP');
  await waitUntil(() => processState(process.pid) === 'T');
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
      expect(cli.exitStatus()).toBeNull();
      expect(existsSync(join(cliStateDir(dataDir), 'reports'))).toBe(false);
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
      expect(cli.stderr()).toContain('this process runs it now');
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

    const second = track(spawnCratebox(BUILT_WEB, ['--data-dir', dataDir]));
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
    const first = track(startMigration(dataDir, smallCatalogue));
    const queueLock = join(cliStateDir(dataDir), 'queue.lock');
    await waitUntil(() => existsSync(queueLock) || first.exitStatus() !== null);
    await freeze(first);
    expect(first.exitStatus()).toBeNull();

    const second = track(startMigration(dataDir, smallCatalogue));
    const secondExit = await second.exited;
    first.signal('SIGCONT');
    const firstExit = await first.exited;

    expect(secondExit).toEqual({ code: 1, signal: null });
    expect(second.stderr().trim().split('\n').at(-1)).toBe(
      `cratebox: another cratebox migrate is already running on this data folder (pid ${first.pid}); wait for it to finish, or stop it and run this command again: files already uploaded are skipped`,
    );
    expect(firstExit, first.stderr()).toEqual({ code: 0, signal: null });
    expect(first.stdout()).toMatch(/Uploaded: +2 files/);
  });
});

describe('fresh folder', () => {
  test(
    'web mode and a migration started together share one store',
    { timeout: 120_000 },
    async () => {
      const dataDir = await newDataDir();

      const webStarting = startWebMode(dataDir, { CRATEBOX_LOG_LEVEL: 'info' });
      const cli = track(startMigration(dataDir, smallCatalogue, { CRATEBOX_LOG_LEVEL: 'info' }));
      // The CLI opens the store before it locks its queue. Holding it there until web mode is up
      // keeps both alive while each opens the store, so exactly one of them may start the server.
      const queueLock = join(cliStateDir(dataDir), 'queue.lock');
      await waitUntil(() => existsSync(queueLock) || cli.exitStatus() !== null);
      await freeze(cli);
      const web = track(await webStarting);
      cli.signal('SIGCONT');
      const cliExit = await cli.exited;

      expect(cliExit, cli.stderr()).toEqual({ code: 0, signal: null });
      expect(cli.stdout()).toMatch(/Uploaded: +2 files/);
      const logs = web.stderr() + cli.stderr();
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
      expect(stored.sha256).toEqual(await sourceTracks(smallCatalogue, FIXTURE_TRACKS));
    },
  );
});
