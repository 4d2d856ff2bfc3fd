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

/**
 * Parses the PEM text of one private key and checks that it is an RSA key of at least
 * {@link MIN_RSA_KEY_BITS} bits, because CloudFront signed URLs are RSA signatures.
 * Returns the key or a message that names the key pair id, never the key material.
 */
export function loadPrivateKey(id: string, privateKeyPem: string): KeyPairLoad {
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey({ key: privateKeyPem, format: 'pem' });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return {
      ok: false,
      problem: `the private key of CloudFront key pair ${id} is not a readable PEM private key (${reason}); check the key file or variable`,
    };
  }

  if (privateKey.asymmetricKeyType !== 'rsa') {
    return {
      ok: false,
      problem: `the private key of CloudFront key pair ${id} has key type ${privateKey.asymmetricKeyType ?? 'unknown'}; CloudFront signed URLs need an RSA key`,
    };
  }

  const bits = privateKey.asymmetricKeyDetails?.modulusLength ?? 0;
  if (bits < MIN_RSA_KEY_BITS) {
    return {
      ok: false,
      problem: `the private key of CloudFront key pair ${id} has ${bits} bits; use an RSA key of at least ${MIN_RSA_KEY_BITS} bits`,
    };
  }
  return { ok: true, keyPair: { id, privateKeyPem } };
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
          : this.load(keyPair.id, keyPair.privateKeyPem);
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

  private load(id: string, pem: string): KeyPairLoad {
    return this.cached(id, pem, () => loadPrivateKey(id, pem));
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
