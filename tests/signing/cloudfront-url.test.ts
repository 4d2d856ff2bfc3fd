import { getSignedUrl } from '@aws-sdk/cloudfront-signer';
import { describe, expect, it } from 'vitest';

import {
  cloudFrontObjectUrl,
  cloudFrontOrigin,
  customPolicyJson,
  encodeKeyPath,
  normalizeCidr,
  signedUrlExpiry,
} from '../../electron/main/signing/cloudfront-url';
import { generateTestKeyPair } from '../support/key-pairs';

const keyPair = generateTestKeyPair('KURLTEST');

describe('CloudFront URL building', () => {
  it('origin defaults to https', () => {
    expect(cloudFrontOrigin('d111111abcdef8.cloudfront.net')).toBe(
      'https://d111111abcdef8.cloudfront.net',
    );
    expect(cloudFrontOrigin('http://127.0.0.1:8443')).toBe('http://127.0.0.1:8443');
    expect(cloudFrontOrigin('https://media.example.com/')).toBe('https://media.example.com');
  });

  it('origin rejects a path or query', () => {
    expect(() => cloudFrontOrigin('media.example.com/tracks')).toThrow(/host name only/);
    expect(() => cloudFrontOrigin('https://media.example.com/?a=b')).toThrow(/host name only/);
    expect(() => cloudFrontOrigin('https://')).toThrow(/not a host name/);
  });

  it('encodes each segment and keeps the slashes', () => {
    expect(encodeKeyPath('tracks/a b/c+d&e#f?g%h.mp3')).toBe(
      'tracks/a%20b/c%2Bd%26e%23f%3Fg%25h.mp3',
    );
    expect(encodeKeyPath('tracks/Caf\u00e9')).toBe('tracks/Caf%C3%A9');
    expect(encodeKeyPath('tracks/Cafe\u0301')).toBe('tracks/Cafe%CC%81');
  });

  it('encoded URL survives signer and parser', () => {
    const keys = [
      'tracks/%20literal.mp3',
      'tracks/(x) [y] {z}.mp3',
      "tracks/it's\\here.mp3",
      'tracks/日本.mp3',
    ];
    for (const key of keys) {
      const url = cloudFrontObjectUrl('https://d111111abcdef8.cloudfront.net', key);
      const signed = getSignedUrl({
        url,
        keyPairId: keyPair.id,
        privateKey: keyPair.privateKeyPem,
        dateLessThan: new Date(Date.UTC(2030, 0, 1)),
      });
      expect(signed.startsWith(`${url}?`), key).toBe(true);
      expect(new URL(url).href, key).toBe(url);
    }
  });

  it('custom policy JSON carries resource, expiry and IP range', () => {
    const policy = JSON.parse(
      customPolicyJson({
        resource: 'https://d.example/tracks/*',
        expiresEpochSeconds: 1_900_000_000,
        ipRange: '203.0.113.7',
      }),
    ) as unknown;
    expect(policy).toEqual({
      Statement: [
        {
          Resource: 'https://d.example/tracks/*',
          Condition: {
            DateLessThan: { 'AWS:EpochTime': 1_900_000_000 },
            IpAddress: { 'AWS:SourceIp': '203.0.113.7/32' },
          },
        },
      ],
    });
  });

  it('CIDR check accepts IPv4 ranges only', () => {
    expect(normalizeCidr('10.0.0.0/8')).toBe('10.0.0.0/8');
    expect(normalizeCidr(' 192.0.2.1 ')).toBe('192.0.2.1/32');
    for (const invalid of ['10.0.0.0/33', '256.0.0.1', '2001:db8::/32', 'ten.0.0.0/8', '']) {
      expect(() => normalizeCidr(invalid), invalid).toThrow(/not an IPv4 CIDR/);
    }
  });

  it('reads the expiry of canned and custom URLs', () => {
    const url = cloudFrontObjectUrl('https://d.example', 'tracks/x.mp3');
    const canned = getSignedUrl({
      url,
      keyPairId: keyPair.id,
      privateKey: keyPair.privateKeyPem,
      dateLessThan: new Date(1_900_000_000_000),
    });
    const custom = getSignedUrl({
      url,
      keyPairId: keyPair.id,
      privateKey: keyPair.privateKeyPem,
      policy: customPolicyJson({
        resource: url,
        expiresEpochSeconds: 1_900_000_123,
        ipRange: null,
      }),
    });
    expect(signedUrlExpiry(new URL(canned))).toBe(1_900_000_000_000);
    expect(signedUrlExpiry(new URL(custom))).toBe(1_900_000_123_000);
    expect(signedUrlExpiry(new URL(url))).toBeNull();
    expect(signedUrlExpiry(new URL(`${url}?Policy=bm90IGpzb24_`))).toBeNull();
  });
});
