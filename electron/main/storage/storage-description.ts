import type { S3Client } from '@aws-sdk/client-s3';

import { EMBEDDED_REGION } from '../settings/app-config';
import type { AppConfig } from '../settings/app-config';
import type { StorageTarget } from './s3-client';
import type { StorageDescription } from './storage-errors';

type Env = Record<string, string | undefined>;

/**
 * Describes the storage target for error messages: the region the client signs for, the
 * credentials in use (never a secret) and the setting behind each value.
 */
export async function describeStorage(
  config: AppConfig,
  target: StorageTarget,
  s3: S3Client,
  env: Env,
): Promise<StorageDescription> {
  const storage = config.storage;
  if (storage.mode === 'embedded') {
    return {
      bucket: target.bucket,
      region: EMBEDDED_REGION,
      endpoint: target.endpoint,
      profile: null,
      credentials: "the embedded store's credentials",
      settings: { bucket: 'the embedded store', region: 'nothing', endpoint: 'the embedded store' },
    };
  }

  const profile =
    storage.staticCredentials === null ? (storage.profile ?? env.AWS_PROFILE ?? null) : null;
  return {
    bucket: storage.bucket,
    region: await resolvedRegion(s3),
    endpoint: storage.endpoint,
    profile,
    credentials: describeCredentials(config, env),
    settings: {
      bucket:
        'storage.bucket' in config.fromEnvironment
          ? 'CRATEBOX_BUCKET'
          : 'the bucket in the settings',
      region: regionSetting(config, env),
      endpoint:
        env.CRATEBOX_S3_ENDPOINT === undefined
          ? 'the endpoint in the settings'
          : 'CRATEBOX_S3_ENDPOINT',
    },
  };
}

/** Names the credentials an AWS storage configuration uses, by source and key suffix. */
export function describeCredentials(config: AppConfig, env: Env): string {
  const storage = config.storage;
  if (storage.mode === 'embedded') {
    return "the embedded store's credentials";
  }

  // The order follows the AWS SDK: static keys given to the client, then a named profile (which
  // makes the SDK skip AWS_ACCESS_KEY_ID), then the environment, then the rest of its chain.
  if (storage.staticCredentials !== null) {
    return `the access key ID ending in ${lastFour(storage.staticCredentials.accessKeyId)} saved in the settings`;
  }
  if (storage.profile !== null) {
    const source =
      'storage.profile' in config.fromEnvironment ? 'CRATEBOX_AWS_PROFILE' : 'the settings';
    return `AWS profile "${storage.profile}" from ${source}`;
  }
  if (env.AWS_PROFILE !== undefined && env.AWS_PROFILE !== '') {
    return `AWS profile "${env.AWS_PROFILE}" from AWS_PROFILE`;
  }
  if (env.AWS_ACCESS_KEY_ID !== undefined && env.AWS_ACCESS_KEY_ID !== '') {
    return `the access key ID ending in ${lastFour(env.AWS_ACCESS_KEY_ID)} from AWS_ACCESS_KEY_ID`;
  }
  return "the AWS SDK's default credentials (the default profile, SSO, or an instance or container role)";
}

function regionSetting(config: AppConfig, env: Env): string {
  for (const name of ['CRATEBOX_REGION', 'AWS_REGION', 'AWS_DEFAULT_REGION']) {
    if (env[name] !== undefined) {
      return name;
    }
  }
  return config.storage.mode === 'aws' && config.storage.region !== null
    ? 'the region in the settings'
    : 'CRATEBOX_REGION or the region in the settings';
}

async function resolvedRegion(s3: S3Client): Promise<string | null> {
  try {
    return await s3.config.region();
  } catch {
    // No region anywhere: the first request fails with "Region is missing", which is reported.
    return null;
  }
}

function lastFour(accessKeyId: string): string {
  return accessKeyId.slice(-4);
}
