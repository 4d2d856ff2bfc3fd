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
  /**
   * Reads where the embedded store listens and its credentials from the files the app keeps in
   * its data folder, so a test can reach the same bucket (as a CloudFront origin, for example).
   */
  storageTarget(): StorageTarget;
  close(): Promise<void>;
}

/** Starts the main-process services and the web host on a new temporary data folder. */
export async function startWebApp(env: Record<string, string | undefined> = {}): Promise<WebApp> {
  if (!existsSync(join(RENDERER_DIR, 'index.html'))) {
    throw new Error(`no built renderer in ${RENDERER_DIR}; run npm run build first`);
  }
  const dataDir = mkdtempSync(join(tmpdir(), 'cratebox-web-'));
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
    inspectWorker: INSPECT_WORKER_SOURCE,
  });
  const stagingDir = join(dataDir, 'staging');
  const host = await startWebHost({
    handlers: restrictToStaging(services.handlers, stagingDir, services.engine, logger),
    bus: services.bus,
    rendererDir: RENDERER_DIR,
    stagingDir,
    logger,
  });

  return {
    url: host.url,
    dataDir,
    services,
    host,
    storageTarget: () => embeddedStoreTarget(dataDir),
    async close(): Promise<void> {
      await host.close();
      await services.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
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
