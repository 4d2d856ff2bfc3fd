import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';

import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';

/** S3-compatible server on 127.0.0.1 with one empty bucket, for tests. */
export interface S3Origin {
  endpoint: string;
  bucket: string;
  /** Client with static test credentials and path-style addressing. */
  client: S3Client;
  /** Creates another client for the same server, e.g. with a different clock offset. */
  createClient(options?: { systemClockOffset?: number }): S3Client;
  stop(): Promise<void>;
}

const TEST_CREDENTIALS = {
  accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
};

/**
 * Starts the S3 server the signing tests use as origin: moto_server on a free port. This is the
 * one place to switch to another S3 implementation.
 */
export async function startS3Origin(bucket = 'cratebox-signing-test'): Promise<S3Origin> {
  const port = await freePort();
  const child = spawn('moto_server', ['-H', '127.0.0.1', '-p', String(port)], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const stderr: string[] = [];
  child.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk.toString()));

  const endpoint = `http://127.0.0.1:${port}`;
  try {
    await waitUntilListening(endpoint, child, stderr);
  } catch (error) {
    await stopProcess(child);
    throw error;
  }

  const createClient = (options: { systemClockOffset?: number } = {}): S3Client =>
    new S3Client({
      endpoint,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: TEST_CREDENTIALS,
      ...options,
    });
  const client = createClient();
  await client.send(new CreateBucketCommand({ Bucket: bucket }));

  return {
    endpoint,
    bucket,
    client,
    createClient,
    async stop() {
      client.destroy();
      await stopProcess(child);
    },
  };
}

async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  if (address === null || typeof address === 'string') {
    throw new Error('could not read the port of a probe socket');
  }
  return address.port;
}

async function waitUntilListening(
  endpoint: string,
  child: ChildProcess,
  stderr: string[],
): Promise<void> {
  for (let attempt = 0; attempt < 200; attempt += 1) {
    if (child.exitCode !== null) {
      throw new Error(`moto_server exited with code ${child.exitCode}: ${stderr.join('')}`);
    }
    try {
      await fetch(endpoint);
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  throw new Error(`moto_server did not listen on ${endpoint} within 20 s: ${stderr.join('')}`);
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return;
  }
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  await exited;
}
