import { readFileSync } from 'node:fs';

import { bucketNameProblem } from '../../../shared/bucket-name';
import { looksLikeKeyMaterial } from '../../../shared/key-material';
import type { PublicSettings } from '../../../shared/settings';
import { endpointProblem } from '../../../shared/settings-rules';
import type { StoredSettings } from './stored-settings';

/** Bucket and region of the embedded store. */
export const EMBEDDED_BUCKET = 'cratebox';
export const EMBEDDED_REGION = 'us-east-1';

/** Storage location of the library. */
export type StorageConfig =
  | { mode: 'embedded' }
  | {
      mode: 'aws';
      bucket: string;
      /** Null lets the AWS SDK read the region from the environment or the profile. */
      region: string | null;
      endpoint: string | null;
      forcePathStyle: boolean;
      profile: string | null;
      staticCredentials: { accessKeyId: string; secretAccessKey: string } | null;
    };

/** One CloudFront key pair, with its private key loaded or the reason it could not be. */
export interface KeyPairConfig {
  id: string;
  privateKeyPem: string | null;
  loadError: string | null;
  /** File or variable the key came from, e.g. `file /keys/k.pem from the settings`. */
  source: string;
}

/** Delivery settings: how tracks reach the player. */
export interface DeliveryConfig {
  urlLifetimeSeconds: number;
  cloudfront: {
    domain: string;
    keyPairs: KeyPairConfig[];
    activeKeyPairId: string;
    policy: 'canned' | 'custom';
    resource: string | null;
    ipRange: string | null;
  } | null;
}

/** Effective configuration: environment variables over the settings file over defaults. */
export interface AppConfig {
  storage: StorageConfig;
  delivery: DeliveryConfig;
  uploads: { parallelFiles: number; parallelParts: number; partSizeBytes: number };
  /** Settings fixed by environment variables: dotted setting name to variable name. */
  fromEnvironment: Record<string, string>;
}

type Env = Record<string, string | undefined>;

/** Value of a setting read from the environment, with the variable it came from. */
interface EnvValue<T> {
  variable: string;
  value: T;
}

/** Decrypts secrets that the settings screen stored; null where the shell cannot. */
export type DecryptSecret = ((encrypted: string) => string) | null;

const MIB = 1024 * 1024;

/** Resolves the effective configuration from the environment and the stored settings. */
export function resolveAppConfig(
  env: Env,
  stored: StoredSettings,
  decrypt: DecryptSecret,
): AppConfig {
  const fromEnvironment: Record<string, string> = {};
  const pick = <T>(name: string, fromEnv: EnvValue<T> | undefined, storedValue: T): T => {
    if (fromEnv === undefined) {
      return storedValue;
    }
    fromEnvironment[name] = fromEnv.variable;
    return fromEnv.value;
  };

  const storage = resolveStorage(env, stored, decrypt, pick);
  const delivery = resolveDelivery(env, stored, pick);
  const uploads = {
    parallelFiles: pick(
      'uploads.parallelFiles',
      intEnv(env, 'CRATEBOX_PARALLEL_FILES'),
      stored.uploads.parallelFiles,
    ),
    parallelParts: pick(
      'uploads.parallelParts',
      intEnv(env, 'CRATEBOX_PARALLEL_PARTS'),
      stored.uploads.parallelParts,
    ),
    partSizeBytes:
      pick(
        'uploads.partSizeMiB',
        intEnv(env, 'CRATEBOX_PART_SIZE_MIB'),
        stored.uploads.partSizeMiB,
      ) * MIB,
  };
  return { storage, delivery, uploads, fromEnvironment };
}

type Pick = <T>(name: string, fromEnv: EnvValue<T> | undefined, storedValue: T) => T;

function resolveStorage(
  env: Env,
  stored: StoredSettings,
  decrypt: DecryptSecret,
  pick: Pick,
): StorageConfig {
  const bucket = pick('storage.bucket', stringEnv(env, 'CRATEBOX_BUCKET'), stored.storage.bucket);
  const mode = env.CRATEBOX_BUCKET !== undefined ? 'aws' : stored.storage.mode;
  if (mode === 'embedded' || bucket === null) {
    return { mode: 'embedded' };
  }
  checkBucketName(bucket, env.CRATEBOX_BUCKET !== undefined);

  let staticCredentials = null;
  const { accessKeyId, encryptedSecretAccessKey } = stored.storage;
  if (accessKeyId !== null && encryptedSecretAccessKey !== null) {
    if (decrypt === null) {
      throw new Error(
        'the settings file holds an encrypted AWS secret key that only the desktop app can read; ' +
          'run the desktop app, or set AWS_PROFILE or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY',
      );
    }
    staticCredentials = { accessKeyId, secretAccessKey: decrypt(encryptedSecretAccessKey) };
  }

  const storage: StorageConfig = {
    mode: 'aws',
    bucket,
    region: pick(
      'storage.region',
      stringEnv(env, 'CRATEBOX_REGION', 'AWS_REGION', 'AWS_DEFAULT_REGION'),
      stored.storage.region,
    ),
    endpoint: pick(
      'storage.endpoint',
      stringEnv(env, 'CRATEBOX_S3_ENDPOINT'),
      stored.storage.endpoint,
    ),
    forcePathStyle: pick(
      'storage.forcePathStyle',
      boolEnv(env, 'CRATEBOX_S3_FORCE_PATH_STYLE'),
      stored.storage.forcePathStyle,
    ),
    profile: pick(
      'storage.profile',
      stringEnv(env, 'CRATEBOX_AWS_PROFILE'),
      stored.storage.profile,
    ),
    staticCredentials,
  };
  if (storage.endpoint !== null) {
    checkEndpoint(storage.endpoint, env.CRATEBOX_S3_ENDPOINT !== undefined);
  }
  return storage;
}

// Checked before the first request, because S3 answers a malformed name with errors that do not
// name the cause (a DNS failure, a 403, a redirect).
function checkBucketName(bucket: string, fromEnvironment: boolean): void {
  const problem = bucketNameProblem(bucket);
  if (problem === null) {
    return;
  }
  if (fromEnvironment && bucket === '') {
    throw new Error('CRATEBOX_BUCKET is empty; set it to a bucket name, or unset it');
  }
  if (fromEnvironment) {
    throw new Error(`CRATEBOX_BUCKET "${bucket}" is not a valid S3 bucket name: ${problem}`);
  }
  throw new Error(
    `storage.bucket "${bucket}" in settings.json is not a valid S3 bucket name: ${problem}; ` +
      'fix it there or set CRATEBOX_BUCKET',
  );
}

// Checked before the first request, because the AWS SDK rejects an endpoint that is not an http(s)
// URL only when the library is listed, with a message that names no setting.
function checkEndpoint(endpoint: string, fromEnvironment: boolean): void {
  const problem = endpointProblem(endpoint);
  if (problem === null) {
    return;
  }
  if (fromEnvironment) {
    throw new Error(`CRATEBOX_S3_ENDPOINT is not a valid S3 endpoint: ${problem}`);
  }
  throw new Error(
    `storage.endpoint in settings.json is not a valid S3 endpoint: ${problem}; ` +
      'fix it there or set CRATEBOX_S3_ENDPOINT',
  );
}

function resolveDelivery(env: Env, stored: StoredSettings, pick: Pick): DeliveryConfig {
  const urlLifetimeSeconds = pick(
    'delivery.urlLifetimeSeconds',
    intEnv(env, 'CRATEBOX_URL_LIFETIME_SECONDS'),
    stored.delivery.urlLifetimeSeconds,
  );

  const domain = env.CRATEBOX_CLOUDFRONT_DOMAIN;
  if (domain === undefined) {
    const saved = stored.delivery.cloudfront;
    if (saved === null) {
      return { urlLifetimeSeconds, cloudfront: null };
    }
    const keyPairs = saved.keyPairs.map((pair) =>
      loadKeyPair(pair.id, undefined, pair.privateKeyPath, null),
    );
    return { urlLifetimeSeconds, cloudfront: { ...saved, keyPairs } };
  }

  pick('delivery.cloudfront', { variable: 'CRATEBOX_CLOUDFRONT_DOMAIN', value: domain }, null);
  const keyPairs: KeyPairConfig[] = [];
  for (const prefix of ['CRATEBOX_CLOUDFRONT', 'CRATEBOX_CLOUDFRONT_NEXT']) {
    const id = env[`${prefix}_KEY_PAIR_ID`];
    if (id !== undefined) {
      keyPairs.push(
        loadKeyPair(id, env[`${prefix}_PRIVATE_KEY`], env[`${prefix}_PRIVATE_KEY_FILE`], prefix),
      );
    }
  }
  const active = env.CRATEBOX_CLOUDFRONT_ACTIVE_KEY_PAIR_ID ?? keyPairs[0]?.id;
  if (active === undefined) {
    throw new Error(
      'CRATEBOX_CLOUDFRONT_DOMAIN is set but CRATEBOX_CLOUDFRONT_KEY_PAIR_ID is not; set both',
    );
  }

  const policy = env.CRATEBOX_CLOUDFRONT_POLICY ?? 'canned';
  if (policy !== 'canned' && policy !== 'custom') {
    throw new Error(`CRATEBOX_CLOUDFRONT_POLICY is "${policy}"; use canned or custom`);
  }
  return {
    urlLifetimeSeconds,
    cloudfront: {
      domain,
      keyPairs,
      activeKeyPairId: active,
      policy,
      resource: env.CRATEBOX_CLOUDFRONT_RESOURCE ?? null,
      ipRange: env.CRATEBOX_CLOUDFRONT_IP_RANGE ?? null,
    },
  };
}

/**
 * Reads the private key of one key pair from PEM text or a file. `envPrefix` names the variables
 * the values came from (`CRATEBOX_CLOUDFRONT`, `CRATEBOX_CLOUDFRONT_NEXT`), or is null for the
 * settings file, so problems name the setting to fix.
 */
function loadKeyPair(
  id: string,
  pem: string | undefined,
  path: string | undefined,
  envPrefix: string | null,
): KeyPairConfig {
  if (pem !== undefined) {
    const source = `${envPrefix ?? 'CRATEBOX_CLOUDFRONT'}_PRIVATE_KEY`;
    return { id, privateKeyPem: pem.replace(/\\n/g, '\n'), loadError: null, source };
  }
  if (path === undefined) {
    const prefix = envPrefix ?? 'CRATEBOX_CLOUDFRONT';
    return {
      id,
      privateKeyPem: null,
      loadError: `no private key given for CloudFront key pair ${id}; set ${prefix}_PRIVATE_KEY_FILE to its PEM file, or ${prefix}_PRIVATE_KEY to the PEM text`,
      source: `${prefix}_PRIVATE_KEY_FILE`,
    };
  }

  const setting = envPrefix === null ? 'the settings' : `${envPrefix}_PRIVATE_KEY_FILE`;
  // The problem names the setting but not its value, because the value is the key itself.
  if (looksLikeKeyMaterial(path)) {
    const fix =
      envPrefix === null
        ? 'save the key to a file (chmod 600) and enter its path in the settings'
        : `set ${envPrefix}_PRIVATE_KEY to the PEM text instead, or save the key to a file (chmod 600) and set ${setting} to its path`;
    return {
      id,
      privateKeyPem: null,
      loadError: `the private key file of CloudFront key pair ${id} in ${setting} is key text, not the path of a file; ${fix}`,
      source: setting,
    };
  }

  const source = `file ${path} from ${setting}`;
  try {
    return { id, privateKeyPem: readFileSync(path, 'utf8'), loadError: null, source };
  } catch (error) {
    return {
      id,
      privateKeyPem: null,
      loadError: `cannot read the private key of CloudFront key pair ${id} (${source}): ${fileProblem(error)}`,
      source,
    };
  }
}

/** Describes why a key file could not be read, with what to check. */
export function fileProblem(error: unknown): string {
  switch ((error as NodeJS.ErrnoException).code) {
    case 'ENOENT':
      return 'file not found; check the path';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied; let the user that runs Cratebox read the file';
    case 'EISDIR':
      return 'the path is a folder; give the PEM file inside it';
    case 'ENOTDIR':
      return 'part of the path is a file, not a folder; check the path';
    default:
      return error instanceof Error ? error.message : String(error);
  }
}

/** Converts the effective configuration to what the renderer may see. */
export function toPublicSettings(config: AppConfig): PublicSettings {
  const { storage, delivery, uploads } = config;
  const cloudfront = delivery.cloudfront;
  return {
    storage:
      storage.mode === 'embedded'
        ? {
            mode: 'embedded',
            bucket: EMBEDDED_BUCKET,
            region: EMBEDDED_REGION,
            endpoint: null,
            forcePathStyle: true,
            profile: null,
            hasStaticCredentials: false,
          }
        : {
            mode: 'aws',
            bucket: storage.bucket,
            region: storage.region ?? '',
            endpoint: storage.endpoint,
            forcePathStyle: storage.forcePathStyle,
            profile: storage.profile,
            hasStaticCredentials: storage.staticCredentials !== null,
          },
    delivery: {
      urlLifetimeSeconds: delivery.urlLifetimeSeconds,
      cloudfront:
        cloudfront === null
          ? null
          : {
              domain: cloudfront.domain,
              keyPairIds: cloudfront.keyPairs.map((pair) => pair.id),
              activeKeyPairId: cloudfront.activeKeyPairId,
              policy: cloudfront.policy,
              resource: cloudfront.resource,
              ipRange: cloudfront.ipRange,
            },
    },
    uploads: {
      parallelFiles: uploads.parallelFiles,
      parallelParts: uploads.parallelParts,
      partSizeMiB: uploads.partSizeBytes / MIB,
    },
    fromEnvironment: config.fromEnvironment,
  };
}

// Reads the first of `names` that is set.
function stringEnv(env: Env, ...names: string[]): EnvValue<string> | undefined {
  const variable = names.find((name) => env[name] !== undefined);
  const value = variable === undefined ? undefined : env[variable];
  return variable === undefined || value === undefined ? undefined : { variable, value };
}

function intEnv(env: Env, name: string): EnvValue<number> | undefined {
  const raw = env[name];
  if (raw === undefined) {
    return undefined;
  }
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) {
    throw new Error(`${name} is "${raw}"; set it to a positive whole number`);
  }
  return { variable: name, value };
}

function boolEnv(env: Env, name: string): EnvValue<boolean> | undefined {
  const raw = env[name];
  if (raw === undefined) {
    return undefined;
  }
  if (raw !== 'true' && raw !== 'false') {
    throw new Error(`${name} is "${raw}"; set it to true or false`);
  }
  return { variable: name, value: raw === 'true' };
}
