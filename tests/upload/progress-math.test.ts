import { createHash } from 'node:crypto';

import { describe, expect, test } from 'vitest';

import type { UploadJobView } from '../../shared/uploads';
import { checksumMatches, localChecksums } from '../../electron/main/upload/checksums';
import { choosePartSize } from '../../electron/main/upload/file-job';
import { computeTotals, RateMeter, secondsLeft } from '../../electron/main/upload/progress-math';
import {
  backoffDelayMs,
  DEFAULT_RETRY_POLICY,
  isRetryableError,
} from '../../electron/main/upload/retry-policy';

const MIB = 1024 * 1024;

function job(overrides: Partial<UploadJobView>): UploadJobView {
  return {
    id: 'job',
    batchId: 'batch',
    name: 'a.mp3',
    key: 'tracks/a.mp3',
    state: 'queued',
    skipReason: null,
    message: null,
    bytesTotal: 0,
    bytesSent: 0,
    bytesRead: null,
    bytesPerSecond: 0,
    secondsLeft: null,
    attempts: 0,
    resumed: false,
    replaced: false,
    ...overrides,
  };
}

describe('RateMeter', () => {
  test('empty meter reports zero', () => {
    expect(new RateMeter().bytesPerSecond(1_000)).toBe(0);
  });

  test('young meter divides by at least one second', () => {
    const meter = new RateMeter(5_000);
    meter.record(500, 10_000);
    expect(meter.bytesPerSecond(10_000)).toBe(500);
  });

  test('averages over the elapsed time', () => {
    const meter = new RateMeter(5_000);
    meter.record(1_000, 10_000);
    meter.record(1_000, 11_000);
    meter.record(1_000, 12_000);
    expect(meter.bytesPerSecond(12_000)).toBe(1_500);
  });

  test('forgets samples older than the window', () => {
    const meter = new RateMeter(5_000);
    meter.record(100_000, 0);
    meter.record(5_000, 4_000);
    meter.record(5_000, 6_000);
    expect(meter.bytesPerSecond(6_000)).toBe(2_000);
  });

  test('stalled transfer decays to zero', () => {
    const meter = new RateMeter(5_000);
    meter.record(10_000, 0);
    expect(meter.bytesPerSecond(5_001)).toBe(0);
  });

  test('negative record takes back bytes', () => {
    const meter = new RateMeter(5_000);
    meter.record(4_000, 0);
    meter.record(-4_000, 1_000);
    meter.record(2_000, 2_000);
    expect(meter.bytesPerSecond(2_000)).toBe(1_000);
  });
});

describe('secondsLeft', () => {
  test('rounds up', () => {
    expect(secondsLeft(1_001, 1_000)).toBe(2);
  });

  test('nothing left is zero', () => {
    expect(secondsLeft(0, 0)).toBe(0);
  });

  test('stalled is unknown', () => {
    expect(secondsLeft(10, 0)).toBeNull();
  });
});

describe('computeTotals', () => {
  test('counts states and sums bytes of uploads', () => {
    const totals = computeTotals(
      [
        job({ id: 'a', state: 'uploading', bytesTotal: 100, bytesSent: 40 }),
        job({ id: 'b', state: 'preparing', bytesTotal: 50 }),
        job({ id: 'c', state: 'done', bytesTotal: 10, bytesSent: 10 }),
        job({ id: 'd', state: 'skipped', bytesTotal: 1_000 }),
        job({ id: 'e', state: 'failed', bytesTotal: 1_000, bytesSent: 5 }),
        job({ id: 'f', state: 'cancelled', bytesTotal: 1_000 }),
        job({ id: 'g', state: 'paused', bytesTotal: 20, bytesSent: 5 }),
        job({ id: 'h', state: 'verifying', bytesTotal: 30, bytesSent: 30 }),
        job({ id: 'i', state: 'conflict', bytesTotal: 1_000 }),
      ],
      10,
      () => false,
    );

    expect(totals.files).toBe(9);
    expect(totals.active).toBe(3);
    expect(totals.done).toBe(1);
    expect(totals.skipped).toBe(1);
    expect(totals.conflicts).toBe(1);
    expect(totals.failed).toBe(1);
    expect(totals.bytesTotal).toBe(210);
    expect(totals.bytesSent).toBe(85);
    expect(totals.bytesPerSecond).toBe(10);
    expect(totals.secondsLeft).toBe(13);
  });

  test('dry-run jobs carry no bytes', () => {
    const totals = computeTotals(
      [job({ id: 'a', state: 'done', bytesTotal: 100 }), job({ id: 'b', bytesTotal: 7 })],
      0,
      (view) => view.id === 'a',
    );
    expect(totals.bytesTotal).toBe(7);
    expect(totals.done).toBe(1);
  });

  test('sums files being read before upload', () => {
    const totals = computeTotals(
      [
        job({ id: 'a', state: 'preparing', bytesTotal: 200, bytesRead: 90 }),
        job({ id: 'b', state: 'preparing', bytesTotal: 100, bytesRead: 0 }),
        job({ id: 'c', state: 'preparing', bytesTotal: 50 }),
        job({ id: 'd', state: 'uploading', bytesTotal: 400, bytesSent: 10 }),
      ],
      0,
      () => false,
    );
    expect(totals.reading).toEqual({ files: 2, bytesRead: 90, bytesTotal: 300 });
  });

  test('bytes sent never exceed the total per job', () => {
    const totals = computeTotals([job({ bytesTotal: 10, bytesSent: 25 })], 0, () => false);
    expect(totals.bytesSent).toBe(10);
    expect(totals.secondsLeft).toBe(0);
  });
});

describe('checksums', () => {
  const sha = (data: string): Buffer => createHash('sha256').update(data).digest();

  test('single part is the whole-file digest', () => {
    const digest = sha('abc');
    const local = localChecksums(digest.toString('hex'), [digest.toString('base64')]);
    expect(local.full).toBe(digest.toString('base64'));
    expect(local.composite).toBeNull();
  });

  test('composite is the digest of part digests', () => {
    const parts = [sha('part one'), sha('part two')];
    const expected = createHash('sha256').update(Buffer.concat(parts)).digest('base64');
    const local = localChecksums(
      sha('whole').toString('hex'),
      parts.map((p) => p.toString('base64')),
    );
    expect(local.composite).toBe(`${expected}-2`);
  });

  test('accepts composite with or without part count', () => {
    const parts = [sha('1'), sha('2'), sha('3')].map((p) => p.toString('base64'));
    const local = localChecksums(sha('whole').toString('hex'), parts);
    const composite = local.composite ?? '';
    expect(checksumMatches(composite, local)).toBe(true);
    expect(checksumMatches(composite.replace(/-3$/, ''), local)).toBe(true);
    expect(checksumMatches(local.full, local)).toBe(true);
  });

  test('rejects a wrong part count or digest', () => {
    const parts = [sha('1'), sha('2')].map((p) => p.toString('base64'));
    const local = localChecksums(sha('whole').toString('hex'), parts);
    const composite = local.composite ?? '';
    expect(checksumMatches(composite.replace(/-2$/, '-3'), local)).toBe(false);
    expect(checksumMatches(sha('other').toString('base64'), local)).toBe(false);
  });
});

describe('retry policy', () => {
  test.each([
    ['SlowDown', { name: 'SlowDown' }],
    ['503', { name: 'ServiceUnavailable', $metadata: { httpStatusCode: 503 } }],
    ['500 unknown name', { name: 'Unknown', $metadata: { httpStatusCode: 500 } }],
    ['throttling 429', { name: 'TooMany', $metadata: { httpStatusCode: 429 } }],
    ['BadDigest', { name: 'BadDigest', $metadata: { httpStatusCode: 400 } }],
    ['connection reset', Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' })],
    ['socket hang up', new Error('socket hang up')],
    ['wrapped cause', new Error('failed', { cause: { code: 'EPIPE' } })],
  ])('retries %s', (_label, error) => {
    expect(isRetryableError(error)).toBe(true);
  });

  test.each([
    ['AccessDenied', { name: 'AccessDenied', $metadata: { httpStatusCode: 403 } }],
    ['NoSuchBucket', { name: 'NoSuchBucket', $metadata: { httpStatusCode: 404 } }],
    ['abort', Object.assign(new Error('aborted'), { name: 'AbortError' })],
    ['plain error', new Error('bad input')],
    ['string', 'boom'],
  ])('does not retry %s', (_label, error) => {
    expect(isRetryableError(error)).toBe(false);
  });

  test('backoff doubles up to the cap', () => {
    const policy = { maxAttempts: 10, baseDelayMs: 100, maxDelayMs: 1_000 };
    const highest = (attempt: number): number => backoffDelayMs(attempt, policy, () => 0.999_999);
    expect(highest(1)).toBe(99);
    expect(highest(2)).toBe(199);
    expect(highest(3)).toBe(399);
    expect(highest(5)).toBe(999);
    expect(backoffDelayMs(3, policy, () => 0)).toBe(0);
  });

  test('default policy is bounded', () => {
    expect(DEFAULT_RETRY_POLICY.maxAttempts).toBeGreaterThan(1);
    expect(DEFAULT_RETRY_POLICY.maxDelayMs).toBeGreaterThanOrEqual(
      DEFAULT_RETRY_POLICY.baseDelayMs,
    );
  });
});

describe('choosePartSize', () => {
  test('uses the setting for ordinary files', () => {
    expect(choosePartSize(1_000 * MIB, 8 * MIB)).toBe(8 * MIB);
  });

  test('never goes below the S3 minimum', () => {
    expect(choosePartSize(10 * MIB, 1 * MIB)).toBe(5 * MIB);
  });

  test('grows so a huge file fits in 10000 parts', () => {
    const size = 100_000 * MIB;
    const part = choosePartSize(size, 8 * MIB);
    expect(part).toBe(10 * MIB);
    expect(Math.ceil(size / part)).toBeLessThanOrEqual(10_000);
  });
});
