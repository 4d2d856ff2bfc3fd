import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';

import { startEmbeddedS3 } from '../../electron/main/storage/embedded-s3';
import { startMotoServer, TEST_CREDENTIALS } from './s3-servers';
import type { ServerKind } from './s3-servers';

/** S3-compatible server on 127.0.0.1 with one empty bucket, for tests. */
export interface S3Origin {
  kind: ServerKind;
  endpoint: string;
  bucket: string;
  /** Client with static test credentials and path-style addressing. */
  client: S3Client;
  /** Creates another client for the same server, e.g. with a clock offset or other credentials. */
  createClient(options?: ClientOptions): S3Client;
  /**
   * Adds this many milliseconds to the server clock, which dates responses and decides when
   * presigned URLs expire. Only the embedded server has a clock to move; moto throws.
   */
  setClockOffset(ms: number): void;
  stop(): Promise<void>;
}

/** Settings of a client that {@link S3Origin.createClient} may change from the defaults. */
export interface ClientOptions {
  systemClockOffset?: number;
  credentials?: { accessKeyId: string; secretAccessKey: string };
}

/** Options of {@link startS3Origin}. */
export interface S3OriginOptions {
  bucket?: string;
  /**
   * `embedded` (default) is Cratebox's own server, which checks presigned signatures, expiry and
   * clock skew as S3 does. `moto` is Python moto, an independent implementation that checks none
   * of them but decodes keys and paths its own way.
   */
  kind?: ServerKind;
}

/** Starts the S3 server the signing tests use as origin, with one bucket. */
export async function startS3Origin(options: S3OriginOptions = {}): Promise<S3Origin> {
  const bucket = options.bucket ?? 'cratebox-signing-test';
  const server =
    (options.kind ?? 'embedded') === 'embedded' ? await startEmbedded() : await startMoto();

  const createClient = (clientOptions: ClientOptions = {}): S3Client =>
    new S3Client({
      endpoint: server.endpoint,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: TEST_CREDENTIALS,
      ...clientOptions,
    });
  const client = createClient();
  try {
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
  } catch (error) {
    client.destroy();
    await server.stop();
    throw error;
  }

  return {
    kind: server.kind,
    endpoint: server.endpoint,
    bucket,
    client,
    createClient,
    setClockOffset: server.setClockOffset,
    async stop() {
      client.destroy();
      await server.stop();
    },
  };
}

interface RunningServer {
  kind: ServerKind;
  endpoint: string;
  setClockOffset(ms: number): void;
  stop(): Promise<void>;
}

async function startEmbedded(): Promise<RunningServer> {
  const dataDir = await mkdtemp(join(tmpdir(), 'cratebox-s3-origin-'));
  let clockOffset = 0;
  const server = await startEmbeddedS3({
    dataDir,
    credentials: TEST_CREDENTIALS,
    now: () => Date.now() + clockOffset,
  });
  return {
    kind: 'embedded',
    endpoint: server.endpoint,
    setClockOffset(ms) {
      clockOffset = ms;
    },
    async stop() {
      await server.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

async function startMoto(): Promise<RunningServer> {
  const server = await startMotoServer();
  return {
    kind: 'moto',
    endpoint: server.endpoint,
    setClockOffset() {
      throw new Error('moto_server runs on the system clock; use the embedded server to move it');
    },
    stop: () => server.close(),
  };
}
