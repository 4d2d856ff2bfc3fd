import { createHash } from 'node:crypto';

import { describe, expect, it } from 'vitest';

import { checksumOf, multipartChecksum } from '../../electron/main/storage/embedded-s3/checksums';
import { CRC32, CRC32C, CRC64NVME, combineCrc } from '../../electron/main/storage/embedded-s3/crc';
import { patternBytes } from './s3-test-helpers';

const CHECK_INPUT = Buffer.from('123456789');

describe('CRC functions', () => {
  // Check values from the CRC catalogue (reveng.sourceforge.io): the CRC of "123456789".
  it('match the published check values', () => {
    expect(CRC32.update(0n, CHECK_INPUT)).toBe(0xcbf43926n);
    expect(CRC32C.update(0n, CHECK_INPUT)).toBe(0xe3069283n);
    expect(CRC64NVME.update(0n, CHECK_INPUT)).toBe(0xae8b14860a799888n);
  });

  it('give the same value when fed in chunks', () => {
    const data = patternBytes(100_003, 5);
    for (const crc of [CRC32, CRC32C, CRC64NVME]) {
      const whole = crc.update(0n, data);
      let running = 0n;
      for (let offset = 0; offset < data.length; offset += 4099) {
        running = crc.update(running, data.subarray(offset, offset + 4099));
      }
      expect(running).toBe(whole);
    }
  });

  it('combine two CRCs into the CRC of the concatenation', () => {
    const data = patternBytes(70_001, 6);
    for (const crc of [CRC32, CRC32C, CRC64NVME]) {
      const first = crc.update(0n, data.subarray(0, 12_345));
      const second = crc.update(0n, data.subarray(12_345));
      expect(combineCrc(crc, first, second, data.length - 12_345)).toBe(crc.update(0n, data));
    }
  });
});

describe('S3 checksums', () => {
  it('encode digests as base64 of big-endian bytes', () => {
    expect(checksumOf('CRC32', CHECK_INPUT)).toBe(
      Buffer.from('cbf43926', 'hex').toString('base64'),
    );
    expect(checksumOf('SHA256', CHECK_INPUT)).toBe(
      createHash('sha256').update(CHECK_INPUT).digest('base64'),
    );
    expect(checksumOf('SHA1', CHECK_INPUT)).toBe(
      createHash('sha1').update(CHECK_INPUT).digest('base64'),
    );
  });

  it('build composite checksums over the raw part checksums', () => {
    const parts = [Buffer.from('part one'), Buffer.from('part two')];
    const raw = Buffer.concat(parts.map((part) => createHash('sha256').update(part).digest()));
    const inputs = parts.map((part) => ({ value: checksumOf('SHA256', part), size: part.length }));
    expect(multipartChecksum('SHA256', 'COMPOSITE', inputs)).toBe(
      `${createHash('sha256').update(raw).digest('base64')}-2`,
    );
  });

  it('build full-object CRCs from part CRCs', () => {
    const parts = [patternBytes(3000, 1), patternBytes(17, 2), patternBytes(5000, 3)];
    const inputs = parts.map((part) => ({
      value: checksumOf('CRC64NVME', part),
      size: part.length,
    }));
    expect(multipartChecksum('CRC64NVME', 'FULL_OBJECT', inputs)).toBe(
      checksumOf('CRC64NVME', Buffer.concat(parts)),
    );
  });
});
