import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

import { afterEach, beforeEach, describe, expect, test } from 'vitest';

import { silentLogger } from '../../electron/main/log';
import {
  isDropboxFileName,
  originalOfConflictedCopy,
} from '../../electron/main/upload/dropbox-rules';
import { planSources } from '../../electron/main/upload/source-walker';
import { systemFileOwner } from '../../electron/main/upload/system-files';
import type { PlannedFile } from '../../electron/main/upload/source-walker';

let dir: string;
const logger = silentLogger();

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cratebox-walker-'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function touch(relativePath: string, content = 'x'): Promise<string> {
  const path = join(dir, relativePath);
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, content);
  return path;
}

function byName(files: PlannedFile[]): Map<string, PlannedFile> {
  return new Map(files.map((file) => [file.name, file]));
}

describe('key mapping', () => {
  test('dropped file uses its base name', async () => {
    const path = await touch('deep/inside/Song.mp3');
    const [file] = await planSources([{ path }], { logger });
    expect(file?.key).toBe('tracks/Song.mp3');
    expect(file?.name).toBe('Song.mp3');
  });

  test('dropped file keeps its relative path', async () => {
    const path = await touch('Song.mp3');
    const [file] = await planSources([{ path, relativePath: 'Album/Disc 1/Song.mp3' }], {
      logger,
    });
    expect(file?.key).toBe('tracks/Album/Disc 1/Song.mp3');
  });

  test('dropped folder keeps its own name', async () => {
    await touch('Catalogue/Album/01.mp3');
    await touch('Catalogue/02.mp3');
    const files = await planSources([{ path: join(dir, 'Catalogue') }], { logger });
    expect(files.map((file) => file.key)).toEqual([
      'tracks/Catalogue/02.mp3',
      'tracks/Catalogue/Album/01.mp3',
    ]);
  });

  test('root makes keys relative to it', async () => {
    await touch('Dropbox/Music/Album/01.mp3');
    await touch('Dropbox/Music/02.mp3');
    const root = join(dir, 'Dropbox/Music');
    const files = await planSources([{ path: root }], { root, logger });
    expect(files.map((file) => file.key)).toEqual(['tracks/02.mp3', 'tracks/Album/01.mp3']);
    expect(files.map((file) => file.name)).toEqual(['02.mp3', 'Album/01.mp3']);
  });

  test('keys are NFC', async () => {
    const path = await touch('Corazo\u0301n.mp3');
    const [file] = await planSources([{ path }], { logger });
    expect(file?.key).toBe('tracks/Coraz\u00f3n.mp3');
  });

  test('records size and modification time', async () => {
    const path = await touch('a.mp3', '12345');
    const [file] = await planSources([{ path }], { logger });
    expect(file?.sizeBytes).toBe(5);
    expect(file?.mtimeMs).toBeGreaterThan(0);
  });

  test('missing source is an error entry', async () => {
    const files = await planSources([{ path: join(dir, 'gone.mp3') }], { logger });
    expect(files).toHaveLength(1);
    expect(files[0]?.key).toBeNull();
    expect(files[0]?.error).toMatch(/ENOENT/);
  });

  test('same file given twice is planned once', async () => {
    const path = await touch('Album/a.mp3');
    const files = await planSources(
      [{ path: join(dir, 'Album') }, { path, relativePath: 'Album/a.mp3' }],
      {
        logger,
      },
    );
    expect(files).toHaveLength(1);
    expect(files[0]?.skip).toBeNull();
  });
});

describe('Dropbox rules', () => {
  test('Dropbox files are skipped', async () => {
    await touch('Music/.dropbox');
    await touch('Music/.dropbox.cache/2024-03-01/old.mp3');
    await touch('Music/Album/keep.mp3');
    const root = join(dir, 'Music');
    const files = byName(await planSources([{ path: root }], { root, logger }));

    for (const name of ['.dropbox', '.dropbox.cache/2024-03-01/old.mp3']) {
      expect(files.get(name)?.skip?.reason, name).toBe('dropbox-file');
    }
    expect(files.get('Album/keep.mp3')?.skip).toBeNull();
    expect(files.size).toBe(3);
  });

  test('conflicted copies are reported', async () => {
    await touch("Music/Song (Ana's conflicted copy 2024-03-01).mp3");
    await touch("Music/Album (James' conflicted copy 2023-12-24)/01.mp3");
    await touch('Music/Song.mp3');
    const root = join(dir, 'Music');
    const files = byName(await planSources([{ path: root }], { root, logger }));

    const copy = files.get("Song (Ana's conflicted copy 2024-03-01).mp3");
    expect(copy?.skip?.reason).toBe('conflicted-copy');
    expect(copy?.skip?.message).toContain('"Song.mp3"');
    expect(files.get("Album (James' conflicted copy 2023-12-24)/01.mp3")?.skip?.reason).toBe(
      'conflicted-copy',
    );
    expect(files.get('Song.mp3')?.skip).toBeNull();
  });

  test.each([
    ["Song (Ana's conflicted copy 2024-03-01).mp3", 'Song.mp3'],
    ["Song (Ana's conflicted copy 2024-03-01 (1)).mp3", 'Song.mp3'],
    ["Mix (DJ Ana's Conflicted Copy 2024-03-01).flac", 'Mix.flac'],
    ["Album (Ana's conflicted copy 2024-03-01)", 'Album'],
    ['Song (live).mp3', null],
    ['Conflicted copy.mp3', null],
  ])('conflicted copy name %s', (name, original) => {
    expect(originalOfConflictedCopy(name)).toBe(original);
  });

  test('Dropbox names ignore case', () => {
    expect(isDropboxFileName('.Dropbox')).toBe(true);
    expect(isDropboxFileName('.DROPBOX.CACHE')).toBe(true);
    expect(isDropboxFileName('dropbox')).toBe(false);
  });
});

describe('system files', () => {
  test('system files are skipped with the program', async () => {
    const names = [
      'Album/.DS_Store',
      'Album/Thumbs.db',
      'Album/desktop.ini',
      'Album/Desktop.ini',
      'Album/._01 Intro.mp3',
      'Album/Icon\r',
    ];
    for (const name of names) {
      await touch(`Music/${name}`);
    }
    await touch('Music/Album/01 Intro.mp3');
    const root = join(dir, 'Music');

    const files = byName(await planSources([{ path: root }], { root, logger }));

    for (const name of names) {
      expect(files.get(name)?.skip?.reason, name).toBe('system-file');
      expect(files.get(name)?.key, name).toBeNull();
    }
    expect(files.get('Album/.DS_Store')?.skip?.message).toBe(
      '"Album/.DS_Store" is a system file of macOS Finder, not a track',
    );
    expect(files.get('Album/._01 Intro.mp3')?.skip?.message).toBe(
      '"Album/._01 Intro.mp3" is a system file of macOS (AppleDouble metadata), not a track',
    );
    expect(files.get('Album/01 Intro.mp3')?.skip).toBeNull();
  });

  test('system folders are one entry, not walked', async () => {
    await touch('Volume/.Spotlight-V100/Store-V2/index.db');
    await touch('Volume/.Trashes/501/Song.mp3');
    await touch('Volume/.fseventsd/0000000000123456');
    await touch('Volume/.Trash-1000/files/old.mp3');
    const root = join(dir, 'Volume');

    const files = await planSources([{ path: root }], { root, logger });

    expect(files.map((file) => file.name)).toEqual([
      '.Spotlight-V100',
      '.Trash-1000',
      '.Trashes',
      '.fseventsd',
    ]);
    for (const file of files) {
      expect(file.skip?.reason, file.name).toBe('system-file');
      expect(file.error, file.name).toBeNull();
    }
    expect(files[2]?.skip?.message).toBe(
      '".Trashes" is a system folder of the macOS Trash, not a track',
    );
  });

  test.each([
    ['.DS_Store', 'macOS Finder'],
    ['THUMBS.DB', 'Windows Explorer'],
    ['Icon\r', 'macOS Finder'],
    ['$RECYCLE.BIN', 'the Windows Recycle Bin'],
    ['._Song.flac', 'macOS (AppleDouble metadata)'],
    ['.Trash-1000', 'the Linux desktop trash'],
    ['Icon', null],
    ['._', null],
    ['Thumbs.db.mp3', null],
    ['.trash', null],
  ])('system file name %j', (name, owner) => {
    expect(systemFileOwner(name)).toBe(owner);
  });
});

describe('key collisions', () => {
  test('NFC and NFD twins both collide', async () => {
    const nfc = await touch('Music/Caf\u00e9.mp3');
    const nfd = await touch('Music/Cafe\u0301.mp3');
    const root = join(dir, 'Music');
    const files = await planSources([{ path: root }], { root, logger });

    expect(files).toHaveLength(2);
    for (const file of files) {
      expect(file.key).toBe('tracks/Caf\u00e9.mp3');
      expect(file.skip?.reason).toBe('key-collision');
    }
    const nfcFile = files.find((file) => file.path === nfc);
    expect(nfcFile?.skip?.message).toBe(
      `"${nfc}" and "${nfd}" map to the same key tracks/Caf\u00e9.mp3: the names look alike but ` +
        'spell "\u00e9" differently, this one as U+00E9 (precomposed, NFC) and the other as ' +
        'U+0065 U+0301 (decomposed, NFD); rename or delete one of them',
    );
    const nfdFile = files.find((file) => file.path === nfd);
    expect(nfdFile?.skip?.message).toContain(`"${nfd}" and "${nfc}" map to the same key`);
    expect(nfdFile?.skip?.message).toContain(
      'this one as U+0065 U+0301 (decomposed, NFD) and the other as U+00E9 (precomposed, NFC)',
    );
  });

  test('normalization twins name the differing character', async () => {
    // Hangul syllables decompose into conjoining letters, not into a letter and an accent.
    const nfc = await touch('Korean/\ud55c \u00e9.mp3');
    const nfd = await touch('Korean/\u1112\u1161\u11ab \u00e9.mp3');
    const root = join(dir, 'Korean');
    const files = await planSources([{ path: root }], { root, logger });

    const nfcFile = files.find((file) => file.path === nfc);
    expect(nfcFile?.skip?.message).toContain(
      'spell "\ud55c" differently, this one as U+D55C (precomposed, NFC) and the other as ' +
        'U+1112 U+1161 U+11AB (decomposed, NFD)',
    );
    const nfdFile = files.find((file) => file.path === nfd);
    expect(nfdFile?.skip?.reason).toBe('key-collision');
  });

  test('keys differing in case collide', async () => {
    const lower = await touch('one/x.mp3');
    const upper = await touch('two/x.mp3');
    const files = await planSources(
      [
        { path: lower, relativePath: 'a/x.mp3' },
        { path: upper, relativePath: 'A/x.mp3' },
      ],
      { logger },
    );

    expect(files.map((file) => file.skip?.reason)).toEqual(['key-collision', 'key-collision']);
    expect(files.find((file) => file.path === lower)?.skip?.message).toContain(`"${upper}"`);
    expect(files.find((file) => file.path === upper)?.skip?.message).toContain('letter case');
  });

  test('a backslash stays part of a name', async () => {
    await touch('Music/back\\slash.wav');
    await touch('Music/back/slash.wav');
    const root = join(dir, 'Music');
    const files = await planSources([{ path: root }], { root, logger });

    expect(files.map((file) => file.key).sort()).toEqual([
      'tracks/back/slash.wav',
      'tracks/back\\slash.wav',
    ]);
    expect(files.map((file) => file.skip ?? null)).toEqual([null, null]);
  });

  test('skipped files do not collide', async () => {
    await touch('Music/a/.DS_Store');
    await touch('Music/A/.DS_Store');
    const root = join(dir, 'Music');
    const files = await planSources([{ path: root }], { root, logger });
    expect(files.map((file) => file.skip?.reason)).toEqual(['system-file', 'system-file']);
  });
});

describe('unusable names', () => {
  test('tab in a file name is a skip', async () => {
    await touch('Music/Live\tTake.mp3');
    const root = join(dir, 'Music');
    const [file] = await planSources([{ path: root }], { root, logger });

    expect(file?.key).toBeNull();
    expect(file?.error).toBeNull();
    expect(file?.skip).toEqual({
      reason: 'invalid-name',
      message:
        'the name of "Live\tTake.mp3" contains a tab, which track keys may not contain; rename the file',
    });
  });

  test('key over 1024 bytes is a skip', async () => {
    // Each name stays under the 255-byte limit of file systems; the key is 1045 bytes.
    const folders = ['é'.repeat(120), 'x'.repeat(250), 'y'.repeat(250), 'z'.repeat(250)];
    const name = `${folders.join('/')}/${'w'.repeat(40)}.mp3`;
    await touch(`Music/${name}`);
    const root = join(dir, 'Music');
    const [file] = await planSources([{ path: root }], { root, logger });

    expect(file?.error).toBeNull();
    expect(file?.skip?.reason).toBe('invalid-name');
    expect(file?.skip?.message).toBe(
      `the key of "${name}" would be 1045 bytes long in UTF-8, over the S3 limit of 1024; shorten the folder or file names`,
    );
  });
});

describe('symbolic links', () => {
  test('link loop ends the walk', async () => {
    await touch('Music/Album/01.mp3');
    await symlink(join(dir, 'Music'), join(dir, 'Music/Album/back'));
    await symlink(join(dir, 'Music/Album'), join(dir, 'Music/Album/self'));
    const root = join(dir, 'Music');
    const files = await planSources([{ path: root }], { root, logger });
    expect(files.map((file) => file.name)).toEqual(['Album/01.mp3']);
  });

  test('link to a file is followed', async () => {
    const target = await touch('elsewhere/take.mp3');
    await mkdir(join(dir, 'Music'));
    await symlink(target, join(dir, 'Music/linked.mp3'));
    const root = join(dir, 'Music');
    const [file] = await planSources([{ path: root }], { root, logger });
    expect(file?.key).toBe('tracks/linked.mp3');
    expect(file?.error).toBeNull();
  });

  test('broken link is an error entry', async () => {
    await mkdir(join(dir, 'Music'));
    await symlink(join(dir, 'nowhere.mp3'), join(dir, 'Music/broken.mp3'));
    const root = join(dir, 'Music');
    const [file] = await planSources([{ path: root }], { root, logger });
    expect(file?.error).toMatch(/broken symbolic link/);
  });

  test('link cycle between two links', async () => {
    await mkdir(join(dir, 'Music'));
    await symlink(join(dir, 'Music/b'), join(dir, 'Music/a'));
    await symlink(join(dir, 'Music/a'), join(dir, 'Music/b'));
    const root = join(dir, 'Music');
    const files = await planSources([{ path: root }], { root, logger });
    expect(files.map((file) => file.name)).toEqual(['a', 'b']);
    for (const file of files) {
      expect(file.error).toMatch(/^symbolic link loop/);
    }
  });
});
