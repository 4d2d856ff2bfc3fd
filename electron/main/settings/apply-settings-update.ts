import { readFileSync } from 'node:fs';

import { CrateboxError, fieldError } from '../../../shared/errors';
import { settingsFieldLabel } from '../../../shared/settings';
import type { SettingsUpdate } from '../../../shared/settings';
import { loadPrivateKey } from '../signing/private-keys';
import { fileProblem } from './app-config';
import type { StoredSettings } from './stored-settings';

/** Encrypts a secret for storage at rest; null where the shell has no secure store. */
export type EncryptSecret = ((secret: string) => string) | null;

/**
 * Applies a validated change from the settings screen to the stored settings. Secrets are kept
 * only in encrypted form, and CloudFront private key files are read and parsed before they are
 * accepted. Problems are `InvalidRequest` errors that name the field.
 */
export function applySettingsUpdate(
  current: StoredSettings,
  update: SettingsUpdate,
  encrypt: EncryptSecret,
): StoredSettings {
  const next: StoredSettings = structuredClone(current);

  if (update.storage !== undefined) {
    const { accessKeyId, secretAccessKey, ...plain } = update.storage;
    Object.assign(next.storage, plain);
    if (accessKeyId !== undefined) {
      next.storage.accessKeyId = accessKeyId;
    }
    if (secretAccessKey !== undefined) {
      next.storage.encryptedSecretAccessKey = encryptOrReject(secretAccessKey, encrypt);
    }
    if (next.storage.mode === 'aws' && next.storage.bucket === null) {
      throw fieldError('storage.bucket', 'Bucket', 'enter the bucket name to use Amazon S3');
    }
  }

  if (update.delivery !== undefined) {
    const { cloudfront, urlLifetimeSeconds } = update.delivery;
    if (urlLifetimeSeconds !== undefined) {
      next.delivery.urlLifetimeSeconds = urlLifetimeSeconds;
    }
    if (cloudfront !== undefined) {
      if (cloudfront !== null) {
        checkCloudFrontKeys(cloudfront.keyPairs);
      }
      next.delivery.cloudfront = cloudfront;
    }
  }

  if (update.uploads !== undefined) {
    Object.assign(next.uploads, update.uploads);
  }
  return next;
}

function encryptOrReject(secret: string | null, encrypt: EncryptSecret): string | null {
  if (secret === null) {
    return null;
  }
  if (encrypt === null) {
    throw new CrateboxError(
      'Unsupported',
      'this shell cannot store an AWS secret key safely; use an AWS profile, or set ' +
        'AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in the environment',
    );
  }
  return encrypt(secret);
}

// The schema has checked the paths and ids, so this reads each key file and parses the key.
function checkCloudFrontKeys(keyPairs: { id: string; privateKeyPath: string }[]): void {
  keyPairs.forEach((pair, index) => {
    const field = `delivery.cloudfront.keyPairs.${index}.privateKeyPath`;
    const label = settingsFieldLabel(field) ?? 'Private key file';
    let pem: string;
    try {
      pem = readFileSync(pair.privateKeyPath, 'utf8');
    } catch (error) {
      throw fieldError(field, label, `cannot read ${pair.privateKeyPath}: ${fileProblem(error)}`);
    }

    const load = loadPrivateKey(pair.id, pem, `file ${pair.privateKeyPath}`);
    if (!load.ok) {
      throw fieldError(field, label, load.problem);
    }
  });
}
