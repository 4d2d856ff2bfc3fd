// The upload tools the benchmarks compare, each run the way a user runs it from a shell.
import { createReadStream, existsSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join, relative } from 'node:path';

import { PutObjectCommand } from '@aws-sdk/client-s3';

import { createS3Client } from '../electron/main/storage/s3-client';
import { CREDENTIALS, listFiles, onPath, REGION, runCommand } from './bench-support';
import type { CommandRun } from './bench-support';

/** Name of a compared tool. */
export type ToolName = 'cratebox' | 'aws-cli' | 'rclone' | 'sequential-put';

/** Source folder and destination of one upload. */
export interface UploadTarget {
  /** S3 endpoint: the server, or a byte-counting proxy in front of it. */
  endpoint: string;
  bucket: string;
  /** Folder uploaded to `tracks/`, keeping its structure. */
  source: string;
  /** Folder of the tool's own state, kept between the runs of one scenario. */
  stateDir: string;
}

/** One run of a tool; `killed` when `killWhen` stopped it. */
export type ToolRun = CommandRun & { killed: boolean };

/** A compared upload tool. */
export interface UploadTool {
  name: ToolName;
  /** Reason the tool cannot run on this machine, or null when it can. */
  unavailable(): string | null;
  /** Uploads the source folder; `killWhen` is polled every 10 ms and kills the run with SIGKILL. */
  upload(target: UploadTarget, killWhen?: () => boolean): Promise<ToolRun>;
}

/** Built command line of Cratebox; `npm run bench` builds it first. */
export const CRATEBOX_CLI = join(import.meta.dirname, '..', 'out', 'main', 'cli.js');

// Settings files of the tools would change what is measured, so they read none.
const NO_CONFIG = { AWS_CONFIG_FILE: '/dev/null', AWS_SHARED_CREDENTIALS_FILE: '/dev/null' };

const cratebox: UploadTool = {
  name: 'cratebox',
  unavailable: () =>
    existsSync(CRATEBOX_CLI) ? null : `${CRATEBOX_CLI} is missing; run npm run build first`,
  upload: (target, killWhen) =>
    runCommand(
      process.execPath,
      [CRATEBOX_CLI, 'migrate', target.source, '--data-dir', target.stateDir],
      {
        env: {
          ...process.env,
          ...NO_CONFIG,
          CRATEBOX_BUCKET: target.bucket,
          CRATEBOX_S3_ENDPOINT: target.endpoint,
          CRATEBOX_S3_FORCE_PATH_STYLE: 'true',
          CRATEBOX_REGION: REGION,
          CRATEBOX_LOG_LEVEL: 'warn',
          AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
          AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
          AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
        },
        killWhen,
      },
    ),
};

const awsCli: UploadTool = {
  name: 'aws-cli',
  unavailable: () => (existsSync('/usr/bin/aws') ? null : '/usr/bin/aws is not installed'),
  upload: (target, killWhen) =>
    runCommand(
      '/usr/bin/aws',
      [
        's3',
        'cp',
        '--recursive',
        '--only-show-errors',
        '--endpoint-url',
        target.endpoint,
        target.source,
        `s3://${target.bucket}/tracks/`,
      ],
      {
        env: {
          ...process.env,
          ...NO_CONFIG,
          AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
          AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
          AWS_DEFAULT_REGION: REGION,
        },
        killWhen,
      },
    ),
};

const rclone: UploadTool = {
  name: 'rclone',
  unavailable: () => (onPath('rclone') ? null : 'rclone is not on PATH'),
  upload: (target, killWhen) => {
    // rclone reads AWS_CA_BUNDLE even for plain HTTP and fails when it points at a missing file.
    const env = { ...process.env };
    delete env.AWS_CA_BUNDLE;
    return runCommand(
      'rclone',
      [
        'copy',
        target.source,
        `:s3:${target.bucket}/tracks`,
        '--s3-provider=Other',
        `--s3-endpoint=${target.endpoint}`,
        `--s3-access-key-id=${CREDENTIALS.accessKeyId}`,
        `--s3-secret-access-key=${CREDENTIALS.secretAccessKey}`,
        `--s3-region=${REGION}`,
        '--s3-force-path-style=true',
        '--config=/dev/null',
      ],
      { env, killWhen },
    );
  },
};

// One PutObject per file, one file after the other, from this process with the SDK: no
// multipart upload, no parallelism and no checks, so the least work a tool can do.
const sequentialPut: UploadTool = {
  name: 'sequential-put',
  unavailable: () => null,
  async upload(target): Promise<ToolRun> {
    const s3 = createS3Client({
      bucket: target.bucket,
      region: REGION,
      endpoint: target.endpoint,
      forcePathStyle: true,
      credentials: CREDENTIALS,
    });
    const startedAt = performance.now();
    const cpuBefore = process.cpuUsage();
    try {
      for (const file of await listFiles(target.source)) {
        await s3.send(
          new PutObjectCommand({
            Bucket: target.bucket,
            Key: `tracks/${relative(target.source, file)}`,
            Body: createReadStream(file),
            ContentLength: (await stat(file)).size,
          }),
        );
      }
    } finally {
      s3.destroy();
    }
    const seconds = (performance.now() - startedAt) / 1000;
    const cpu = process.cpuUsage(cpuBefore);
    return { seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6, killed: false };
  },
};

/** Every compared tool, Cratebox first. */
export const TOOLS: readonly UploadTool[] = [cratebox, awsCli, rclone, sequentialPut];

/** Returns the tools with these names that can run here. */
export function availableTools(names: readonly ToolName[]): UploadTool[] {
  return TOOLS.filter((tool) => names.includes(tool.name) && tool.unavailable() === null);
}
