import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { createAppServices } from '../../electron/main/app-services';
import type { AppServices } from '../../electron/main/app-services';
import { createLogger, silentLogger } from '../../electron/main/log';
import { EMBEDDED_BUCKET, EMBEDDED_REGION } from '../../electron/main/settings/app-config';
import {
  createSettingsStore,
  openConfSettingsFile,
} from '../../electron/main/settings/stored-settings';
import { restrictToStaging } from '../../electron/main/web-host/web-handlers';
import type { StagingHandlers, StagingOptions } from '../../electron/main/web-host/web-handlers';
import type { StorageTarget } from '../../electron/main/storage/s3-client';
import { startWebHost } from '../../electron/main/web-host/web-host';
import { INSPECT_WORKER_SOURCE } from './inspect-workers';
import type { WebHost } from '../../electron/main/web-host/web-host';

/** Built renderer served by the web host; `npm test` builds it before the suites run. */
export const RENDERER_DIR = join(import.meta.dirname, '..', '..', 'out', 'renderer');

/** A web-mode Cratebox on a fresh data folder, as `npm start` runs it where Electron is absent. */
export interface WebApp {
  url: string;
  dataDir: string;
  services: AppServices;
  host: WebHost;
  staging: StagingHandlers;
  /**
   * Closes the host, which drops every page's socket, runs `whileDown`, then starts the host
   * again on the same port, as when web mode is restarted.
   */
  restartHost(whileDown?: () => Promise<void>): Promise<void>;
  /**
   * Reads where the embedded store listens and its credentials from the files the app keeps in
   * its data folder, so a test can reach the same bucket (as a CloudFront origin, for example).
   */
  storageTarget(): StorageTarget;
  close(): Promise<void>;
}

/** Options of {@link startWebApp} besides the environment. */
export interface WebAppOptions {
  /** Data folder to use and keep; a new temporary one, deleted on close, when absent. */
  dataDir?: string;
  /** Worker script of the inspection pool; the TypeScript source of the real worker when absent. */
  inspectWorker?: string | URL;
  /** Cleanup settings of the staging folder. */
  staging?: Pick<StagingOptions, 'abandonAfterMs' | 'sweepIntervalMs' | 'now'>;
}

/** Starts the main-process services and the web host on a temporary or given data folder. */
export async function startWebApp(
  env: Record<string, string | undefined> = {},
  options: WebAppOptions = {},
): Promise<WebApp> {
  if (!existsSync(join(RENDERER_DIR, 'index.html'))) {
    throw new Error(`no built renderer in ${RENDERER_DIR}; run npm run build first`);
  }
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'cratebox-web-'));
  const logger =
    process.env.CRATEBOX_TEST_LOGS === '1' ? createLogger({ level: 'debug' }) : silentLogger();
  const services = await createAppServices({
    dataDir,
    shell: 'web',
    version: 'test',
    env,
    settings: createSettingsStore(openConfSettingsFile(dataDir)),
    secrets: { encrypt: null, decrypt: null },
    logger,
    inspectWorker: options.inspectWorker ?? INSPECT_WORKER_SOURCE,
  });
  const stagingDir = join(dataDir, 'staging');
  const staging = restrictToStaging({
    handlers: services.handlers,
    stagingDir,
    engine: services.engine,
    pathsInUse: services.pathsInUse,
    logger,
    bus: services.bus,
    ...options.staging,
  });
  const startHost = (port?: number): Promise<WebHost> =>
    startWebHost({
      handlers: staging.handlers,
      bus: services.bus,
      rendererDir: RENDERER_DIR,
      stagingDir,
      port,
      logger,
    });

  const app: WebApp = {
    url: '',
    dataDir,
    services,
    host: await startHost(),
    staging,
    storageTarget: () => embeddedStoreTarget(dataDir),
    async restartHost(whileDown?: () => Promise<void>): Promise<void> {
      const port = Number(new URL(app.url).port);
      await app.host.close();
      await whileDown?.();
      app.host = await startHost(port);
    },
    async close(): Promise<void> {
      staging.close();
      await app.host.close();
      await services.close();
      if (options.dataDir === undefined) {
        rmSync(dataDir, { recursive: true, force: true });
      }
    },
  };
  app.url = app.host.url;
  return app;
}

function embeddedStoreTarget(dataDir: string): StorageTarget {
  const credentials = JSON.parse(readFileSync(join(dataDir, 's3-credentials.json'), 'utf8')) as {
    accessKeyId: string;
    secretAccessKey: string;
  };
  const server = JSON.parse(readFileSync(join(dataDir, 's3', 'server.lock'), 'utf8')) as {
    info: { endpoint: string };
  };
  return {
    bucket: EMBEDDED_BUCKET,
    region: EMBEDDED_REGION,
    endpoint: server.info.endpoint,
    forcePathStyle: true,
    credentials,
  };
}
