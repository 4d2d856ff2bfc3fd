import { execFileSync, spawnSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { KeyPairLoader, loadPrivateKey } from '../../electron/main/signing/private-keys';
import { generateTestKeyPair } from '../support/key-pairs';

const good = generateTestKeyPair('KGOOD');

describe('private key validation', () => {
  it('accepts a 2048-bit RSA key', () => {
    const load = loadPrivateKey(good.id, good.privateKeyPem);
    expect(load.ok).toBe(true);
  });

  it('rejects a damaged PEM private key', () => {
    const load = loadPrivateKey(
      'KBAD',
      '-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n',
    );
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

const EXPECTED =
  'a PEM file that starts with -----BEGIN PRIVATE KEY----- or -----BEGIN RSA PRIVATE KEY-----';
const folder = mkdtempSync(join(tmpdir(), 'cratebox-key-files-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

function problemOf(pem: string): string {
  const load = loadPrivateKey('K1', pem, 'file /keys/k.pem from the settings');
  return load.ok ? '' : load.problem;
}

const hasCommand = (name: string): boolean =>
  spawnSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' }).status === 0;

describe('key files with something else', () => {
  const subject = 'the private key of CloudFront key pair K1 (file /keys/k.pem from the settings)';

  it('public key says which key is expected', () => {
    expect(problemOf(good.publicKeyPem)).toBe(
      `${subject} is a public key, not a private key: CloudFront keeps the public key, and Cratebox signs with the private key it was made from, ${EXPECTED}`,
    );
  });

  it('PKCS #1 public key is recognized', () => {
    const { publicKey } = generateKeyPairSync('rsa', {
      modulusLength: 2048,
      publicKeyEncoding: { type: 'pkcs1', format: 'pem' },
      privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
    });
    expect(publicKey).toContain('-----BEGIN RSA PUBLIC KEY-----');
    expect(problemOf(publicKey)).toContain('is a public key, not a private key');
  });

  it.skipIf(!hasCommand('openssl'))('certificate is recognized', () => {
    const key = join(folder, 'cert-key.pem');
    const certificate = join(folder, 'cert.pem');
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-keyout',
        key,
        '-out',
        certificate,
        '-days',
        '1',
        '-subj',
        '/CN=cratebox-test',
      ],
      { stdio: 'ignore' },
    );

    expect(problemOf(readFileSync(certificate, 'utf8'))).toBe(
      `${subject} is a certificate, not a private key; expected ${EXPECTED}`,
    );
  });

  it.skipIf(!hasCommand('openssl'))('encrypted key asks for a plain copy', () => {
    const encrypted = join(folder, 'encrypted.pem');
    execFileSync(
      'openssl',
      [
        'genpkey',
        '-algorithm',
        'RSA',
        '-pkeyopt',
        'rsa_keygen_bits:2048',
        '-aes-128-cbc',
        '-pass',
        'pass:cratebox',
        '-out',
        encrypted,
      ],
      { stdio: 'ignore' },
    );

    expect(problemOf(readFileSync(encrypted, 'utf8'))).toBe(
      `${subject} is protected by a passphrase; write an unencrypted copy with "openssl pkey -in KEY.pem -out private_key.pem" and configure that file`,
    );
  });

  it.skipIf(!hasCommand('ssh-keygen'))('OpenSSH key asks for PEM', () => {
    const sshKey = join(folder, 'id_rsa');
    execFileSync('ssh-keygen', ['-q', '-t', 'rsa', '-b', '2048', '-N', '', '-f', sshKey], {
      stdio: 'ignore',
    });

    expect(problemOf(readFileSync(sshKey, 'utf8'))).toBe(
      `${subject} is an OpenSSH key; CloudFront needs an RSA key in PEM format, made with "openssl genrsa -out private_key.pem 2048"`,
    );
  });

  it('empty file is named empty', () => {
    expect(problemOf('\n')).toBe(`${subject} is empty; expected ${EXPECTED}`);
  });

  it('text without PEM is named', () => {
    expect(problemOf('K1=abc')).toBe(`${subject} is not PEM text; expected ${EXPECTED}`);
  });

  it('private key with a source loads', () => {
    const load = loadPrivateKey('K1', good.privateKeyPem, 'CRATEBOX_CLOUDFRONT_PRIVATE_KEY');
    expect(load.ok).toBe(true);
  });
});
