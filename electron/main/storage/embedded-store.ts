import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import { CreateBucketCommand, HeadBucketCommand } from '@aws-sdk/client-s3';

import type { Logger } from '../log';
import { EMBEDDED_BUCKET, EMBEDDED_REGION } from '../settings/app-config';
import { isLockHeld, readLock, tryAcquireLock } from '../util/process-lock';
import type { HeldLock, LockRecord } from '../util/process-lock';
import { loadOrCreateCredentials } from './embedded-credentials';
import type { EmbeddedCredentials } from './embedded-credentials';
import { startEmbeddedS3 } from './embedded-s3';
import type { EmbeddedS3Server } from './embedded-s3';
import { createS3Client } from './s3-client';
import type { StorageTarget } from './s3-client';

/** Handle on the embedded store, served by this process or by another on the same data folder. */
export interface EmbeddedStore {
  /** Target whose endpoint follows the server when another process takes it over. */
  target: StorageTarget;
  /** Returns the endpoint that requests went to last. */
  endpoint(): string;
  /** Returns the server this process runs, or null while it uses another process's server. */
  server(): EmbeddedS3Server | null;
  /** Stops this process's server, if it runs one, and lets another process take the store. */
  close(): Promise<void>;
}

/** Record that the server's process publishes in `s3/server.lock`. */
export interface ServerLockInfo {
  /** Base URL of the server, or null while it starts. */
  endpoint: string | null;
}

type Role =
  | { kind: 'owner'; server: EmbeddedS3Server; lock: HeldLock<ServerLockInfo> }
  | { kind: 'joined'; holder: LockRecord<ServerLockInfo>; endpoint: string };

// Polling interval in milliseconds while another process starts the server.
const STARTING_POLL_MS = 25;

/**
 * Opens the embedded S3-compatible store in `dataDir`. The process holding `s3/server.lock` runs
 * the one server that writes the folder; the others send their requests to it. When that process
 * ends, cleanly or not, the next request of another process takes the lock and starts the server
 * on the same folder, preferably on the same port, and its clients follow without being rebuilt.
 */
export async function openEmbeddedStore(dataDir: string, logger: Logger): Promise<EmbeddedStore> {
  const storeDir = join(dataDir, 's3');
  await mkdir(storeDir, { recursive: true, mode: 0o700 });
  const credentials = await loadOrCreateCredentials(join(dataDir, 's3-credentials.json'));
  const lockPath = join(storeDir, 'server.lock');
  let role: Role | null = null;
  let settling: Promise<string> | null = null;
  let closed = false;

  async function serve(lock: HeldLock<ServerLockInfo>): Promise<string> {
    const previous = role;
    let server: EmbeddedS3Server | null = null;
    try {
      server = await startServer(storeDir, credentials, logger, previous);
      await ensureBucket(targetFor(server.endpoint, credentials));
      // Other processes use the server once its address is published, so the bucket exists.
      await lock.update({ endpoint: server.endpoint });
    } catch (error) {
      await server?.close();
      await lock.release();
      throw error;
    }

    role = { kind: 'owner', server, lock };
    if (previous?.kind !== 'joined') {
      logger.info({ endpoint: server.endpoint, dataDir: storeDir }, 'embedded store started');
    } else {
      logger.warn(
        { endpoint: server.endpoint, previousPid: previous.holder.pid },
        'the Cratebox process that ran the embedded store ended; this process runs it now',
      );
    }
    return server.endpoint;
  }

  async function settle(): Promise<string> {
    for (;;) {
      if (closed) {
        throw new Error('the embedded store is closed; start Cratebox again to reach it');
      }
      const attempt = await tryAcquireLock<ServerLockInfo>(lockPath, { endpoint: null });
      if (attempt.acquired) {
        return serve(attempt.lock);
      }

      const { holder } = attempt;
      if (holder.info.endpoint !== null) {
        const message =
          role === null
            ? 'joined the embedded store of another Cratebox process'
            : 'another Cratebox process runs the embedded store now; following it';
        logger.info({ endpoint: holder.info.endpoint, pid: holder.pid }, message);
        role = { kind: 'joined', holder, endpoint: holder.info.endpoint };
        return holder.info.endpoint;
      }
      await sleep(STARTING_POLL_MS);
    }
  }

  // Called before every request, so it stays cheap while the server's process runs: one read of
  // a small file and a liveness check of its pid.
  async function resolveEndpoint(): Promise<string> {
    if (role?.kind === 'owner') {
      return role.server.endpoint;
    }
    if (role?.kind === 'joined') {
      const current = await readLock<ServerLockInfo>(lockPath);
      if (current?.token === role.holder.token && isLockHeld(current)) {
        return role.endpoint;
      }
    }
    settling ??= settle().finally(() => {
      settling = null;
    });
    return settling;
  }

  const initial = await resolveEndpoint();
  return {
    target: { ...targetFor(initial, credentials), resolveEndpoint },
    endpoint: () => (role?.kind === 'owner' ? role.server.endpoint : (role?.endpoint ?? initial)),
    server: () => (role?.kind === 'owner' ? role.server : null),
    async close(): Promise<void> {
      closed = true;
      await settling?.catch(() => undefined);
      if (role?.kind === 'owner') {
        const { server, lock } = role;
        role = null;
        await server.close();
        await lock.release();
      }
    },
  };
}

/**
 * Starts the server, on the port of the server it replaces when that port is free: URLs that were
 * signed for the old server keep working, because a signature covers the host and port.
 */
async function startServer(
  storeDir: string,
  credentials: EmbeddedCredentials,
  logger: Logger,
  previous: Role | null,
): Promise<EmbeddedS3Server> {
  const options = { dataDir: storeDir, credentials, logger };
  if (previous?.kind !== 'joined') {
    return startEmbeddedS3(options);
  }

  const port = Number(new URL(previous.endpoint).port);
  try {
    return await startEmbeddedS3({ ...options, port });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') {
      throw error;
    }
    logger.info({ port }, 'the embedded store port is taken; the server listens on another');
    return startEmbeddedS3(options);
  }
}

function targetFor(endpoint: string, credentials: EmbeddedCredentials): StorageTarget {
  return {
    bucket: EMBEDDED_BUCKET,
    region: EMBEDDED_REGION,
    endpoint,
    forcePathStyle: true,
    credentials,
  };
}

async function ensureBucket(target: StorageTarget): Promise<void> {
  const client = createS3Client(target, { maxAttempts: 2 });
  try {
    await client.send(new HeadBucketCommand({ Bucket: target.bucket }));
  } catch (error) {
    if ((error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode !== 404) {
      throw error;
    }
    await client.send(new CreateBucketCommand({ Bucket: target.bucket }));
  } finally {
    client.destroy();
  }
}
