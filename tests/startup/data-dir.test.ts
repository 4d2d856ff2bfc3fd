import { mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { prepareDataDir } from '../../electron/main/data-dir';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cratebox-data-dir-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('prepareDataDir', () => {
  it('creates a missing nested folder', async () => {
    const dataDir = join(dir, 'a', 'b', 'Cratebox');

    prepareDataDir(dataDir);

    expect((await stat(dataDir)).isDirectory()).toBe(true);
    expect(await readdir(dataDir)).toEqual([]);
  });

  it('names the file in the way', async () => {
    const file = join(dir, 'library.txt');
    await writeFile(file, 'a file');
    const dataDir = join(file, 'deeper', 'Cratebox');

    expect(() => prepareDataDir(dataDir)).toThrow(
      `cannot use the data folder ${dataDir}: ${file} is a file, not a folder; pass --data-dir FOLDER or set CRATEBOX_DATA_DIR to a folder you can write to`,
    );
  });
});
