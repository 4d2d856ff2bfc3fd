import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import {
  OggPageWalker,
  readLastGranule,
} from '../../electron/main/upload/inspect/containers/ogg-pages.js';
import { PartHasher } from '../../electron/main/upload/inspect/hash.js';
import {
  failSoft,
  type DecodeResult,
  type StreamDecoder,
} from '../../electron/main/upload/inspect/peaks/stream-decoder.js';
import { ZERO_TAIL_MIN_BYTES, ZeroTailGate } from '../../electron/main/upload/inspect/zero-tail.js';
import { FIXTURES, partHashes } from './inspect-helpers.js';

/** Splits `bytes` into chunks of the given sizes, repeating the last size. */
function chunked(bytes: Uint8Array, sizes: number[]): { chunk: Uint8Array; offset: number }[] {
  const chunks: { chunk: Uint8Array; offset: number }[] = [];
  let offset = 0;
  for (let index = 0; offset < bytes.length; index += 1) {
    const size = sizes[Math.min(index, sizes.length - 1)] ?? bytes.length;
    chunks.push({ chunk: bytes.subarray(offset, offset + size), offset });
    offset += size;
  }
  return chunks;
}

const SPLITS = [[1], [7], [4095, 3], [65_536], [1_000_000]];

describe('PartHasher', () => {
  const bytes = randomBytes(25_000);

  it.each(SPLITS)('matches node:crypto in chunks of %j', (...sizes) => {
    const hasher = new PartHasher(10_000);
    for (const { chunk } of chunked(bytes, sizes)) {
      hasher.update(chunk);
    }

    const { sha256, partSha256 } = hasher.digest();

    expect(sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
    expect(partSha256).toEqual(partHashes(bytes, 10_000));
    expect(partSha256).toHaveLength(3);
  });

  it('ends a file that fills its last part exactly without an empty part', () => {
    const hasher = new PartHasher(5_000);
    hasher.update(bytes.subarray(0, 20_000));

    expect(hasher.digest().partSha256).toEqual(partHashes(bytes.subarray(0, 20_000), 5_000));
  });

  it.each([0, -1, 1.5, Number.NaN])('rejects a part size of %d', (size) => {
    expect(() => new PartHasher(size)).toThrow(RangeError);
  });
});

describe('ZeroTailGate', () => {
  const body = randomBytes(20_000).map((byte) => byte || 1);
  // A run of zeros inside the stream, longer than the padding threshold, must reach the decoder.
  body.fill(0, 5_000, 5_000 + 2 * ZERO_TAIL_MIN_BYTES);

  async function feed(bytes: Uint8Array, sizes: number[], audioEnd = bytes.length) {
    const forwarded: Uint8Array[] = [];
    const gate = new ZeroTailGate(audioEnd, async (part) => {
      forwarded.push(Uint8Array.from(part));
    });
    for (const { chunk, offset } of chunked(bytes, sizes)) {
      await gate.write(chunk, offset);
    }
    await gate.end();
    return { tail: gate.tailBytes, forwarded: Buffer.concat(forwarded) };
  }

  it.each(SPLITS)('withholds a long zero tail in chunks of %j', async (...sizes) => {
    const bytes = Buffer.concat([body, Buffer.alloc(10_000)]);

    const { tail, forwarded } = await feed(bytes, sizes);

    expect(tail).toBe(10_000);
    expect(forwarded.equals(body)).toBe(true);
  });

  it.each(SPLITS)('forwards a short zero tail in chunks of %j', async (...sizes) => {
    const bytes = Buffer.concat([body, Buffer.alloc(100)]);

    const { tail, forwarded } = await feed(bytes, sizes);

    expect(tail).toBe(100);
    expect(forwarded.equals(bytes)).toBe(true);
  });

  it('ignores bytes after the end of the audio part', async () => {
    const tag = Buffer.from('TAG'.padEnd(128, 'x'), 'latin1');
    const bytes = Buffer.concat([body, Buffer.alloc(8_000), tag]);

    const { tail, forwarded } = await feed(bytes, [1_000], bytes.length - tag.length);

    expect(tail).toBe(8_000);
    expect(forwarded.equals(body)).toBe(true);
  });
});

describe('OggPageWalker', () => {
  const ogg = readFileSync(`${FIXTURES}/nirvana-2sec.vorbis.ogg`);

  function walk(bytes: Uint8Array, sizes: number[]) {
    const walker = new OggPageWalker();
    for (const { chunk, offset } of chunked(bytes, sizes)) {
      walker.write(chunk, offset);
    }
    return walker.finish(bytes.length);
  }

  it.each(SPLITS)('walks a complete file in chunks of %j', (...sizes) => {
    const result = walk(ogg, sizes);

    expect(result.cutPage).toBeNull();
    expect(result.lostSyncAt).toBeNull();
    expect(result.endsWithEndOfStream).toBe(true);
    expect(result).toEqual(walk(ogg, [ogg.length]));
  });

  it.each(SPLITS)('finds a cut page in chunks of %j', (...sizes) => {
    const cut = ogg.subarray(0, 30_000);

    const result = walk(cut, sizes);

    expect(result.cutPage).not.toBeNull();
    expect(result.cutPage?.presentBytes).toBe(30_000 - (result.cutPage?.offset ?? 0));
    expect(result.endsWithEndOfStream).toBe(false);
  });

  it('reports where zeros replace the next page', () => {
    // 55 000 falls inside a page that ends before the zeros do, so a page must start in them.
    const padded = Buffer.concat([ogg.subarray(0, 55_000), Buffer.alloc(10_000)]);

    const result = walk(padded, [4096]);

    expect(result.cutPage).toBeNull();
    expect(result.lostSyncAt).toBeGreaterThan(55_000);
    expect(result.lostSyncAt).toBeLessThan(padded.length);
    expect(result.endsWithEndOfStream).toBe(false);
  });
});

describe('readLastGranule', () => {
  it.each([
    ['nirvana-2sec.vorbis.ogg', 2 * 44_100],
    // Opus counts at 48 kHz and includes the pre-skip of 312 samples.
    ['nirvana-2sec.opus.ogg', 2 * 48_000 + 312],
  ])('reads the sample count of %s', async (file, samples) => {
    const handle = await open(`${FIXTURES}/${file}`);
    try {
      const { size } = await handle.stat();

      expect(await readLastGranule(handle, size)).toBe(samples);
    } finally {
      await handle.close();
    }
  });
});

describe('failSoft', () => {
  it('turns a decoder exception into a failure result', async () => {
    const written: number[] = [];
    const throwing: StreamDecoder = {
      name: 'test decoder',
      needsBytes: true,
      async write(bytes) {
        written.push(bytes.length);
        if (written.length === 2) throw new Error('invalid frame');
      },
      async end(): Promise<DecodeResult> {
        throw new Error('end must not be reached');
      },
      free() {},
    };
    const decoder = failSoft(throwing);

    for (const size of [1, 2, 3]) {
      await decoder.write(new Uint8Array(size));
    }
    const result = await decoder.end();

    expect(written).toEqual([1, 2]);
    expect(result.failure).toBe('test decoder failed: invalid frame');
    expect(result.peaks).toBeNull();
  });
});
