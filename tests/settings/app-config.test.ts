import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { applySettingsUpdate } from '../../electron/main/settings/apply-settings-update';
import { resolveAppConfig, toPublicSettings } from '../../electron/main/settings/app-config';
import { storedSettingsSchema } from '../../electron/main/settings/stored-settings';

const defaults = storedSettingsSchema.parse({});
const folder = mkdtempSync(join(tmpdir(), 'cratebox-config-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

describe('resolveAppConfig', () => {
  it('uses the embedded store without AWS settings', () => {
    const config = resolveAppConfig({}, defaults, null);
    expect(config.storage).toEqual({ mode: 'embedded' });
    expect(config.delivery.cloudfront).toBeNull();
    expect(config.uploads.partSizeBytes).toBe(8 * 1024 * 1024);
  });

  it('switches to AWS when a bucket is set in the environment', () => {
    const config = resolveAppConfig(
      { CRATEBOX_BUCKET: 'music', AWS_REGION: 'eu-west-1', CRATEBOX_AWS_PROFILE: 'artist' },
      defaults,
      null,
    );
    expect(config.storage).toMatchObject({
      mode: 'aws',
      bucket: 'music',
      region: 'eu-west-1',
      profile: 'artist',
    });
    expect(config.fromEnvironment).toEqual({
      'storage.bucket': 'CRATEBOX_BUCKET',
      'storage.region': 'AWS_REGION',
      'storage.profile': 'CRATEBOX_AWS_PROFILE',
    });
  });

  it('loads CloudFront key pairs from the environment', () => {
    const pem = generateKeyPairSync('rsa', { modulusLength: 2048 })
      .privateKey.export({ type: 'pkcs1', format: 'pem' })
      .toString();
    const keyFile = join(folder, 'next.pem');
    writeFileSync(keyFile, pem);

    const config = resolveAppConfig(
      {
        CRATEBOX_CLOUDFRONT_DOMAIN: 'd1.cloudfront.net',
        CRATEBOX_CLOUDFRONT_KEY_PAIR_ID: 'K1',
        CRATEBOX_CLOUDFRONT_PRIVATE_KEY: pem.replace(/\n/g, '\\n'),
        CRATEBOX_CLOUDFRONT_NEXT_KEY_PAIR_ID: 'K2',
        CRATEBOX_CLOUDFRONT_NEXT_PRIVATE_KEY_FILE: keyFile,
        CRATEBOX_CLOUDFRONT_ACTIVE_KEY_PAIR_ID: 'K2',
      },
      defaults,
      null,
    );

    expect(config.delivery.cloudfront?.activeKeyPairId).toBe('K2');
    expect(config.delivery.cloudfront?.keyPairs.map((pair) => pair.privateKeyPem)).toEqual([
      pem,
      pem,
    ]);
    expect(toPublicSettings(config).delivery.cloudfront?.keyPairIds).toEqual(['K1', 'K2']);
  });

  it('records a key file that cannot be read instead of failing', () => {
    const config = resolveAppConfig(
      {
        CRATEBOX_CLOUDFRONT_DOMAIN: 'd1.cloudfront.net',
        CRATEBOX_CLOUDFRONT_KEY_PAIR_ID: 'K1',
        CRATEBOX_CLOUDFRONT_PRIVATE_KEY_FILE: join(folder, 'missing.pem'),
      },
      defaults,
      null,
    );
    expect(config.delivery.cloudfront?.keyPairs[0]?.privateKeyPem).toBeNull();
    expect(config.delivery.cloudfront?.keyPairs[0]?.loadError).toBe(
      `cannot read the private key of CloudFront key pair K1 (file ${join(folder, 'missing.pem')} from CRATEBOX_CLOUDFRONT_PRIVATE_KEY_FILE): file not found; check the path`,
    );
  });

  it('names the variable a key came from', () => {
    const config = resolveAppConfig(
      {
        CRATEBOX_CLOUDFRONT_DOMAIN: 'd1.cloudfront.net',
        CRATEBOX_CLOUDFRONT_KEY_PAIR_ID: 'K1',
        CRATEBOX_CLOUDFRONT_PRIVATE_KEY: 'pem text',
        CRATEBOX_CLOUDFRONT_NEXT_KEY_PAIR_ID: 'K2',
      },
      defaults,
      null,
    );

    const [first, next] = config.delivery.cloudfront?.keyPairs ?? [];
    expect(first?.source).toBe('CRATEBOX_CLOUDFRONT_PRIVATE_KEY');
    expect(next?.privateKeyPem).toBeNull();
    expect(next?.loadError).toBe(
      'no private key given for CloudFront key pair K2; set CRATEBOX_CLOUDFRONT_NEXT_PRIVATE_KEY_FILE to its PEM file, or CRATEBOX_CLOUDFRONT_NEXT_PRIVATE_KEY to the PEM text',
    );
  });

  it('rejects an invalid CRATEBOX_BUCKET with the reason', () => {
    expect(() => resolveAppConfig({ CRATEBOX_BUCKET: 's3://music' }, defaults, null)).toThrow(
      'CRATEBOX_BUCKET "s3://music" is not a valid S3 bucket name: give the bucket name alone, e.g. music',
    );
  });

  it('rejects an empty CRATEBOX_BUCKET', () => {
    expect(() => resolveAppConfig({ CRATEBOX_BUCKET: '' }, defaults, null)).toThrow(
      'CRATEBOX_BUCKET is empty; set it to a bucket name, or unset it',
    );
  });

  it('rejects an invalid bucket in the settings file', () => {
    const stored = storedSettingsSchema.parse({ storage: { mode: 'aws', bucket: 'My_Music' } });

    expect(() => resolveAppConfig({}, stored, null)).toThrow(
      'storage.bucket "My_Music" in settings.json is not a valid S3 bucket name: a bucket name contains only lowercase letters, digits, dots and hyphens, not "M"; fix it there or set CRATEBOX_BUCKET',
    );
  });

  it('rejects a CRATEBOX_S3_ENDPOINT that is not an http(s) URL', () => {
    expect(() =>
      resolveAppConfig(
        { CRATEBOX_BUCKET: 'music', CRATEBOX_S3_ENDPOINT: 'ftp://127.0.0.1:9' },
        defaults,
        null,
      ),
    ).toThrow(
      'CRATEBOX_S3_ENDPOINT is not a valid S3 endpoint: use an http:// or https:// URL such as https://s3.example.com:9000',
    );
  });

  it('rejects an invalid endpoint in the settings file', () => {
    const stored = storedSettingsSchema.parse({
      storage: { mode: 'aws', bucket: 'music', endpoint: 'ftp://127.0.0.1:9' },
    });

    expect(() => resolveAppConfig({}, stored, null)).toThrow(
      'storage.endpoint in settings.json is not a valid S3 endpoint: use an http:// or https:// URL such as https://s3.example.com:9000; fix it there or set CRATEBOX_S3_ENDPOINT',
    );
  });

  it('rejects malformed numbers with the variable name', () => {
    expect(() => resolveAppConfig({ CRATEBOX_PARALLEL_FILES: 'many' }, defaults, null)).toThrow(
      'CRATEBOX_PARALLEL_FILES is "many"; set it to a positive whole number',
    );
  });

  it('never exposes secrets in public settings', () => {
    const stored = applySettingsUpdate(
      defaults,
      {
        storage: {
          mode: 'aws',
          bucket: 'music',
          accessKeyId: 'AKIAEXAMPLEEXAMPLE',
          secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCY',
        },
      },
      (secret) => `sealed:${secret}`,
    );
    const config = resolveAppConfig({}, stored, (sealed) => sealed.replace('sealed:', ''));

    const published = JSON.stringify(toPublicSettings(config));

    expect(published).not.toContain('wJalrXUtnFEMI');
    expect(toPublicSettings(config).storage.hasStaticCredentials).toBe(true);
  });
});

describe('applySettingsUpdate', () => {
  it('refuses to store a secret where the shell cannot encrypt it', () => {
    expect(() =>
      applySettingsUpdate(
        defaults,
        { storage: { secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCY' } },
        null,
      ),
    ).toThrow(/AWS profile/);
  });

  it('rejects a CloudFront key file that is not a private key', () => {
    const notKey = join(folder, 'not-a-key.pem');
    writeFileSync(notKey, 'hello');
    expect(() =>
      applySettingsUpdate(
        defaults,
        {
          delivery: {
            cloudfront: {
              domain: 'd1.cloudfront.net',
              keyPairs: [{ id: 'K1', privateKeyPath: notKey }],
              activeKeyPairId: 'K1',
              policy: 'canned',
              resource: null,
              ipRange: null,
            },
          },
        },
        null,
      ),
    ).toThrow(/not PEM text/);
  });

  it('rejects a public key file with what is expected', () => {
    const publicKeyFile = join(folder, 'public.pem');
    const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    writeFileSync(publicKeyFile, publicKey.export({ type: 'spki', format: 'pem' }));

    expect(() =>
      applySettingsUpdate(
        defaults,
        { delivery: { cloudfront: cloudFrontWith(publicKeyFile) } },
        null,
      ),
    ).toThrow(
      `the private key of CloudFront key pair K1 (file ${publicKeyFile}) is a public key, not a private key`,
    );
  });

  it('rejects a missing key file by path', () => {
    const missing = join(folder, 'nowhere.pem');

    expect(() =>
      applySettingsUpdate(defaults, { delivery: { cloudfront: cloudFrontWith(missing) } }, null),
    ).toThrow(`Private key file: cannot read ${missing}: file not found; check the path`);
  });
});

function cloudFrontWith(privateKeyPath: string) {
  return {
    domain: 'd1.cloudfront.net',
    keyPairs: [{ id: 'K1', privateKeyPath }],
    activeKeyPairId: 'K1',
    policy: 'canned' as const,
    resource: null,
    ipRange: null,
  };
}
