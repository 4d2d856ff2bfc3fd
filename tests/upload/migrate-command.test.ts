import { copyFile, mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';

import { afterAll, beforeAll, describe, expect, test } from 'vitest';

import { EXIT, runMigrate } from '../../electron/main/cli/migrate-command';
import type { UploadEngine } from '../../electron/main/upload/engine-types';
import type { MigrationReport } from '../../shared/uploads';
import { startUploadHarness } from '../support/upload-harness';
import type { UploadHarness } from '../support/upload-harness';
import { AUDIO_FIXTURES } from '../support/fixtures';

const FIXTURES = AUDIO_FIXTURES;
let harness: UploadHarness;
let engine: UploadEngine;

beforeAll(async () => {
  harness = await startUploadHarness();
  engine = harness.engine();
});

afterAll(async () => {
  await harness.close();
});

interface Captured {
  code: number;
  stdout: string;
  stderr: string;
}

/** Creates a stream that collects what is written to it. */
function collector(isTTY: boolean): PassThrough & { isTTY: boolean; text(): string } {
  const chunks: Buffer[] = [];
  const stream = Object.assign(new PassThrough(), {
    isTTY,
    text: () => Buffer.concat(chunks).toString(),
  });
  stream.on('data', (chunk: Buffer) => chunks.push(chunk));
  return stream;
}

async function migrate(
  argv: string[],
  options: { tty?: boolean; now?: () => number } = {},
): Promise<Captured> {
  const stdout = collector(options.tty ?? false);
  const stderr = collector(false);
  const code = await runMigrate(argv, { engine, stdout, stderr, now: options.now });
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}

async function folderWith(name: string, files: Record<string, string | Buffer>): Promise<string> {
  const folder = join(harness.dir, name);
  for (const [relativePath, content] of Object.entries(files)) {
    const path = join(folder, relativePath);
    await mkdir(join(path, '..'), { recursive: true });
    if (typeof content === 'string') {
      await copyFile(join(FIXTURES, content), path);
    } else {
      await writeFile(path, content);
    }
  }
  return folder;
}

describe('arguments', () => {
  test('help names every option', async () => {
    const result = await migrate(['--help']);
    expect(result.code).toBe(EXIT.ok);
    for (const option of ['--dry-run', '--concurrency N', '--report FILE', '--help']) {
      expect(result.stdout).toContain(option);
    }
  });

  test.each([
    [[], /missing <folder>/],
    [['/no/such/folder'], /folder not found: \/no\/such\/folder/],
    [['a', 'b'], /expected one folder, got 2/],
    [['--unknown'], /Unknown option '--unknown'/],
  ])('rejects %j', async (argv, message) => {
    const result = await migrate(argv);
    expect(result.code).toBe(EXIT.usage);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).toContain('cratebox migrate --help');
  });

  test.each(['0', '17', 'abc', '2.5'])('rejects --concurrency %s', async (value) => {
    const folder = await folderWith('concurrency', { 'a.mp3': 'id3v2.3.mp3' });
    const result = await migrate([folder, '--concurrency', value]);
    expect(result.code).toBe(EXIT.usage);
    expect(result.stderr).toContain(
      `invalid --concurrency "${value}": use a whole number from 1 to 16`,
    );
  });

  test('rejects a file in place of a folder', async () => {
    const folder = await folderWith('single', { 'a.mp3': 'id3v2.3.mp3' });
    const result = await migrate([join(folder, 'a.mp3')]);
    expect(result.code).toBe(EXIT.usage);
    expect(result.stderr).toContain('is a file, not a folder');
  });
});

describe('migration', () => {
  test('counts system files without listing them', async () => {
    const folder = await folderWith('clutter', {
      'Demos/01.mp3': 'id3v2.3.mp3',
      'Demos/.DS_Store': Buffer.from('mac folder view'),
      'Demos/Thumbs.db': Buffer.from('thumbnail cache'),
      'Demos/._01.mp3': Buffer.from('Mac OS X        '),
    });

    const result = await migrate([folder]);

    expect(result.code).toBe(EXIT.ok);
    expect(result.stdout).toMatch(/Skipped, system: +3 files\n/);
    expect(result.stdout).toMatch(/Other skips: +0 files\n/);
    expect(result.stdout).not.toContain('.DS_Store');
    expect(result.stdout).not.toContain('Thumbs.db');
  });

  test('uploads, summarizes and writes the report', async () => {
    const folder = await folderWith('catalogue', {
      'Album/01.mp3': 'id3v2.3.mp3',
      'Album/02.flac': "MusicBrainz - Beth Hart - Sinner's Prayer.flac",
      'readme.txt': Buffer.from('liner notes'),
      '.dropbox': Buffer.from('{}'),
    });
    const reportFile = join(harness.dir, 'reports', 'catalogue.json');

    const result = await migrate([folder, '--concurrency', '2', '--report', reportFile]);

    expect(result.code).toBe(EXIT.ok);
    expect(result.stderr).toBe('');
    expect(result.stdout).toMatch(
      new RegExp(`^Migration of ${folder} finished in \\d+ s; \\d+\\.\\d KiB sent\\.$`, 'm'),
    );
    expect(result.stdout).toMatch(/Uploaded: +2 files\n/);
    expect(result.stdout).toMatch(/Replaced: +0 files\n/);
    expect(result.stdout).toMatch(/Skipped, unchanged: +0 files/);
    expect(result.stdout).toMatch(/Skipped, not audio: +1 file\n/);
    expect(result.stdout).toMatch(/Other skips: +1 file\n +\.dropbox: dropbox-file: /);
    expect(result.stdout).toMatch(/Failed: +0 files/);
    expect(result.stdout).toContain(`Report: ${reportFile}`);
    const written = JSON.parse(await readFile(reportFile, 'utf8')) as MigrationReport;
    expect(written.summary.uploaded).toBe(2);
    expect(written.entries).toHaveLength(4);
    expect(engine.lastReport()).toEqual(written);

    const again = await migrate([folder]);
    expect(again.code).toBe(EXIT.ok);
    expect(again.stdout).toMatch(/finished in \d+ s; 0 B sent\.\n/);
    expect(again.stdout).toMatch(/Uploaded: +0 files\n/);
    expect(again.stdout).toMatch(/Skipped, unchanged: +2 files/);
    expect(again.stdout).toContain(`Report: ${engine.reportPath(engine.lastReport()?.id ?? '')}`);
  });

  test('failed file gives exit code 1 and its reason', async () => {
    const folder = await folderWith('broken', { 'good.mp3': 'id3v2.3.mp3' });
    await symlink(join(folder, 'gone.mp3'), join(folder, 'link.mp3'));

    const result = await migrate([folder]);

    expect(result.code).toBe(EXIT.failed);
    expect(result.stdout).toMatch(/Failed: +1 file\n/);
    expect(result.stdout).toMatch(
      /^ {4}link\.mp3: broken symbolic link \(.*\); fix or remove the link$/m,
    );
  });

  test('unusable name is a skip, not a failure', async () => {
    const folder = await folderWith('awkward', {
      'good.mp3': 'id3v2.3.mp3',
      'bad\u0001name.mp3': 'id3v2.3.mp3',
      'Live\tSet/01.mp3': 'id3v2.3.mp3',
    });

    const result = await migrate([folder]);

    expect(result.code).toBe(EXIT.ok);
    expect(result.stdout).toMatch(/Other skips: +2 files\n/);
    expect(result.stdout).toContain(
      '    Live\\u0009Set/01.mp3: invalid-name: the folder name "Live\\u0009Set" in "Live\\u0009Set/01.mp3" contains a tab, which track keys may not contain; rename the folder\n',
    );
    expect(result.stdout).toContain(
      '    bad\\u0001name.mp3: invalid-name: the name of "bad\\u0001name.mp3" contains the control character U+0001, which track keys may not contain; rename the file\n',
    );
    expect(result.stdout).toMatch(/Failed: +0 files\n/);
    const report = engine.lastReport();
    const skipped = report?.entries.filter((entry) => entry.reason === 'invalid-name');
    expect(skipped?.map((entry) => [entry.outcome, entry.key])).toEqual([
      ['skipped', null],
      ['skipped', null],
    ]);
  });

  test('dry run uploads nothing', async () => {
    const folder = await folderWith('dry', { 'new.mp3': 'id3v1_Blood_Sugar.mp3' });
    const reportFile = join(harness.dir, 'reports', 'dry.json');
    harness.resetCounters();

    const result = await migrate([folder, '--dry-run', '--report', reportFile]);

    expect(result.code).toBe(EXIT.ok);
    expect(result.stdout).toContain(`Dry run of ${folder} finished in`);
    expect(result.stdout).toMatch(/Would upload: +1 file \(107\.3 KiB\)/);
    expect(result.stdout).not.toContain('Uploaded:');
    const written = JSON.parse(await readFile(reportFile, 'utf8')) as MigrationReport;
    expect(written.summary.uploaded).toBe(0);
    expect(written.summary.wouldUpload).toBe(1);
    expect(written.entries.map((entry) => entry.outcome)).toEqual(['would-upload']);
    expect(harness.serverBodyBytes()).toBe(0);
    expect(await harness.trackKeys()).not.toContain('tracks/new.mp3');
  });

  test('changed file is replaced and listed', async () => {
    const folder = await folderWith('changing', {
      'Album/01.mp3': 'id3v2.3.mp3',
      'Album/02.mp3': 'he_44khz.mp3',
    });
    await migrate([folder]);
    await copyFile(join(FIXTURES, 'id3v1_Blood_Sugar.mp3'), join(folder, 'Album/01.mp3'));
    const reportFile = join(harness.dir, 'reports', 'changing.json');

    const dry = await migrate([folder, '--dry-run']);
    const result = await migrate([folder, '--report', reportFile]);

    expect(dry.code).toBe(EXIT.ok);
    expect(dry.stdout).toMatch(/Would upload: +0 files \(0 B\)\n/);
    expect(dry.stdout).toMatch(/Would replace: +1 file \(107\.3 KiB\)\n {4}Album\/01\.mp3\n/);
    expect(result.code).toBe(EXIT.ok);
    expect(result.stdout).toMatch(/Uploaded: +0 files\n/);
    expect(result.stdout).toMatch(/Replaced: +1 file\n {4}Album\/01\.mp3\n/);
    expect(result.stdout).toMatch(/Skipped, unchanged: +1 file\n/);
    const written = JSON.parse(await readFile(reportFile, 'utf8')) as MigrationReport;
    expect(written.summary.replaced).toBe(1);
    expect(written.summary.uploaded).toBe(0);
    expect(written.entries.map((entry) => [entry.name, entry.outcome])).toEqual([
      ['Album/01.mp3', 'replaced'],
      ['Album/02.mp3', 'skipped'],
    ]);
    expect(await harness.objectSize('tracks/Album/01.mp3')).toBe(109_842);
  });

  test('terminal gets a progress bar', async () => {
    const folder = await folderWith('tty', { 'a.mp3': 'he_44khz.mp3' });
    const result = await migrate([folder], { tty: true });
    expect(result.code).toBe(EXIT.ok);
    expect(result.stdout).toContain('Uploading [');
    expect(result.stdout).toContain('Uploaded:            1 file');
  });

  test('plain output gets progress lines', async () => {
    const folder = await folderWith('plain', { 'a.mp3': 'issue_77_empty_tag.mp3' });
    let clock = 0;
    // Every reading of this clock is 6 s later, past the 5 s between plain lines.
    const now = (): number => (clock += 6_000);

    const result = await migrate([folder], { now });

    expect(result.code).toBe(EXIT.ok);
    expect(result.stdout).toMatch(/^1\/1 files checked, 89\.6 KiB of 89\.6 KiB sent, .*\/s, /m);
    expect(result.stdout).not.toContain('Uploading [');
  });
});
