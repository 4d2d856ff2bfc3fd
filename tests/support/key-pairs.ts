import { generateKeyPairSync } from 'node:crypto';

/** RSA key pair in PEM form, as CloudFront key groups use. */
export interface TestKeyPair {
  id: string;
  privateKeyPem: string;
  publicKeyPem: string;
}

/** Generates a 2048-bit RSA key pair for a test; `id` becomes the CloudFront key pair id. */
export function generateTestKeyPair(id: string): TestKeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  return { id, privateKeyPem: privateKey, publicKeyPem: publicKey };
}
