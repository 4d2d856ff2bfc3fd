import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

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
