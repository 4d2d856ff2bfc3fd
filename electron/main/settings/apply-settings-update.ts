import { readFileSync } from 'node:fs';

import { CrateboxError } from '../../../shared/errors';
import type { SettingsUpdate } from '../../../shared/settings';
import { loadPrivateKey } from '../signing/private-keys';
import { fileProblem } from './app-config';
import type { StoredSettings } from './stored-settings';

/** Encrypts a secret for storage at rest; null where the shell has no secure store. */
export type EncryptSecret = ((secret: string) => string) | null;

/**
 * Applies a change from the settings screen to the stored settings. Secrets are kept only in
 * encrypted form, and CloudFront private key files are checked before they are accepted.
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
      throw new CrateboxError('InvalidRequest', 'choose a bucket before switching to AWS storage');
    }
  }

  if (update.delivery !== undefined) {
    const { cloudfront, urlLifetimeSeconds } = update.delivery;
    if (urlLifetimeSeconds !== undefined) {
      next.delivery.urlLifetimeSeconds = urlLifetimeSeconds;
    }
    if (cloudfront !== undefined) {
      if (cloudfront !== null) {
        checkCloudFrontKeys(cloudfront.keyPairs, cloudfront.activeKeyPairId);
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

function checkCloudFrontKeys(
  keyPairs: { id: string; privateKeyPath: string }[],
  activeKeyPairId: string,
): void {
  if (!keyPairs.some((pair) => pair.id === activeKeyPairId)) {
    throw new CrateboxError(
      'InvalidRequest',
      `the active key pair ${activeKeyPairId} is not one of the configured key pairs`,
    );
  }

  for (const pair of keyPairs) {
    const source = `file ${pair.privateKeyPath}`;
    let pem: string;
    try {
      pem = readFileSync(pair.privateKeyPath, 'utf8');
    } catch (error) {
      throw new CrateboxError(
        'InvalidRequest',
        `cannot read the private key of CloudFront key pair ${pair.id} (${source}): ${fileProblem(error)}`,
      );
    }
    const load = loadPrivateKey(pair.id, pem, source);
    if (!load.ok) {
      throw new CrateboxError('InvalidRequest', load.problem);
    }
  }
}
