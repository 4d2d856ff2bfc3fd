import { describe, expect, it } from 'vitest';

import { fieldProblemsOf } from './errors';
import { settingsFieldLabel, settingsUpdateSchema } from './settings';
import type { SettingsUpdate } from './settings';

// Shaped like a PKCS#8 key; the checks look at the armour and the base64, not at the key.
const PEM_BODY = [
  'MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj',
  'MzEfYyjiWA4R4/M2bS1GB4t7NXp98C3SC6dVMvDuictGeurT8jNbvJZHtCSuYEvu',
  'NMoSfm76oqFvAp8Gy0iz5sxjZmSnXyCdPEovGhLa0VzMaQ8s+CLOyS56YyCFGeJZ',
];
const PEM = ['-----BEGIN PRIVATE KEY-----', ...PEM_BODY, '-----END PRIVATE KEY-----', ''].join(
  '\n',
);

function problems(update: SettingsUpdate): { field: string; message: string }[] {
  const parsed = settingsUpdateSchema.safeParse(update);
  return parsed.success ? [] : fieldProblemsOf(parsed.error.issues, settingsFieldLabel);
}

function cloudfront(overrides: Record<string, unknown> = {}): SettingsUpdate {
  return {
    delivery: {
      cloudfront: {
        domain: 'd111111abcdef8.cloudfront.net',
        keyPairs: [{ id: 'K2JCJMDEHXQW5F', privateKeyPath: '/keys/cratebox-private.pem' }],
        activeKeyPairId: 'K2JCJMDEHXQW5F',
        policy: 'canned',
        resource: null,
        ipRange: null,
        ...overrides,
      },
    },
  };
}

describe('settings update schema', () => {
  it('accepts a complete CloudFront setting', () => {
    expect(problems(cloudfront())).toEqual([]);
  });

  it('rejects PEM text as a key file path without repeating it', () => {
    const found = problems(
      cloudfront({ keyPairs: [{ id: 'K2JCJMDEHXQW5F', privateKeyPath: PEM }] }),
    );

    expect(found).toEqual([
      {
        field: 'delivery.cloudfront.keyPairs.0.privateKeyPath',
        message:
          'Private key file: this field takes the path of the key file, not the key itself: ' +
          'save the key to a file (chmod 600) and enter its path',
      },
    ]);
    expect(JSON.stringify(found)).not.toContain(PEM_BODY[1]);
  });

  it('rejects a key body pasted without its armour', () => {
    const found = problems(
      cloudfront({ keyPairs: [{ id: 'K2JCJMDEHXQW5F', privateKeyPath: PEM_BODY.join('\n') }] }),
    );

    expect(found[0]?.message).toContain('not the key itself');
    expect(JSON.stringify(found)).not.toContain(PEM_BODY[0]);
  });

  it('names the next key pair by its label', () => {
    const found = problems(
      cloudfront({
        keyPairs: [
          { id: 'K2JCJMDEHXQW5F', privateKeyPath: '/keys/a.pem' },
          { id: 'K3NEXTKEY', privateKeyPath: PEM },
        ],
      }),
    );

    expect(found[0]?.field).toBe('delivery.cloudfront.keyPairs.1.privateKeyPath');
    expect(found[0]?.message).toMatch(/^Next private key file: this field takes the path/);
  });

  it.each([
    [
      'ftp://127.0.0.1:9',
      'Endpoint: use an http:// or https:// URL such as https://s3.example.com:9000',
    ],
    ['not a url', 'Endpoint: enter a URL such as https://s3.example.com:9000'],
    ['http://', 'Endpoint: enter a URL such as https://s3.example.com:9000'],
    [
      'https://key:secret@s3.example.com',
      'Endpoint: remove the user name and password from the URL; credentials come from an AWS profile or an access key',
    ],
    [
      'https://s3.example.com/?x=1',
      'Endpoint: remove the query (?…) and fragment (#…) from the URL',
    ],
  ])('rejects the endpoint %s', (endpoint, message) => {
    expect(problems({ storage: { endpoint } })).toEqual([{ field: 'storage.endpoint', message }]);
  });

  it.each(['http://127.0.0.1:9000', 'https://s3.example.com', 'https://minio.local:9000/s3'])(
    'accepts the endpoint %s',
    (endpoint) => {
      expect(problems({ storage: { endpoint } })).toEqual([]);
    },
  );

  it.each([
    [
      'not a domain',
      'Distribution domain: enter a host name such as d111111abcdef8.cloudfront.net',
    ],
    [
      'https://d111111abcdef8.cloudfront.net/tracks/',
      'Distribution domain: enter the host name alone, without a path, such as d111111abcdef8.cloudfront.net',
    ],
    [
      '',
      "Distribution domain: enter the distribution's domain, such as d111111abcdef8.cloudfront.net",
    ],
    ['cloudfront', 'Distribution domain: enter a host name such as d111111abcdef8.cloudfront.net'],
    ['d1.cloudfront.net:99999', 'Distribution domain: a port is a number from 1 to 65535'],
  ])('rejects the CloudFront domain %j', (domain, message) => {
    expect(problems(cloudfront({ domain }))).toEqual([
      { field: 'delivery.cloudfront.domain', message },
    ]);
  });

  it.each([
    ['https://d111111abcdef8.cloudfront.net/', 'd111111abcdef8.cloudfront.net'],
    [' media.example.com ', 'media.example.com'],
    ['http://127.0.0.1:8080/', 'http://127.0.0.1:8080'],
  ])('stores the CloudFront domain %j as %j', (domain, stored) => {
    const parsed = settingsUpdateSchema.parse(cloudfront({ domain }));

    expect(parsed.delivery?.cloudfront?.domain).toBe(stored);
  });

  it.each(['k2jcjmdehxqw5f', 'K2 JCJ', '/keys/a.pem', ''])('rejects the key pair ID %j', (id) => {
    const found = problems(
      cloudfront({ keyPairs: [{ id, privateKeyPath: '/keys/a.pem' }], activeKeyPairId: id }),
    );

    expect(found.map((problem) => problem.field)).toEqual(['delivery.cloudfront.keyPairs.0.id']);
    expect(found[0]?.message).toMatch(/^Public key ID: /);
  });

  it('rejects two key pairs with one ID', () => {
    const found = problems(
      cloudfront({
        keyPairs: [
          { id: 'K2JCJMDEHXQW5F', privateKeyPath: '/keys/a.pem' },
          { id: 'K2JCJMDEHXQW5F', privateKeyPath: '/keys/b.pem' },
        ],
      }),
    );

    expect(found).toEqual([
      {
        field: 'delivery.cloudfront.keyPairs.1.id',
        message:
          'Next public key ID: is the same as the first key; rotation needs the ID of a second public key',
      },
    ]);
  });

  it('rejects a signing key that is not configured', () => {
    expect(problems(cloudfront({ activeKeyPairId: 'KOTHER' }))).toEqual([
      {
        field: 'delivery.cloudfront.activeKeyPairId',
        message: 'Signing key: choose one of the public keys above to sign URLs',
      },
    ]);
  });

  it.each([
    [604_801, 'URL lifetime: at most 604800 seconds (7 days)'],
    [59, 'URL lifetime: at least 60 seconds'],
    [90.5, 'URL lifetime: enter a whole number from 60 to 604800 seconds'],
  ])('rejects a URL lifetime of %d', (urlLifetimeSeconds, message) => {
    expect(problems({ delivery: { urlLifetimeSeconds } })).toEqual([
      { field: 'delivery.urlLifetimeSeconds', message },
    ]);
  });

  it.each(['203.0.113.0/33', '203.0.113.256', '2001:db8::/32', 'anywhere'])(
    'rejects the IP range %j',
    (ipRange) => {
      expect(problems(cloudfront({ policy: 'custom', ipRange }))).toEqual([
        {
          field: 'delivery.cloudfront.ipRange',
          message: 'Allowed IP range: enter an IPv4 range in CIDR notation, such as 203.0.113.0/24',
        },
      ]);
    },
  );

  it('accepts an IPv4 range and a single address', () => {
    expect(problems(cloudfront({ policy: 'custom', ipRange: '203.0.113.0/24' }))).toEqual([]);
    expect(problems(cloudfront({ policy: 'custom', ipRange: '203.0.113.7' }))).toEqual([]);
  });

  it('names the bucket by its label', () => {
    expect(problems({ storage: { bucket: 'My_Music' } })).toEqual([
      {
        field: 'storage.bucket',
        message:
          'Bucket: a bucket name contains only lowercase letters, digits, dots and hyphens, not "M"',
      },
    ]);
  });

  it('rejects a secret in the access key ID field without repeating it', () => {
    const secret = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';

    const found = problems({ storage: { accessKeyId: secret } });

    expect(found[0]?.field).toBe('storage.accessKeyId');
    expect(found[0]?.message).toContain('the secret access key has its own field');
    expect(JSON.stringify(found)).not.toContain('wJalrXUtnFEMI');
  });

  it('never repeats a short secret access key', () => {
    const found = problems({ storage: { secretAccessKey: 'tooShortSecret' } });

    expect(found).toEqual([
      {
        field: 'storage.secretAccessKey',
        message: 'Secret access key: a secret access key has 16 to 256 characters',
      },
    ]);
  });
});
