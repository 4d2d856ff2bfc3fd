import { createPrivateKey } from 'node:crypto';
import type { KeyObject } from 'node:crypto';

import type { ConfiguredKeyPair } from './signer-config';

/** Minimum RSA modulus length accepted for CloudFront signing keys, in bits. */
export const MIN_RSA_KEY_BITS = 2048;

/** CloudFront key pair whose private key parsed and passed the checks. */
export interface LoadedKeyPair {
  id: string;
  /** PEM text as configured; the CloudFront signer takes PEM text. */
  privateKeyPem: string;
}

/** Result of loading a key pair: the usable key pair, or why there is none. */
export type KeyPairLoad = { ok: true; keyPair: LoadedKeyPair } | { ok: false; problem: string };

// Description of a valid private key file, for messages about files that contain something else.
const EXPECTED_PEM =
  'a PEM file that starts with -----BEGIN PRIVATE KEY----- or -----BEGIN RSA PRIVATE KEY-----';

/**
 * Parses the PEM text of one private key and checks that it is an RSA key of at least
 * {@link MIN_RSA_KEY_BITS} bits, because CloudFront signed URLs are RSA signatures.
 * Returns the key or a message that names the key pair id and `source` (the file or variable
 * the text came from), never the key material.
 */
export function loadPrivateKey(id: string, privateKeyPem: string, source?: string): KeyPairLoad {
  const subject = `the private key of CloudFront key pair ${id}${source === undefined ? '' : ` (${source})`}`;
  const wrongContent = pemContentProblem(privateKeyPem);
  if (wrongContent !== null) {
    return { ok: false, problem: `${subject} ${wrongContent}` };
  }

  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey({ key: privateKeyPem, format: 'pem' });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return {
      ok: false,
      problem: `${subject} is not a readable PEM private key (${reason}); check the key file or variable`,
    };
  }

  if (privateKey.asymmetricKeyType !== 'rsa') {
    return {
      ok: false,
      problem: `${subject} has key type ${privateKey.asymmetricKeyType ?? 'unknown'}; CloudFront signed URLs need an RSA key`,
    };
  }

  const bits = privateKey.asymmetricKeyDetails?.modulusLength ?? 0;
  if (bits < MIN_RSA_KEY_BITS) {
    return {
      ok: false,
      problem: `${subject} has ${bits} bits; use an RSA key of at least ${MIN_RSA_KEY_BITS} bits`,
    };
  }
  return { ok: true, keyPair: { id, privateKeyPem } };
}

/**
 * Recognizes PEM text that holds something other than a private key (a public key, a certificate,
 * an encrypted or OpenSSH key, no PEM at all) and returns what it is and what is expected. Returns
 * null for PEM text labelled as an unencrypted private key, which `createPrivateKey` then parses.
 */
function pemContentProblem(pem: string): string | null {
  if (pem.trim() === '') {
    return `is empty; expected ${EXPECTED_PEM}`;
  }
  const labels = [...pem.matchAll(/-----BEGIN ([A-Z0-9 ]+)-----/g)].map((match) => match[1] ?? '');
  if (labels.length === 0) {
    return `is not PEM text; expected ${EXPECTED_PEM}`;
  }

  if (labels.includes('OPENSSH PRIVATE KEY')) {
    return (
      'is an OpenSSH key; CloudFront needs an RSA key in PEM format, made with ' +
      '"openssl genrsa -out private_key.pem 2048"'
    );
  }
  if (labels.includes('ENCRYPTED PRIVATE KEY') || /Proc-Type: 4,ENCRYPTED/.test(pem)) {
    return (
      'is protected by a passphrase; write an unencrypted copy with ' +
      '"openssl pkey -in KEY.pem -out private_key.pem" and configure that file'
    );
  }
  if (labels.some((label) => label.endsWith('PRIVATE KEY'))) {
    return null;
  }

  if (labels.includes('PUBLIC KEY') || labels.includes('RSA PUBLIC KEY')) {
    return (
      'is a public key, not a private key: CloudFront keeps the public key, and Cratebox ' +
      `signs with the private key it was made from, ${EXPECTED_PEM}`
    );
  }
  if (labels.includes('CERTIFICATE')) {
    return `is a certificate, not a private key; expected ${EXPECTED_PEM}`;
  }
  return `contains a ${labels[0] ?? ''} block, not a private key; expected ${EXPECTED_PEM}`;
}

/**
 * Validates configured key pairs and picks the active one. Parsed keys are cached by id and PEM
 * text, so each key is checked once although the configuration is read on every call.
 * `onInvalid` is called once for each invalid key.
 */
export class KeyPairLoader {
  private readonly loaded = new Map<string, { pem: string; load: KeyPairLoad }>();

  constructor(private readonly onInvalid: (id: string, problem: string) => void) {}

  /** Validates every key pair and returns the active one or the reason it cannot be used. */
  loadActive(keyPairs: ConfiguredKeyPair[], activeKeyPairId: string): KeyPairLoad {
    let active: KeyPairLoad | null = null;
    for (const keyPair of keyPairs) {
      const load =
        keyPair.privateKeyPem === null
          ? this.unreadable(keyPair)
          : this.load(keyPair.id, keyPair.privateKeyPem, keyPair.source);
      if (keyPair.id === activeKeyPairId) {
        active = load;
      }
    }

    if (active === null) {
      const known = keyPairs.map((keyPair) => keyPair.id).join(', ') || 'none';
      return {
        ok: false,
        problem: `the active CloudFront key pair ${activeKeyPairId} is not among the configured key pairs (${known})`,
      };
    }
    return active;
  }

  private unreadable(keyPair: ConfiguredKeyPair): KeyPairLoad {
    const problem =
      keyPair.loadError ?? `no private key is configured for CloudFront key pair ${keyPair.id}`;
    return this.cached(keyPair.id, '', () => ({ ok: false, problem }));
  }

  private load(id: string, pem: string, source: string | undefined): KeyPairLoad {
    return this.cached(id, pem, () => loadPrivateKey(id, pem, source));
  }

  private cached(id: string, pem: string, check: () => KeyPairLoad): KeyPairLoad {
    const known = this.loaded.get(id);
    if (known !== undefined && known.pem === pem) {
      return known.load;
    }

    const load = check();
    this.loaded.set(id, { pem, load });
    if (!load.ok) {
      this.onInvalid(id, load.problem);
    }
    return load;
  }
}
