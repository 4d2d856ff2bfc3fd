// Uploads a small folder with the AWS CLI and with rclone, the tools the upload benchmark
// compares Cratebox with, and checks every object byte for byte.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

import {
  CreateBucketCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  type S3Client,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { CREDENTIALS, REGION, startFixture, type S3Fixture } from './embedded-s3-fixture';
import { findExecutable } from './local-tools';
import { patternBytes } from './s3-test-helpers';

const run = promisify(execFile);
const BUCKET = 'tools';

// The AWS CLI switches to multipart uploads at 8 MiB, so the 9 MiB file exercises that path.
const FILES: Record<string, Buffer> = {
  'one.flac': patternBytes(40_000, 1),
  'album two/02 - second (live).mp3': patternBytes(120_000, 2),
  'album two/cover [front].jpg': patternBytes(3_000, 3),
  'café & bar/notes #1.txt': Buffer.from('plain text notes\n'),
  'large/nine-mib.wav': patternBytes(9 * 1024 * 1024, 4),
};

const aws = findExecutable('/usr/bin/aws');
const rclone = findExecutable('rclone');
if (aws === undefined) {
  console.warn('/usr/bin/aws is missing: skipping the AWS CLI upload smoke test.');
}
if (rclone === undefined) {
  console.warn('rclone is not on PATH: skipping the rclone upload smoke test.');
}

let fixture: S3Fixture;
let s3: S3Client;
let workDir: string;
let sourceDir: string;

beforeAll(async () => {
  fixture = await startFixture();
  s3 = fixture.client();
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
  workDir = await mkdtemp(join(tmpdir(), 'cratebox-s3-tools-'));
  sourceDir = join(workDir, 'source');
  for (const [path, content] of Object.entries(FILES)) {
    await mkdir(join(sourceDir, path, '..'), { recursive: true });
    await writeFile(join(sourceDir, path), content);
  }
});

afterAll(async () => {
  await fixture.close();
  await rm(workDir, { recursive: true, force: true });
});

function sha256(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

async function expectUploaded(prefix: string): Promise<void> {
  const listed = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: prefix }));
  const keys = (listed.Contents ?? []).map((object) => object.Key ?? '');
  expect(keys.sort()).toEqual(
    Object.keys(FILES)
      .map((path) => `${prefix}${path}`)
      .sort(),
  );
  for (const [path, content] of Object.entries(FILES)) {
    const got = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: `${prefix}${path}` }));
    expect(sha256((await got.Body?.transformToByteArray()) ?? new Uint8Array())).toBe(
      sha256(content),
    );
  }
}

// The environment without AWS settings of the machine, so only the test credentials apply.
function isolatedEnvironment(extra: Record<string, string>): NodeJS.ProcessEnv {
  const environment = Object.fromEntries(
    Object.entries(process.env).filter(
      ([name]) => !name.startsWith('AWS_') && !name.startsWith('RCLONE_'),
    ),
  );
  return { ...environment, ...extra };
}

describe.skipIf(aws === undefined)('AWS CLI', () => {
  it('uploads a folder with s3 cp --recursive', async () => {
    await run(
      aws ?? '/usr/bin/aws',
      [
        's3',
        'cp',
        '--recursive',
        '--only-show-errors',
        sourceDir,
        `s3://${BUCKET}/aws-cli/`,
        '--endpoint-url',
        fixture.server.endpoint,
      ],
      {
        env: isolatedEnvironment({
          AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
          AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
          AWS_DEFAULT_REGION: REGION,
          AWS_EC2_METADATA_DISABLED: 'true',
          AWS_CONFIG_FILE: join(workDir, 'aws-config-absent'),
          AWS_SHARED_CREDENTIALS_FILE: join(workDir, 'aws-credentials-absent'),
        }),
      },
    );
    await expectUploaded('aws-cli/');
    expect(fixture.server.stats().requests.CompleteMultipartUpload).toBeGreaterThanOrEqual(1);
  });
});

describe.skipIf(rclone === undefined)('rclone', () => {
  it('uploads a folder with rclone copy', async () => {
    await run(rclone ?? 'rclone', ['copy', sourceDir, `embedded:${BUCKET}/rclone`], {
      env: isolatedEnvironment({
        RCLONE_CONFIG: join(workDir, 'rclone-absent.conf'),
        RCLONE_CONFIG_EMBEDDED_TYPE: 's3',
        RCLONE_CONFIG_EMBEDDED_PROVIDER: 'Other',
        RCLONE_CONFIG_EMBEDDED_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
        RCLONE_CONFIG_EMBEDDED_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
        RCLONE_CONFIG_EMBEDDED_ENDPOINT: fixture.server.endpoint,
        RCLONE_CONFIG_EMBEDDED_REGION: REGION,
        RCLONE_CONFIG_EMBEDDED_FORCE_PATH_STYLE: 'true',
      }),
    });
    await expectUploaded('rclone/');
    const stored = await readFile(join(sourceDir, 'one.flac'));
    expect(stored.length).toBe(40_000);
  });
});
