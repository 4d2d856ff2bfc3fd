import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';

import {
  AbortMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
} from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';

import { silentLogger } from '../../electron/main/log';
import type { Logger } from '../../electron/main/log';
import type { UploadEngine, UploadTuning } from '../../electron/main/upload/engine-types';
import type { InspectFile } from '../../electron/main/upload/inspection';
import type { RetryPolicy } from '../../electron/main/upload/retry-policy';
import { createUploadEngine } from '../../electron/main/upload/upload-engine';
import type { UploadProgress } from '../../shared/uploads';
import { sha256Of } from './audio-files';
import { startFaultProxy } from './fault-proxy';
import type { FaultProxy } from './fault-proxy';
import { sourceInspectPool } from './inspect-workers';
import { createBucket, startEmbeddedServer, startMotoServer, testClient } from './s3-servers';
import type { LocalS3Server, ServerKind } from './s3-servers';

/** Bucket every upload test writes to. */
export const TEST_BUCKET = 'cratebox-uploads';

/** A local S3 server behind a fault proxy, a temp folder, and engines built on both. */
export interface UploadHarness {
  dir: string;
  server: LocalS3Server;
  proxy: FaultProxy;
  /** Client that talks to the server directly, for checks. */
  direct: S3Client;
  /** Creates an engine whose requests go through the proxy. */
  engine(options?: EngineOptions): UploadEngine;
  progress: UploadProgress[];
  uploadedKeys: string[];
  trackKeys(): Promise<string[]>;
  pendingUploads(): Promise<{ key: string; uploadId: string }[]>;
  objectSha256(key: string): Promise<string>;
  /** Returns an object's size in bytes. */
  objectSize(key: string): Promise<number>;
  /**
   * Payload bytes the server stored since the start or the last {@link resetCounters}; moto cannot
   * count them, so this throws there.
   */
  serverBodyBytes(): number;
  /** Resets the proxy's and the server's byte counters. */
  resetCounters(): void;
  /** Deletes every object and aborts every pending multipart upload. */
  emptyBucket(): Promise<void>;
  close(): Promise<void>;
}

/** Options of {@link UploadHarness.engine}. */
export interface EngineOptions {
  stateDir?: string;
  tuning?: Partial<UploadTuning>;
  /** Attempts per request in the SDK; 1 leaves every retry to the engine. */
  sdkAttempts?: number;
  retry?: RetryPolicy;
  logger?: Logger;
  /** Jobs that may inspect their files while others upload; the engine's default when absent. */
  prepareAhead?: number;
  /** Wraps the real inspection, e.g. to hold it at a point the test controls. */
  wrapInspect?: (inspect: InspectFile) => InspectFile;
}

const MIB = 1024 * 1024;

/**
 * Starts a local S3 server (the embedded one unless `kind` is 'moto') behind a fault proxy and
 * creates the test bucket.
 */
export async function startUploadHarness(kind: ServerKind = 'embedded'): Promise<UploadHarness> {
  const dir = await mkdtemp(join(tmpdir(), 'cratebox-upload-'));
  const server =
    kind === 'embedded' ? await startEmbeddedServer(join(dir, 'server')) : await startMotoServer();
  let bodyBytesAtReset = 0;
  const proxy = await startFaultProxy({ targetPort: server.port });
  await createBucket(server.endpoint, TEST_BUCKET);
  const direct = testClient(server.endpoint);
  const engines: UploadEngine[] = [];
  const clients: S3Client[] = [direct];
  const progress: UploadProgress[] = [];
  const uploadedKeys: string[] = [];
  const inspector = sourceInspectPool();

  return {
    dir,
    server,
    proxy,
    direct,
    progress,
    uploadedKeys,
    engine(options: EngineOptions = {}): UploadEngine {
      const client = testClient(proxy.endpoint, options.sdkAttempts);
      clients.push(client);
      const engine = createUploadEngine({
        s3: client,
        bucket: TEST_BUCKET,
        stateDir: options.stateDir ?? join(dir, 'state'),
        options: () => ({
          parallelFiles: 2,
          parallelParts: 4,
          partSizeBytes: 5 * MIB,
          ...options.tuning,
        }),
        inspect: options.wrapInspect?.(inspector.inspect) ?? inspector.inspect,
        logger: options.logger ?? silentLogger(),
        onProgress: (event) => progress.push(event),
        onUploaded: (key) => uploadedKeys.push(key),
        retry: options.retry ?? { maxAttempts: 4, baseDelayMs: 50, maxDelayMs: 500 },
        prepareAhead: options.prepareAhead,
      });
      engines.push(engine);
      return engine;
    },
    async trackKeys(): Promise<string[]> {
      const listing = await direct.send(
        new ListObjectsV2Command({ Bucket: TEST_BUCKET, Prefix: 'tracks/' }),
      );
      return (listing.Contents ?? []).flatMap((object) => object.Key ?? []).sort();
    },
    async pendingUploads(): Promise<{ key: string; uploadId: string }[]> {
      const listing = await direct.send(new ListMultipartUploadsCommand({ Bucket: TEST_BUCKET }));
      return (listing.Uploads ?? []).map((upload) => ({
        key: upload.Key ?? '',
        uploadId: upload.UploadId ?? '',
      }));
    },
    async objectSha256(key: string): Promise<string> {
      const object = await direct.send(new GetObjectCommand({ Bucket: TEST_BUCKET, Key: key }));
      return sha256Of(object.Body as Readable);
    },
    async objectSize(key: string): Promise<number> {
      const head = await direct.send(new HeadObjectCommand({ Bucket: TEST_BUCKET, Key: key }));
      return head.ContentLength ?? -1;
    },
    serverBodyBytes(): number {
      const received = server.bodyBytesReceived();
      if (received === null) {
        throw new Error(`the ${server.kind} server does not count body bytes`);
      }
      return received - bodyBytesAtReset;
    },
    resetCounters(): void {
      proxy.resetCounters();
      bodyBytesAtReset = server.bodyBytesReceived() ?? 0;
    },
    async emptyBucket(): Promise<void> {
      const listing = await direct.send(new ListObjectsV2Command({ Bucket: TEST_BUCKET }));
      for (const object of listing.Contents ?? []) {
        await direct.send(new DeleteObjectCommand({ Bucket: TEST_BUCKET, Key: object.Key }));
      }
      const uploads = await direct.send(new ListMultipartUploadsCommand({ Bucket: TEST_BUCKET }));
      for (const upload of uploads.Uploads ?? []) {
        await direct.send(
          new AbortMultipartUploadCommand({
            Bucket: TEST_BUCKET,
            Key: upload.Key,
            UploadId: upload.UploadId,
          }),
        );
      }
      progress.length = 0;
      uploadedKeys.length = 0;
    },
    async close(): Promise<void> {
      await Promise.all(engines.map((engine) => engine.close()));
      await inspector.close();
      clients.forEach((client) => client.destroy());
      await proxy.close();
      await server.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
