import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

import type { S3Client } from '@aws-sdk/client-s3';
import { CreateBucketCommand } from '@aws-sdk/client-s3';

import { startEmbeddedS3 } from '../../electron/main/storage/embedded-s3';
import { createS3Client } from '../../electron/main/storage/s3-client';

/** Credentials every test server accepts. */
export const TEST_CREDENTIALS = {
  accessKeyId: 'cratebox-test-key',
  secretAccessKey: 'cratebox-test-secret',
};

/** Kind of local S3 server a test runs against. */
export type ServerKind = 'embedded' | 'moto';

/** A local S3-compatible server started for a test. */
export interface LocalS3Server {
  kind: ServerKind;
  endpoint: string;
  port: number;
  /** Payload bytes of stored PutObject and UploadPart bodies; null when the server cannot count. */
  bodyBytesReceived(): number | null;
  /** Requests received per S3 operation, e.g. `{ HeadObject: 2 }`; null when the server cannot count. */
  requestCounts(): Record<string, number> | null;
  close(): Promise<void>;
}

/** Starts Cratebox's embedded S3 server on 127.0.0.1 with its data in `dataDir`. */
export async function startEmbeddedServer(dataDir: string): Promise<LocalS3Server> {
  const server = await startEmbeddedS3({ dataDir, credentials: TEST_CREDENTIALS });
  return {
    kind: 'embedded',
    endpoint: server.endpoint,
    port: server.port,
    bodyBytesReceived: () => server.stats().bytesReceived,
    requestCounts: () => server.stats().requests,
    close: () => server.close(),
  };
}

/** Returns a port that was free on 127.0.0.1 a moment ago. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Starts `moto_server` (Python moto, an independent S3 implementation) on 127.0.0.1. */
export async function startMotoServer(): Promise<LocalS3Server> {
  const port = await freePort();
  const child = spawn('moto_server', ['-H', '127.0.0.1', '-p', String(port)], {
    stdio: 'ignore',
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const endpoint = `http://127.0.0.1:${port}`;

  for (let attempt = 0; ; attempt += 1) {
    try {
      await fetch(`${endpoint}/moto-api/`);
      break;
    } catch (error) {
      if (attempt > 200 || child.exitCode !== null) {
        child.kill();
        throw new Error(`moto_server did not start on port ${port}: ${String(error)}`);
      }
      await sleep(50);
    }
  }

  return {
    kind: 'moto',
    endpoint,
    port,
    bodyBytesReceived: () => null,
    requestCounts: () => null,
    async close(): Promise<void> {
      if (child.pid !== undefined && child.exitCode === null) {
        process.kill(child.pid, 'SIGTERM');
        await exited;
      }
    },
  };
}

/** Creates an S3 client for a test server, path-style, with the test credentials. */
export function testClient(endpoint: string, maxAttempts?: number): S3Client {
  return createS3Client(
    {
      bucket: 'unused',
      region: 'us-east-1',
      endpoint,
      forcePathStyle: true,
      credentials: TEST_CREDENTIALS,
    },
    { maxAttempts },
  );
}

/** Creates a bucket on a test server. */
export async function createBucket(endpoint: string, bucket: string): Promise<void> {
  const client = testClient(endpoint);
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
  client.destroy();
}

/**
 * Starts a second S3 server with the bucket `other-bucket`, for tests that switch the app's
 * storage settings away from its embedded store. Sets the test credentials in the environment,
 * where the SDK's default credential chain reads them, so call it only from a test file that
 * runs in its own process.
 */
export async function startOtherStorage(dataDir: string): Promise<LocalS3Server> {
  const server = await startEmbeddedServer(dataDir);
  await createBucket(server.endpoint, 'other-bucket');
  process.env.AWS_ACCESS_KEY_ID = TEST_CREDENTIALS.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = TEST_CREDENTIALS.secretAccessKey;
  return server;
}
