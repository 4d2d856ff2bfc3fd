import { describe, expect, it } from 'vitest';

import { looksLikeKeyMaterial, REDACTED_KEY, redactKeyMaterial } from './key-material';

// Shaped like a PKCS#8 key; the checks look at the armour and the base64, not at the key.
const PEM_BODY = [
  'MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj',
  'MzEfYyjiWA4R4/M2bS1GB4t7NXp98C3SC6dVMvDuictGeurT8jNbvJZHtCSuYEvu',
  'NMoSfm76oqFvAp8Gy0iz5sxjZmSnXyCdPEovGhLa0VzMaQ8s+CLOyS56YyCFGeJZ',
];
const PEM = ['-----BEGIN PRIVATE KEY-----', ...PEM_BODY, '-----END PRIVATE KEY-----', ''].join(
  '\n',
);

describe('key material', () => {
  it('recognizes PEM text and a bare key body', () => {
    expect(looksLikeKeyMaterial(PEM)).toBe(true);
    expect(looksLikeKeyMaterial(PEM_BODY.join('\n'))).toBe(true);
    expect(looksLikeKeyMaterial('/home/artist/keys/cratebox-private.pem')).toBe(false);
    expect(looksLikeKeyMaterial('MIIE.pem')).toBe(false);
  });

  it('redacts a PEM block in plain text', () => {
    const text = `cannot read ${PEM} as a file`;

    expect(redactKeyMaterial(text)).toBe(`cannot read ${REDACTED_KEY}\n as a file`);
  });

  it('redacts a PEM block inside a JSON line and keeps the line valid', () => {
    const line = JSON.stringify({ msg: 'request rejected', message: `the file ${PEM}: not found` });

    const redacted = redactKeyMaterial(line);

    expect(redacted).not.toContain(PEM_BODY[0]);
    expect(redacted).not.toContain(PEM_BODY[2]);
    expect(JSON.parse(redacted)).toEqual({
      msg: 'request rejected',
      message: `the file ${REDACTED_KEY}\n: not found`,
    });
  });

  it('redacts a PEM block cut short', () => {
    const cut = PEM.slice(0, 120);

    expect(redactKeyMaterial(`key ${cut}`)).toBe(`key ${REDACTED_KEY}`);
  });

  it('redacts a bare key body', () => {
    const redacted = redactKeyMaterial(`path ${PEM_BODY.join('\n')} not found`);

    expect(redacted).toBe(`path ${REDACTED_KEY} not found`);
  });
});
