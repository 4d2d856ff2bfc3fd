import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createAppServices } from '../../electron/main/app-services';
import type { AppServices } from '../../electron/main/app-services';
import { dispatch } from '../../electron/main/ipc/dispatch';
import { createSettingsStore } from '../../electron/main/settings/stored-settings';
import { startEmbeddedS3 } from '../../electron/main/storage/embedded-s3';
import type { EmbeddedS3Server } from '../../electron/main/storage/embedded-s3';
import { AUDIO_FIXTURES } from '../support/fixtures';
import { INSPECT_WORKER_SOURCE } from '../support/inspect-workers';
import { createMemoryLogger } from '../support/memory-logger';
import type { MemoryLogger } from '../support/memory-logger';
import { TEST_CREDENTIALS } from '../support/s3-servers';

const ERROR = 50;

let dir: string;
let server: EmbeddedS3Server;
let services: AppServices;
let logs: MemoryLogger;
let expected: string;
const saved = new Map<string, string | undefined>();

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cratebox-storage-app-'));
  server = await startEmbeddedS3({ dataDir: join(dir, 's3'), credentials: TEST_CREDENTIALS });
  // The AWS SDK reads the access key from the process environment.
  const sdkEnv = {
    AWS_ACCESS_KEY_ID: TEST_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: TEST_CREDENTIALS.secretAccessKey,
  };
  for (const [name, value] of Object.entries(sdkEnv)) {
    saved.set(name, process.env[name]);
    process.env[name] = value;
  }

  logs = createMemoryLogger();
  services = await createAppServices({
    dataDir: join(dir, 'data'),
    shell: 'web',
    version: 'test',
    env: {
      ...sdkEnv,
      CRATEBOX_BUCKET: 'missing-bucket',
      CRATEBOX_REGION: 'us-east-1',
      CRATEBOX_S3_ENDPOINT: server.endpoint,
      CRATEBOX_S3_FORCE_PATH_STYLE: 'true',
    },
    settings: createSettingsStore({ path: join(dir, 'settings.json'), store: {} }),
    secrets: { encrypt: null, decrypt: null },
    logger: logs.logger,
    inspectWorker: INSPECT_WORKER_SOURCE,
  });
  expected = `bucket "missing-bucket" does not exist in region us-east-1 at ${server.endpoint}; check CRATEBOX_BUCKET, or create the bucket`;
});

afterAll(async () => {
  await services?.close();
  await server?.close();
  for (const [name, value] of saved) {
    if (value === undefined) {
      Reflect.deleteProperty(process.env, name);
    } else {
      process.env[name] = value;
    }
  }
  await rm(dir, { recursive: true, force: true });
});

describe('missing bucket across the app', () => {
  it('library.list returns BucketNotFound', async () => {
    const reply = await dispatch(services.handlers, 'library.list', {}, logs.logger);

    expect(reply).toEqual({ ok: false, error: { name: 'BucketNotFound', message: expected } });
  });

  it('logs the failure without secrets', async () => {
    await dispatch(services.handlers, 'library.list', {}, logs.logger);

    const failures = logs.at(ERROR).filter((line) => line.msg === 'request failed');
    expect(failures.at(-1)).toMatchObject({
      method: 'library.list',
      name: 'BucketNotFound',
      message: expected,
    });
    expect(logs.text()).not.toContain(TEST_CREDENTIALS.secretAccessKey);
  });

  it('checkStorage rejects with the message', async () => {
    await expect(services.checkStorage()).rejects.toMatchObject({
      name: 'BucketNotFound',
      message: expected,
    });
  });

  it('failed upload names the bucket', async () => {
    const file = join(dir, 'Intro.mp3');
    await copyFile(join(AUDIO_FIXTURES, 'id3v2.3.mp3'), file);
    const engine = services.engine();

    const { batchId } = await engine.add([{ path: file }], { origin: 'desktop' });
    const report = await engine.whenBatchDone(batchId);

    expect(report.entries).toHaveLength(1);
    expect(report.entries[0]?.outcome).toBe('failed');
    expect(report.entries[0]?.message).toBe(expected);
  });
});
