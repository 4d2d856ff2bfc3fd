import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { CreateBucketCommand, HeadBucketCommand } from '@aws-sdk/client-s3';

import type { Logger } from '../log';
import { EMBEDDED_BUCKET, EMBEDDED_REGION } from '../settings/app-config';
import { startEmbeddedS3 } from './embedded-s3';
import type { EmbeddedS3Server } from './embedded-s3';
import { createS3Client } from './s3-client';
import type { StorageTarget } from './s3-client';

/** Handle on the embedded store: its address, and its server when this process runs it. */
export interface EmbeddedStore {
  target: StorageTarget;
  /** The server this process started; null when another Cratebox process already serves the folder. */
  server: EmbeddedS3Server | null;
  close(): Promise<void>;
}

interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
}

interface ServerRecord {
  pid: number;
  endpoint: string;
}

/**
 * Opens the embedded S3-compatible store in `dataDir`: starts its server, or joins the one another
 * Cratebox process (the desktop app while the CLI migrates) already runs on that folder, so two
 * processes never write the same files. Creates the bucket on first start.
 */
export async function openEmbeddedStore(dataDir: string, logger: Logger): Promise<EmbeddedStore> {
  const storeDir = join(dataDir, 's3');
  await mkdir(storeDir, { recursive: true, mode: 0o700 });
  const credentials = await loadOrCreateCredentials(join(dataDir, 's3-credentials.json'));
  const recordPath = join(storeDir, 'server.json');

  const running = await findRunningServer(recordPath);
  if (running !== null) {
    logger.info(
      { endpoint: running.endpoint, pid: running.pid },
      'joined the embedded store of another Cratebox process',
    );
    const target = targetFor(running.endpoint, credentials);
    return { target, server: null, close: async () => undefined };
  }

  const server = await startEmbeddedS3({ dataDir: storeDir, credentials, logger });
  await writeRecord(recordPath, { pid: process.pid, endpoint: server.endpoint });
  const target = targetFor(server.endpoint, credentials);
  await ensureBucket(target);
  logger.info({ endpoint: server.endpoint, dataDir: storeDir }, 'embedded store started');

  return {
    target,
    server,
    async close(): Promise<void> {
      await server.close();
      await rm(recordPath, { force: true });
    },
  };
}

function targetFor(endpoint: string, credentials: Credentials): StorageTarget {
  return {
    bucket: EMBEDDED_BUCKET,
    region: EMBEDDED_REGION,
    endpoint,
    forcePathStyle: true,
    credentials,
  };
}

async function loadOrCreateCredentials(path: string): Promise<Credentials> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as Credentials;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new Error(
        `cannot read the embedded store credentials in ${path}: ${String(error)}; delete the file to create new ones`,
      );
    }
  }

  // Signature checks stay on in the embedded store, so a signed URL expires as it would on AWS.
  const credentials = {
    accessKeyId: `CRATEBOX${randomBytes(6).toString('hex').toUpperCase()}`,
    secretAccessKey: randomBytes(30).toString('base64'),
  };
  await writeFile(path, JSON.stringify(credentials), { mode: 0o600, flag: 'wx' });
  return credentials;
}

async function findRunningServer(recordPath: string): Promise<ServerRecord | null> {
  let record: ServerRecord;
  try {
    record = JSON.parse(await readFile(recordPath, 'utf8')) as ServerRecord;
  } catch {
    return null;
  }
  if (record.pid === process.pid || !isAlive(record.pid)) {
    return null;
  }

  try {
    await fetch(record.endpoint, { method: 'HEAD', signal: AbortSignal.timeout(2000) });
    return record;
  } catch {
    return null;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function writeRecord(path: string, record: ServerRecord): Promise<void> {
  const handle = await open(path, 'w', 0o600);
  try {
    await handle.writeFile(JSON.stringify(record));
  } finally {
    await handle.close();
  }
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
