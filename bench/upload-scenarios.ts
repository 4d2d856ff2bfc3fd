// Two scenarios where the tools differ in what they send, not only in speed: uploading an
// unchanged set again, and finishing an upload that was killed half way.
import { CreateBucketCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';

import { createS3Client } from '../electron/main/storage/s3-client';
import { startFaultProxy } from '../tests/support/fault-proxy';
import type { FaultProxy } from '../tests/support/fault-proxy';
import { CREDENTIALS, MIB, quantity, REGION, spread } from './bench-support';
import type { Quantity, Spread } from './bench-support';
import type { BenchContext } from './file-set';
import { availableTools } from './upload-tools';
import type { ToolName, UploadTarget } from './upload-tools';

/** One tool uploading the unchanged set again. */
export interface RerunResult {
  tool: ToolName;
  seconds: Spread;
  /** Request bytes the tool sent per re-run, headers included, as the proxy counted them. */
  bytesSent: Spread;
}

/**
 * Uploads the set once with each tool, then `rounds` more times without changing a file, and
 * measures the re-runs: wall time and bytes sent. Cratebox compares each file's size and SHA-256
 * with the stored object's (it reads and hashes every local file) and sends nothing. `aws s3 cp`
 * copies everything again. `rclone copy` compares size and modification time and skips.
 */
export async function benchmarkRerun(context: BenchContext, rounds = 3): Promise<RerunResult[]> {
  return withProxy(context, async (proxy, s3) => {
    const results: RerunResult[] = [];
    for (const tool of availableTools(['cratebox', 'aws-cli', 'rclone'])) {
      const target = await newTarget(context, s3, proxy, tool.name, context.set.source);
      await tool.upload(target);

      const seconds: number[] = [];
      const bytes: number[] = [];
      for (let round = 1; round <= rounds; round += 1) {
        proxy.resetCounters();
        const run = await tool.upload(target);
        seconds.push(run.seconds);
        bytes.push(proxy.bytesFromClients() / MIB);
      }
      results.push({
        tool: tool.name,
        seconds: spread(seconds, 's'),
        bytesSent: spread(bytes, 'MiB'),
      });
    }
    return results;
  });
}

/** One tool finishing an upload that was killed half way. */
export interface ResumeResult {
  tool: ToolName;
  fileSize: Quantity;
  /** Request bytes of both runs together, headers included. */
  bytesSent: Spread;
  /** `bytesSent` divided by the file size. */
  sentPerFileByte: Spread;
  /** Wall time of the second run, which finishes the upload. */
  secondRunSeconds: Spread;
}

/**
 * Starts an upload of the large file alone, kills the tool with SIGKILL once half of the file's
 * size has crossed the proxy, runs the same command again to the end and checks that the object
 * is complete. Cratebox records each stored part and continues the multipart upload, so the
 * total stays near the file size. A killed `aws s3 cp` starts the file from zero, and so does
 * `rclone copy` (a 200 MiB file is under its 200 MiB multipart cutoff, so it is a single PUT).
 */
export async function benchmarkResume(context: BenchContext, rounds = 3): Promise<ResumeResult[]> {
  const { largeOnly, largeFileBytes } = context.set;
  return withProxy(context, async (proxy, s3) => {
    const results: ResumeResult[] = [];
    for (const tool of availableTools(['cratebox', 'aws-cli', 'rclone'])) {
      const bytes: number[] = [];
      const seconds: number[] = [];
      for (let round = 1; round <= rounds; round += 1) {
        const target = await newTarget(context, s3, proxy, tool.name, largeOnly);
        proxy.resetCounters();
        const first = await tool.upload(
          target,
          () => proxy.bytesFromClients() >= largeFileBytes / 2,
        );
        if (!first.killed) {
          throw new Error(`${tool.name} finished before half of the file was sent`);
        }
        const second = await tool.upload(target);
        await expectObjectSize(s3, target.bucket, 'tracks/Long Mix.wav', largeFileBytes);
        bytes.push(proxy.bytesFromClients());
        seconds.push(second.seconds);
      }
      results.push({
        tool: tool.name,
        fileSize: quantity(largeFileBytes / MIB, 'MiB'),
        bytesSent: spread(
          bytes.map((value) => value / MIB),
          'MiB',
        ),
        sentPerFileByte: spread(
          bytes.map((value) => value / largeFileBytes),
          'x',
        ),
        secondRunSeconds: spread(seconds, 's'),
      });
    }
    return results;
  });
}

/** Runs `body` with a byte-counting TCP proxy in front of the server, and a client for checks. */
async function withProxy<T>(
  context: BenchContext,
  body: (proxy: FaultProxy, s3: S3Client) => Promise<T>,
): Promise<T> {
  const proxy = await startFaultProxy({
    targetPort: Number(new URL(context.server.endpoint).port),
  });
  const s3 = createS3Client({
    bucket: 'unused',
    region: REGION,
    endpoint: context.server.endpoint,
    forcePathStyle: true,
    credentials: CREDENTIALS,
  });
  try {
    return await body(proxy, s3);
  } finally {
    s3.destroy();
    await proxy.close();
  }
}

async function newTarget(
  context: BenchContext,
  s3: S3Client,
  proxy: FaultProxy,
  tool: ToolName,
  source: string,
): Promise<UploadTarget> {
  const bucket = context.newBucket(tool);
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  return { endpoint: proxy.endpoint, bucket, source, stateDir: `${context.dir}/state-${bucket}` };
}

async function expectObjectSize(
  s3: S3Client,
  bucket: string,
  key: string,
  sizeBytes: number,
): Promise<void> {
  const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
  if (head.ContentLength !== sizeBytes) {
    throw new Error(
      `${bucket}/${key} has ${head.ContentLength} bytes after the second run, expected ${sizeBytes}`,
    );
  }
}
