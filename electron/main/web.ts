import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import { createAppServices } from './app-services';
import { resolveDataDir } from './data-dir';
import { createLogger } from './log';
import { createSettingsStore, openConfSettingsFile } from './settings/stored-settings';
import { restrictToStaging } from './web-host/web-handlers';
import { startWebHost } from './web-host/web-host';

const USAGE = `Usage: node out/main/web.js [--port N] [--data-dir FOLDER]

Serves the Cratebox UI on http://127.0.0.1 for any browser.
  --port N           TCP port on 127.0.0.1 (default: a free port)
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
  const port = values.port === undefined ? 0 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`--port is "${values.port}"; give a port number between 0 and 65535`);
  }

  const logger = createLogger();
  const dataDir = resolveDataDir(process.argv, process.env);
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
  });
  const host = await startWebHost({
    handlers: staging.handlers,
    bus: services.bus,
    rendererDir: join(dirname(fileURLToPath(import.meta.url)), '../renderer'),
    stagingDir,
    port,
    logger,
  });
  console.log(`Cratebox web mode: open ${host.url} (data in ${dataDir}; Ctrl+C stops)`);

  const stop = async (): Promise<void> => {
    staging.close();
    await host.close();
    await services.close();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
