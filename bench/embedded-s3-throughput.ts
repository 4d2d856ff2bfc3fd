// Throughput of the embedded S3 server with its client in the same process, as the app runs it:
// a 200 MiB lib-storage upload (default checksums, then WHEN_REQUIRED) and a 200 MiB ranged
// GET (presigned URL over node:http, then the SDK).
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';

import { CreateBucketCommand, GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { S3ClientConfig } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';

import { startEmbeddedS3 } from '../electron/main/storage/embedded-s3';
import { MIB, quantity } from './bench-support';
import type { Quantity } from './bench-support';

const SIZE = 200 * MIB;
const CREDENTIALS = { accessKeyId: 'AKIDBENCH', secretAccessKey: 'bench-secret' };

/** Result of {@link benchmarkEmbeddedS3}. */
export interface EmbeddedS3BenchResult {
  uploadDefaultChecksums: Quantity;
  uploadWhenRequired: Quantity;
  rangedGetPresignedHttp: Quantity;
  rangedGetSdk: Quantity;
  /** Whether both reads returned the bytes that were uploaded. */
  bytesMatch: boolean;
}

/** Measures the embedded server's upload and ranged-read throughput in this process. */
export async function benchmarkEmbeddedS3(): Promise<EmbeddedS3BenchResult> {
  const dataDir = await mkdtemp(join(tmpdir(), 'cratebox-s3-bench-'));
  const server = await startEmbeddedS3({ dataDir, credentials: CREDENTIALS });
  const clientConfig: S3ClientConfig = {
    endpoint: server.endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: CREDENTIALS,
  };
  const defaults = new S3Client(clientConfig);
  const whenRequired = new S3Client({
    ...clientConfig,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  const data = source();
  try {
    await defaults.send(new CreateBucketCommand({ Bucket: 'bench' }));
    const upload = async (client: S3Client, key: string): Promise<Quantity> => {
      const startedAt = performance.now();
      await new Upload({
        client,
        params: { Bucket: 'bench', Key: key, Body: data.stream() },
        partSize: 8 * MIB,
        queueSize: 4,
      }).done();
      return rate(startedAt);
    };
    const uploadDefaultChecksums = await upload(defaults, 'default');
    const uploadWhenRequired = await upload(whenRequired, 'when-required');

    const range = `bytes=0-${SIZE - 1}`;
    const url = await getSignedUrl(
      defaults,
      new GetObjectCommand({ Bucket: 'bench', Key: 'when-required' }),
    );
    let startedAt = performance.now();
    const httpHash = await readThroughHttp(url, range);
    const rangedGetPresignedHttp = rate(startedAt);

    startedAt = performance.now();
    const got = await whenRequired.send(
      new GetObjectCommand({ Bucket: 'bench', Key: 'when-required', Range: range }),
    );
    const sdkHash = createHash('sha256');
    for await (const chunk of got.Body as Readable) {
      sdkHash.update(chunk as Buffer);
    }
    const rangedGetSdk = rate(startedAt);

    const bytesMatch = httpHash === data.sha256 && sdkHash.digest('hex') === data.sha256;
    return {
      uploadDefaultChecksums,
      uploadWhenRequired,
      rangedGetPresignedHttp,
      rangedGetSdk,
      bytesMatch,
    };
  } finally {
    defaults.destroy();
    whenRequired.destroy();
    await server.close();
    await rm(dataDir, { recursive: true, force: true });
  }
}

// 200 MiB made of one random MiB with its first bytes varied per MiB, so no two MiB are equal.
function source(): { stream: () => Readable; sha256: string } {
  const block = randomBytes(MIB);
  const chunk = (index: number): Buffer => {
    const copy = Buffer.from(block);
    copy.writeUInt32BE(index, 0);
    return copy;
  };
  const hash = createHash('sha256');
  for (let index = 0; index < SIZE / MIB; index++) {
    hash.update(chunk(index));
  }
  return {
    stream: () =>
      Readable.from(
        (function* () {
          for (let index = 0; index < SIZE / MIB; index++) {
            yield chunk(index);
          }
        })(),
      ),
    sha256: hash.digest('hex'),
  };
}

function rate(startedAt: number): Quantity {
  const seconds = (performance.now() - startedAt) / 1000;
  return quantity(SIZE / MIB / seconds, 'MiB/s');
}

function readThroughHttp(url: string, range: string): Promise<string> {
  return new Promise((resolve, reject) => {
    request(url, { headers: { Range: range } }, (response) => {
      const hash = createHash('sha256');
      response.on('data', (chunk: Buffer) => hash.update(chunk));
      response.on('end', () => resolve(hash.digest('hex')));
      response.on('error', reject);
    })
      .on('error', reject)
      .end();
  });
}
