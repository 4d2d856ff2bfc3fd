import { join } from 'node:path';

import { createAppServices } from './app-services';
import { MIGRATE_USAGE, runMigrate } from './cli/migrate-command';
import { TerminalNotes } from './cli/terminal-notes';
import { prepareDataDir, resolveDataDir } from './data-dir';
import { createFileLogger, logFilePath } from './log';
import { createSettingsStore, openConfSettingsFile } from './settings/stored-settings';

const USAGE = `Usage: cratebox <command> [--data-dir FOLDER] ...

Commands:
  migrate <folder>   upload a folder (a Dropbox folder, say) into tracks/; see cratebox migrate --help

--data-dir FOLDER sets the library data folder (default: CRATEBOX_DATA_DIR or the app's
user-data folder, shared with the desktop app). Storage settings come from the same environment
variables and settings file as the app.`;

/** Removes `--data-dir` and its value, which every command accepts, from the arguments. */
function withoutDataDir(argv: string[]): string[] {
  const rest: string[] = [];
  for (let index = 0; index < argv.length; index += 1) {
    const argument = argv[index] as string;
    if (argument === '--data-dir') {
      index += 1;
    } else if (!argument.startsWith('--data-dir=')) {
      rest.push(argument);
    }
  }
  return rest;
}

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  const [command, ...rest] = withoutDataDir(argv);
  if (command === undefined || command === '--help' || command === '-h') {
    console.log(USAGE);
    return command === undefined ? 2 : 0;
  }
  if (command !== 'migrate') {
    console.error(`cratebox: unknown command "${command}"\n\n${USAGE}`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    // Help needs no storage, so it works before anything is configured.
    process.stdout.write(MIGRATE_USAGE);
    return 0;
  }

  const dataDir = resolveDataDir(argv, process.env);
  prepareDataDir(dataDir);
  // The progress display owns the terminal: the log goes to a file, and its warnings and errors
  // print as short lines above the progress bar.
  const notes = new TerminalNotes(process.stderr);
  const logFile = logFilePath(dataDir, 'cli');
  const logger = createFileLogger({ file: logFile, onProblem: (line) => notes.show(line) });
  const services = await createAppServices({
    dataDir,
    shell: 'cli',
    version: process.env.npm_package_version ?? 'dev',
    env: process.env,
    settings: createSettingsStore(openConfSettingsFile(dataDir)),
    secrets: { encrypt: null, decrypt: null },
    logger,
    // electron-vite builds the inspection worker next to this entry, in out/main.
    inspectWorker: join(import.meta.dirname, 'inspect-worker.js'),
  });

  let stopping = false;
  process.on('SIGINT', () => {
    if (stopping) {
      process.exit(130);
    }
    stopping = true;
    console.error('\nStopping; finished parts are kept and the next run continues from them.');
    void services.close().then(() => process.exit(130));
  });

  try {
    return await runMigrate(rest, {
      engine: services.engine(),
      stdout: process.stdout,
      stderr: process.stderr,
      checkStorage: () => services.checkStorage(),
      notes,
      logFile,
    });
  } finally {
    await services.close();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`cratebox: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
