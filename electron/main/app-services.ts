import { join } from 'node:path';

import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';

import type { AppInfo } from '../../shared/contract';
import { CrateboxError } from '../../shared/errors';
import { TRACKS_PREFIX } from '../../shared/track-key';
import type { Handlers } from './ipc/dispatch';
import { lockUploadState } from './folder-locks';
import type { FolderLock } from './folder-locks';
import { EventBus } from './ipc/event-bus';
import { createLibraryService } from './library/library-service';
import { listWaitingQueues, pathsOfOtherQueues, writeSessionLabel } from './session-queues';
import type { LibraryService } from './library/library-service';
import type { Logger } from './log';
import { applySettingsUpdate } from './settings/apply-settings-update';
import type { EncryptSecret } from './settings/apply-settings-update';
import { resolveAppConfig, toPublicSettings } from './settings/app-config';
import type { AppConfig, DecryptSecret } from './settings/app-config';
import type { SettingsStore } from './settings/stored-settings';
import { createClock, createSigner } from './signing';
import type { Signer } from './signing';
import { openEmbeddedStore } from './storage/embedded-store';
import type { EmbeddedStore } from './storage/embedded-store';
import { createS3Client } from './storage/s3-client';
import type { StorageTarget } from './storage/s3-client';
import { describeStorage } from './storage/storage-description';
import { storageError } from './storage/storage-errors';
import type { StorageDescription } from './storage/storage-errors';
import { createInspectPool } from './upload/inspect/inspect-pool';
import type { InspectPool } from './upload/inspect/inspect-pool';
import { readLatestReport } from './upload/report';
import { createUploadEngine } from './upload/upload-engine';
import type { UploadEngine } from './upload/engine-types';
import { watchUploadState } from './upload/state-watcher';
import type { UploadStateWatch } from './upload/state-watcher';

/** Upload state folder of the CLI; separate from the app's, because both may run at once. */
const CLI_STATE = 'uploads-cli';
/** Upload state folder of the desktop app and web mode. */
const APP_STATE = 'uploads';

/** Dependencies a shell (Electron, web mode, CLI) provides to the services. */
export interface AppServicesOptions {
  dataDir: string;
  shell: AppInfo['shell'] | 'cli';
  version: string;
  env: Record<string, string | undefined>;
  settings: SettingsStore;
  /** Secret encryption at rest; null where the shell has no secure store. */
  secrets: { encrypt: EncryptSecret; decrypt: DecryptSecret };
  logger: Logger;
  /**
   * Worker script that inspects files before upload: `inspect-worker.js` next to the built entry
   * (`join(import.meta.dirname, 'inspect-worker.js')`), or a loader of the source in tests.
   */
  inspectWorker: string | URL;
  /** Opens a native file dialog; absent where the shell has none. */
  openFileDialog?: (folders: boolean) => Promise<string[] | null>;
}

/** The main-process services behind the IPC contract. */
export interface AppServices {
  handlers: Handlers;
  bus: EventBus;
  /** The upload engine of the current storage session. */
  engine(): UploadEngine;
  /**
   * Lists one key under `tracks/` to check that the bucket exists and the credentials may read
   * it. Throws a {@link CrateboxError} that states what to change when they do not.
   */
  checkStorage(): Promise<void>;
  /**
   * Returns the local paths that the app's upload jobs may still read: those of the open storage
   * session's queue, and of the queues saved for other storage targets, which resume when that
   * storage is selected again.
   */
  pathsInUse(): Promise<Set<string>>;
  close(): Promise<void>;
}

/** The storage-bound part of the services; rebuilt when the storage settings change. */
interface Session {
  config: AppConfig;
  /** Folder of this storage target's state: upload queues, reports, library cache. */
  dir: string;
  store: EmbeddedStore | null;
  /** Lock on the upload state folder, which only this process writes while it holds the lock. */
  stateLock: FolderLock;
  target: StorageTarget;
  /** Returns the bucket, region, endpoint and credentials as error messages name them. */
  describe(): StorageDescription;
  s3: S3Client;
  library: LibraryService;
  signer: Signer;
  engine: UploadEngine;
  /** Watch on the CLI's state folder, so a migration run beside the app shows up in it. */
  cliWatch: UploadStateWatch | null;
}

/** Starts every main-process service for one data folder. */
export async function createAppServices(options: AppServicesOptions): Promise<AppServices> {
  const { logger } = options;
  const bus = new EventBus();
  const sessionsDir = join(options.dataDir, 'sessions');
  let config = loadConfig(options);
  // One pool serves every storage session: inspecting a file does not depend on the bucket.
  const inspector = createInspectPool({ script: options.inspectWorker });
  let session: Session;
  try {
    session = await openSession(config, options, bus, inspector);
  } catch (error) {
    await inspector.close();
    throw error;
  }

  const reopenIfStorageChanged = async (next: AppConfig): Promise<void> => {
    const storageChanged = JSON.stringify(next.storage) !== JSON.stringify(config.storage);
    config = next;
    session.config = next;
    if (storageChanged) {
      logger.info({ mode: next.storage.mode }, 'storage settings changed; reopening the library');
      await closeSession(session);
      try {
        session = await openSession(next, options, bus, inspector);
      } finally {
        // Also on failure: the tracks of the closed session are no longer reachable.
        bus.emit('library.changed', { keys: [], storageChanged: true });
      }
    }
  };

  const handlers: Handlers = {
    'app.info': async () => ({
      version: options.version,
      shell: options.shell === 'cli' ? 'web' : options.shell,
      storage: config.storage.mode,
      bucket: session.target.bucket,
      endpoint: session.store?.endpoint() ?? session.target.endpoint,
      delivery: config.delivery.cloudfront === null ? 's3' : 'cloudfront',
      deliveryProblem: session.signer.cloudFrontProblem(),
      nativeFilePicker: options.openFileDialog !== undefined,
    }),
    'library.list': async () => session.library.list(),
    'library.peaks': async ({ key }) => session.library.peaks(key),
    'player.url': async ({ key, failedUrl }) =>
      session.signer.urlFor(key, failedUrl === undefined ? {} : { failedUrl }),
    'uploads.add': async ({ sources }) => session.engine.add(sources, { origin: 'desktop' }),
    'uploads.pick': async ({ folders }) => {
      if (options.openFileDialog === undefined) {
        throw new CrateboxError(
          'Unsupported',
          'this shell has no native file dialog; use the file input instead',
        );
      }
      const paths = await options.openFileDialog(folders ?? false);
      return paths === null || paths.length === 0
        ? null
        : session.engine.add(
            paths.map((path) => ({ path })),
            { origin: 'desktop' },
          );
    },
    'uploads.list': async () => {
      const { engine, dir } = session;
      await engine.whenLoaded();
      const waitingElsewhere = await listWaitingQueues(sessionsDir, dir, APP_STATE);
      return { ...engine.snapshot(), waitingElsewhere };
    },
    'uploads.pause': async ({ id }) => session.engine.pause(id),
    'uploads.resume': async ({ id }) => session.engine.resume(id),
    'uploads.cancel': async ({ id }) => session.engine.cancel(id),
    'uploads.retry': async ({ id, replace }) => session.engine.retry(id, { replace }),
    'uploads.discard': async ({ id }) => session.engine.discard(id),
    'uploads.clearFinished': async () => session.engine.clearFinished(),
    'uploads.lastReport': async () => {
      // The CLI keeps its own queue, so a migration run from the terminal is read from its folder.
      const fromCli = await readLatestReport(join(session.dir, CLI_STATE, 'reports'));
      const fromEngine = session.engine.lastReport();
      if (fromCli === null || fromEngine === null) {
        return fromCli ?? fromEngine;
      }
      return fromCli.finishedAt > fromEngine.finishedAt ? fromCli : fromEngine;
    },
    'settings.get': async () => toPublicSettings(config),
    'settings.update': async (update) => {
      const stored = applySettingsUpdate(options.settings.read(), update, options.secrets.encrypt);
      const next = resolveAppConfig(options.env, stored, options.secrets.decrypt);
      options.settings.write(stored);
      await reopenIfStorageChanged(next);
      const published = toPublicSettings(next);
      bus.emit('settings.changed', published);
      logger.info({ sections: Object.keys(update) }, 'settings changed');
      return published;
    },
  };

  return {
    handlers: translateStorageErrors(handlers, () => session.describe()),
    bus,
    engine: () => session.engine,
    async checkStorage(): Promise<void> {
      const { s3, target } = session;
      try {
        await s3.send(
          new ListObjectsV2Command({ Bucket: target.bucket, Prefix: TRACKS_PREFIX, MaxKeys: 1 }),
        );
      } catch (error) {
        throw storageError(error, session.describe()) ?? error;
      }
    },
    async pathsInUse(): Promise<Set<string>> {
      const current = session;
      const paths = await current.engine.pathsInUse();
      const others = await pathsOfOtherQueues(sessionsDir, current.dir, APP_STATE);
      others.forEach((path) => paths.add(path));
      return paths;
    },
    async close(): Promise<void> {
      await closeSession(session);
      await inspector.close();
    },
  };
}

/**
 * Wraps every handler so that an S3 or network error reaches the UI as a {@link CrateboxError}
 * naming the bucket, region, endpoint or credentials involved.
 */
function translateStorageErrors(
  handlers: Handlers,
  description: () => StorageDescription,
): Handlers {
  const wrapped: Record<string, (request: never) => Promise<unknown>> = {};
  for (const [method, handler] of Object.entries(handlers)) {
    wrapped[method] = async (request: never) => {
      try {
        return await (handler as (request: never) => Promise<unknown>)(request);
      } catch (error) {
        throw storageError(error, description()) ?? error;
      }
    };
  }
  return wrapped as unknown as Handlers;
}

function loadConfig(options: AppServicesOptions): AppConfig {
  try {
    return resolveAppConfig(options.env, options.settings.read(), options.secrets.decrypt);
  } catch (error) {
    throw new Error(
      `Cratebox cannot start: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  }
}

async function openSession(
  config: AppConfig,
  options: AppServicesOptions,
  bus: EventBus,
  inspector: InspectPool,
): Promise<Session> {
  const { logger, dataDir } = options;
  const store =
    config.storage.mode === 'embedded' ? await openEmbeddedStore(dataDir, logger) : null;
  const target = store?.target ?? awsTarget(config);
  const sessionDir = join(dataDir, 'sessions', sessionName(target));
  const stateDir = join(sessionDir, options.shell === 'cli' ? CLI_STATE : APP_STATE);
  await writeSessionLabel(sessionDir, storageLabel(config, target), logger);
  let stateLock: FolderLock;
  try {
    stateLock = await lockUploadState(stateDir, options.shell);
  } catch (error) {
    await store?.close();
    throw error;
  }
  const s3 = createS3Client(target);
  const description = await describeStorage(config, target, s3, options.env);
  // The embedded store's endpoint moves when another process takes the store over.
  const describe = (): StorageDescription =>
    store === null ? description : { ...description, endpoint: store.endpoint() };
  const describeError = (error: unknown): CrateboxError | null => storageError(error, describe());

  const library = createLibraryService({
    s3,
    bucket: target.bucket,
    cachePath: join(sessionDir, 'library-cache.json'),
    logger,
  });
  const session: Session = {
    config,
    dir: sessionDir,
    store,
    stateLock,
    target,
    describe,
    s3,
    library,
    signer: createSigner({
      s3,
      config: () => ({ bucket: target.bucket, ...session.config.delivery }),
      clock: createClock({ logger }),
      logger,
      describeError,
    }),
    engine: createUploadEngine({
      s3,
      bucket: target.bucket,
      stateDir,
      options: () => session.config.uploads,
      inspect: inspector.inspect,
      logger,
      describeError: (error) => describeError(error)?.message ?? null,
      onProgress: (progress) => bus.emit('uploads.progress', progress),
      onUploaded: (key) => bus.emit('library.changed', { keys: [key], storageChanged: false }),
      onReport: (report) =>
        bus.emit('uploads.reportWritten', { id: report.id, origin: report.origin }),
    }),
    cliWatch: null,
  };
  if (options.shell !== 'cli') {
    session.cliWatch = await watchCli(join(sessionDir, CLI_STATE), bus, logger);
  }
  return session;
}

// A migration in the terminal uploads to the same bucket: its saved queue means tracks may have
// been stored, and its report belongs in the transfers panel.
async function watchCli(
  stateDir: string,
  bus: EventBus,
  logger: Logger,
): Promise<UploadStateWatch | null> {
  try {
    return await watchUploadState({
      stateDir,
      logger,
      onReport: (report) => {
        bus.emit('uploads.reportWritten', { id: report.id, origin: report.origin });
        bus.emit('library.changed', { keys: [], storageChanged: false });
      },
      onQueueSaved: () => bus.emit('library.changed', { keys: [], storageChanged: false }),
    });
  } catch (error) {
    logger.warn(
      { err: error, stateDir },
      'cannot watch the CLI state folder; run Refresh after a migration',
    );
    return null;
  }
}

async function closeSession(session: Session): Promise<void> {
  session.cliWatch?.close();
  await session.engine.close();
  await session.stateLock.release();
  session.s3.destroy();
  await session.store?.close();
}

function awsTarget(config: AppConfig): StorageTarget {
  const storage = config.storage;
  if (storage.mode !== 'aws') {
    throw new Error('awsTarget() needs AWS storage settings');
  }
  return {
    bucket: storage.bucket,
    region: storage.region ?? undefined,
    profile: storage.profile,
    endpoint: storage.endpoint,
    forcePathStyle: storage.forcePathStyle,
    // Static keys from the settings screen win; otherwise the SDK's chain reads the environment
    // and the profile.
    credentials: storage.staticCredentials ?? undefined,
  };
}

/** Names a storage target as the transfers panel shows it, e.g. `S3 bucket music`. */
function storageLabel(config: AppConfig, target: StorageTarget): string {
  if (config.storage.mode === 'embedded') {
    return 'the embedded store';
  }
  return target.endpoint === null
    ? `S3 bucket ${target.bucket}`
    : `S3 bucket ${target.bucket} at ${target.endpoint}`;
}

/** Names the per-bucket state folder (upload journal, library cache) after the storage target. */
function sessionName(target: StorageTarget): string {
  const where = target.endpoint === null ? 'aws' : new URL(target.endpoint).hostname;
  return `${where}-${target.bucket}`.replace(/[^A-Za-z0-9.-]/g, '_');
}
