import { mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

/** Name of the app's user-data folder, as Electron derives it from `productName`. */
export const APP_FOLDER_NAME = 'Cratebox';

/**
 * Returns the data folder: `--data-dir`, else `CRATEBOX_DATA_DIR`, else the folder Electron uses as
 * `userData` on this platform, so the desktop app, web mode and the CLI share one library.
 */
export function resolveDataDir(
  argv: readonly string[],
  env: Record<string, string | undefined>,
): string {
  const flagIndex = argv.findIndex(
    (argument) => argument === '--data-dir' || argument.startsWith('--data-dir='),
  );
  if (flagIndex !== -1) {
    const argument = argv[flagIndex] as string;
    const value = argument.includes('=')
      ? argument.slice(argument.indexOf('=') + 1)
      : argv[flagIndex + 1];
    if (value === undefined || value === '') {
      throw new Error('--data-dir needs a folder, e.g. --data-dir ./cratebox-data');
    }
    return resolve(value);
  }
  if (env.CRATEBOX_DATA_DIR !== undefined && env.CRATEBOX_DATA_DIR !== '') {
    return resolve(env.CRATEBOX_DATA_DIR);
  }
  return defaultUserDataDir(env);
}

/**
 * Creates the data folder when it is missing and checks that a file can be written in it, so a
 * folder that cannot hold the library stops start-up with one message. The error names the
 * folder, the reason and how to choose another folder.
 */
export function prepareDataDir(dataDir: string): void {
  try {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    // Permission bits do not tell whether root may write, or whether the disk is read-only.
    const probe = join(dataDir, `.cratebox-write-test-${process.pid}`);
    writeFileSync(probe, '');
    rmSync(probe);
  } catch (error) {
    throw new Error(
      `cannot use the data folder ${dataDir}: ${dataDirProblem(dataDir, error)}; ` +
        'pass --data-dir FOLDER or set CRATEBOX_DATA_DIR to a folder you can write to',
      { cause: error },
    );
  }
}

function dataDirProblem(dataDir: string, error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  switch (code) {
    case 'EEXIST':
    case 'ENOTDIR':
      return `${fileInPath(dataDir) ?? 'part of the path'} is a file, not a folder`;
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EROFS':
      return 'the file system is read-only';
    case 'ENOSPC':
      return 'the disk is full';
    default:
      return error instanceof Error ? error.message : String(error);
  }
}

// Returns the first path, from `path` up to the root, that exists and is not a folder.
function fileInPath(path: string): string | null {
  for (let current = path; ; current = dirname(current)) {
    try {
      if (!statSync(current).isDirectory()) {
        return current;
      }
    } catch {
      // Missing, or behind a file: look further up.
    }
    if (dirname(current) === current) {
      return null;
    }
  }
}

function defaultUserDataDir(env: Record<string, string | undefined>): string {
  switch (process.platform) {
    case 'darwin':
      return join(homedir(), 'Library', 'Application Support', APP_FOLDER_NAME);
    case 'win32':
      return join(env.APPDATA ?? join(homedir(), 'AppData', 'Roaming'), APP_FOLDER_NAME);
    default:
      return join(env.XDG_CONFIG_HOME ?? join(homedir(), '.config'), APP_FOLDER_NAME);
  }
}
