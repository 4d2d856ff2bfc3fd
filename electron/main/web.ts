import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import { createAppServices } from './app-services';
import { prepareDataDir, resolveDataDir } from './data-dir';
import { lockDataFolder } from './folder-locks';
import { createFileLogger, logFilePath } from './log';
import { createSettingsStore, openConfSettingsFile } from './settings/stored-settings';
import { restrictToStaging } from './web-host/web-handlers';
import { startWebHost } from './web-host/web-host';

/**
 * Port web mode listens on without `--port`, so a bookmark keeps working across runs. 27283 spells
 * CRATE on a phone keypad, and lies below the ephemeral ports that Linux (32768-60999) and Windows
 * (49152-65535) hand out to outgoing connections.
 */
const DEFAULT_WEB_PORT = 27283;

const USAGE = `Usage: node out/main/web.js [--port N] [--data-dir FOLDER]

Serves the Cratebox UI on http://127.0.0.1 for any browser.
  --port N           TCP port on 127.0.0.1; 0 picks a free port (default: ${DEFAULT_WEB_PORT}, or a
                     free port when another program uses ${DEFAULT_WEB_PORT})
  --data-dir FOLDER  library data folder (default: CRATEBOX_DATA_DIR or the app's user-data folder)`;

/** Starts web mode: the main-process services plus the local host that serves the renderer. */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string' },
      'data-dir': { type: 'string' },
      help: { type: 'boolean' },
    },
  });
  if (values.help === true) {
    console.log(USAGE);
    return;
  }
  const port = values.port === undefined ? DEFAULT_WEB_PORT : Number(values.port);
  if (values.port === '' || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`--port is "${values.port}"; give a port number between 0 and 65535`);
  }

  const dataDir = resolveDataDir(process.argv, process.env);
  prepareDataDir(dataDir);
  const instance = await lockDataFolder(dataDir, 'web');
  // The terminal shows the address and one line per warning or error; the log file has the rest.
  // It is opened once the folder is locked, so a second web mode leaves the first one's log alone.
  const logFile = logFilePath(dataDir, 'web');
  const logger = createFileLogger({ file: logFile, onProblem: (line) => console.error(line) });
  const services = await createAppServices({
    dataDir,
    shell: 'web',
    version: process.env.npm_package_version ?? 'dev',
    env: process.env,
    settings: createSettingsStore(openConfSettingsFile(dataDir)),
    secrets: { encrypt: null, decrypt: null },
    logger,
    // electron-vite builds the inspection worker next to this entry, in out/main.
    inspectWorker: join(import.meta.dirname, 'inspect-worker.js'),
  });

  const stagingDir = join(dataDir, 'staging');
  const staging = restrictToStaging({
    handlers: services.handlers,
    stagingDir,
    engine: services.engine,
    pathsInUse: services.pathsInUse,
    logger,
    bus: services.bus,
  });
  let host;
  try {
    host = await startWebHost({
      handlers: staging.handlers,
      bus: services.bus,
      rendererDir: join(dirname(fileURLToPath(import.meta.url)), '../renderer'),
      stagingDir,
      port,
      // Only the default port falls back, because a port given with --port is a choice.
      fallbackToFreePort: values.port === undefined,
      logger,
    });
  } catch (error) {
    staging.close();
    await services.close();
    await instance.release();
    throw listenError(error, port);
  }
  await instance.update({ shell: 'web', url: host.url });

  if (host.port !== port && port !== 0) {
    console.log(`Cratebox web mode: port ${port} is in use, so this run listens on a free port.`);
  }
  console.log(`Cratebox web mode: open ${host.url} (data in ${dataDir}; Ctrl+C stops)`);
  console.log(`Cratebox web mode: the full log is in ${logFile}`);
  // The library view shows the same problem, and the log line reaches the terminal at once.
  services.checkStorage().catch((error: unknown) => {
    const problem = error instanceof Error ? error.message : String(error);
    logger.error({ problem }, 'the library cannot be read');
  });

  const stop = async (): Promise<void> => {
    staging.close();
    await host.close();
    await services.close();
    await instance.release();
    console.log('Cratebox web mode stopped.');
    process.exit(0);
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
}

function listenError(error: unknown, port: number): unknown {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'EADDRINUSE') {
    return new Error(
      `port ${port} on 127.0.0.1 is already in use (by another Cratebox, perhaps: ` +
        `http://127.0.0.1:${port}/); pass another --port N, or omit --port`,
    );
  }
  if (code === 'EACCES') {
    return new Error(
      `port ${port} needs administrator rights on this system; pass a --port above 1023`,
    );
  }
  return error;
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
