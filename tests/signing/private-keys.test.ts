import { generateKeyPairSync } from 'node:crypto';

import { describe, expect, it } from 'vitest';

import { KeyPairLoader, loadPrivateKey } from '../../electron/main/signing/private-keys';
import { generateTestKeyPair } from '../support/key-pairs';

const good = generateTestKeyPair('KGOOD');

describe('private key validation', () => {
  it('accepts a 2048-bit RSA key', () => {
    const load = loadPrivateKey(good.id, good.privateKeyPem);
    expect(load.ok).toBe(true);
  });

  it('rejects text that is not a PEM key', () => {
    const load = loadPrivateKey('KBAD', 'not a key');
    expect(load).toMatchObject({ ok: false });
    expect(load.ok ? '' : load.problem).toMatch(
      /^the private key of CloudFront key pair KBAD is not a readable PEM private key/,
    );
  });

  it('rejects an EC key', () => {
    const { privateKey } = generateKeyPairSync('ec', {
      namedCurve: 'prime256v1',
      privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
      publicKeyEncoding: { type: 'spki', format: 'pem' },
    });
    const load = loadPrivateKey('KEC', privateKey);
    expect(load.ok ? '' : load.problem).toContain(
      'has key type ec; CloudFront signed URLs need an RSA key',
    );
  });

  it('never puts key material in the problem', () => {
    const truncated = good.privateKeyPem.slice(0, 200);
    const load = loadPrivateKey('KCUT', truncated);
    const body = truncated.split('\n')[1] ?? '';
    expect(load.ok).toBe(false);
    expect(load.ok ? '' : load.problem).not.toContain(body.slice(0, 20));
  });

  it('loader reports each invalid key once', () => {
    const reported: string[] = [];
    const loader = new KeyPairLoader((id) => reported.push(id));
    const keyPairs = [
      { id: good.id, privateKeyPem: good.privateKeyPem },
      { id: 'KNEXT', privateKeyPem: 'broken' },
    ];

    for (let attempt = 0; attempt < 3; attempt += 1) {
      expect(loader.loadActive(keyPairs, good.id).ok).toBe(true);
    }
    expect(reported).toEqual(['KNEXT']);
    expect(loader.loadActive(keyPairs, 'KNEXT').ok).toBe(false);
    expect(reported).toEqual(['KNEXT']);
  });
});
