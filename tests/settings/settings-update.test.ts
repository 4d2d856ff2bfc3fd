import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, afterEach, describe, expect, it } from 'vitest';

import { createAppServices } from '../../electron/main/app-services';
import type { AppServices } from '../../electron/main/app-services';
import { dispatch } from '../../electron/main/ipc/dispatch';
import { silentLogger } from '../../electron/main/log';
import {
  createSettingsStore,
  openConfSettingsFile,
} from '../../electron/main/settings/stored-settings';
import type { Reply } from '../../shared/contract';
import type { PublicSettings } from '../../shared/settings';
import { INSPECT_WORKER_SOURCE } from '../support/inspect-workers';

const logger = silentLogger();
const folder = mkdtempSync(join(tmpdir(), 'cratebox-settings-update-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

describe('settings.update', () => {
  let services: AppServices | null = null;

  afterEach(async () => {
    await services?.close();
    services = null;
  });

  async function start(env: Record<string, string> = {}): Promise<AppServices> {
    const dataDir = mkdtempSync(join(folder, 'data-'));
    services = await createAppServices({
      dataDir,
      shell: 'web',
      version: 'test',
      env,
      settings: createSettingsStore(openConfSettingsFile(dataDir)),
      secrets: { encrypt: null, decrypt: null },
      logger,
      inspectWorker: INSPECT_WORKER_SOURCE,
    });
    return services;
  }

  async function currentSettings(app: AppServices): Promise<PublicSettings> {
    const reply = (await dispatch(
      app.handlers,
      'settings.get',
      {},
      logger,
    )) as Reply<PublicSettings>;
    if (!reply.ok) {
      throw new Error(reply.error.message);
    }
    return reply.result;
  }

  it('rejects an ftp endpoint before saving it', async () => {
    const app = await start();

    const reply = await dispatch(
      app.handlers,
      'settings.update',
      { storage: { mode: 'aws', bucket: 'music', endpoint: 'ftp://127.0.0.1:9' } },
      logger,
    );

    const message = 'Endpoint: use an http:// or https:// URL such as https://s3.example.com:9000';
    expect(reply).toEqual({
      ok: false,
      error: {
        name: 'InvalidRequest',
        message,
        fields: [{ field: 'storage.endpoint', message }],
      },
    });
    expect((await currentSettings(app)).storage.mode).toBe('embedded');
  });

  it('rejects a CloudFront domain that is not a host name', async () => {
    const app = await start();

    const reply = await dispatch(
      app.handlers,
      'settings.update',
      {
        delivery: {
          cloudfront: {
            domain: 'not a domain',
            keyPairs: [{ id: 'K1', privateKeyPath: join(folder, 'missing.pem') }],
            activeKeyPairId: 'K1',
            policy: 'canned',
            resource: null,
            ipRange: null,
          },
        },
      },
      logger,
    );

    expect(reply).toMatchObject({
      ok: false,
      error: {
        fields: [
          {
            field: 'delivery.cloudfront.domain',
            message: 'Distribution domain: enter a host name such as d111111abcdef8.cloudfront.net',
          },
        ],
      },
    });
    expect((await currentSettings(app)).delivery.cloudfront).toBeNull();
  });

  it('names the field of a missing key file', async () => {
    const app = await start();
    const missing = join(folder, 'missing.pem');

    const reply = await dispatch(
      app.handlers,
      'settings.update',
      {
        delivery: {
          cloudfront: {
            domain: 'https://d111111abcdef8.cloudfront.net/',
            keyPairs: [{ id: 'K1', privateKeyPath: missing }],
            activeKeyPairId: 'K1',
            policy: 'canned',
            resource: null,
            ipRange: null,
          },
        },
      },
      logger,
    );

    const message = `Private key file: cannot read ${missing}: file not found; check the path`;
    expect(reply).toEqual({
      ok: false,
      error: {
        name: 'InvalidRequest',
        message,
        fields: [{ field: 'delivery.cloudfront.keyPairs.0.privateKeyPath', message }],
      },
    });
  });

  it('names several problems by label', async () => {
    const app = await start();

    const reply = await dispatch(
      app.handlers,
      'settings.update',
      { storage: { bucket: 'ab' }, delivery: { urlLifetimeSeconds: 10_000_000 } },
      logger,
    );

    expect(reply).toMatchObject({
      ok: false,
      error: {
        message:
          'Bucket: a bucket name has 3 to 63 characters; this one has 2; ' +
          'URL lifetime: at most 604800 seconds (7 days)',
      },
    });
  });

  it('names environment variables of fixed settings', async () => {
    const app = await start({
      CRATEBOX_BUCKET: 'music',
      AWS_REGION: 'eu-west-1',
      CRATEBOX_S3_ENDPOINT: 'http://127.0.0.1:9',
      CRATEBOX_URL_LIFETIME_SECONDS: '900',
    });

    const settings = await currentSettings(app);

    expect(settings.fromEnvironment).toEqual({
      'storage.bucket': 'CRATEBOX_BUCKET',
      'storage.region': 'AWS_REGION',
      'storage.endpoint': 'CRATEBOX_S3_ENDPOINT',
      'delivery.urlLifetimeSeconds': 'CRATEBOX_URL_LIFETIME_SECONDS',
    });
  });
});
