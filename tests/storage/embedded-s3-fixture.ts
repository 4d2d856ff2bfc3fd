import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';

import {
  startEmbeddedS3,
  type EmbeddedS3Options,
  type EmbeddedS3Server,
} from '../../electron/main/storage/embedded-s3';

/** Access key pair the test servers accept. */
export const CREDENTIALS = {
  accessKeyId: 'AKIDCRATEBOXTEST',
  secretAccessKey: 'test-secret-key/0123456789',
};

/** Region the test servers expect in signatures. */
export const REGION = 'us-east-1';

/** Running test server with its data folder and a client factory. */
export interface S3Fixture {
  server: EmbeddedS3Server;
  dataDir: string;
  client(config?: Partial<S3ClientConfig>): S3Client;
  /** Stops the server and starts a new one on the same data folder and port. */
  restart(): Promise<void>;
  close(): Promise<void>;
}

/** Creates an S3 client for `endpoint` with path-style addressing and the test credentials. */
export function clientFor(endpoint: string, config: Partial<S3ClientConfig> = {}): S3Client {
  return new S3Client({
    endpoint,
    region: REGION,
    forcePathStyle: true,
    credentials: CREDENTIALS,
    ...config,
  });
}

/** Starts an embedded server on a new temp folder. */
export async function startFixture(options: Partial<EmbeddedS3Options> = {}): Promise<S3Fixture> {
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), 'cratebox-s3-')));
  const start = (port?: number): Promise<EmbeddedS3Server> =>
    startEmbeddedS3({
      credentials: CREDENTIALS,
      ...options,
      dataDir,
      ...(port === undefined ? {} : { port }),
    });
  const clients: S3Client[] = [];
  const fixture: S3Fixture = {
    server: await start(),
    dataDir,
    client(config = {}) {
      const client = clientFor(fixture.server.endpoint, config);
      clients.push(client);
      return client;
    },
    async restart() {
      await fixture.server.close();
      fixture.server = await start(fixture.server.port);
    },
    async close() {
      for (const client of clients) {
        client.destroy();
      }
      await fixture.server.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
  return fixture;
}
