import { mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readPcmLayout } from '../../electron/main/upload/inspect/containers/pcm-layout.js';
import type {
  PcmEncoding,
  PcmLayout,
} from '../../electron/main/upload/inspect/containers/pcm-layout.js';
import { createPcmDecoder } from '../../electron/main/upload/inspect/peaks/pcm-decoder.js';
import { fastScanner, sampleReader } from '../../electron/main/upload/inspect/peaks/pcm-samples.js';
import { DecodedAudioSink } from '../../electron/main/upload/inspect/peaks/stream-decoder.js';
import type { DecodeResult } from '../../electron/main/upload/inspect/peaks/stream-decoder.js';
import { pcmFile } from './inspect-helpers.js';
import type { TestEncoding } from './inspect-helpers.js';

const RATE = 8_000;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cratebox-pcm-scan-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/**
 * Returns 5 s of noise per channel with full-scale samples of both signs and a bucket whose
 * largest positive and negative samples have the same magnitude.
 */
function testSignal(channels: number): Float32Array[] {
  let state = 12_345;
  const random = (): number => {
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
    return (state / 2_147_483_648) * 2 - 1;
  };
  return Array.from({ length: channels }, (_, channel) => {
    const samples = Float32Array.from({ length: RATE * 5 + 7 }, () => random() * 0.7);
    samples[1_000 + channel] = 1;
    samples[9_000 + channel] = -1;
    samples[20_000] = 0.75;
    samples[20_001] = -0.75;
    return samples;
  });
}

/** Layout of a file whose samples the PCM reader handles. */
type ReadableLayout = PcmLayout & { encoding: PcmEncoding };

async function layoutOf(bytes: Buffer, name: string): Promise<ReadableLayout> {
  const path = join(dir, name);
  await writeFile(path, bytes);
  const handle = await open(path);
  try {
    const result = await readPcmLayout(handle, bytes.length);
    const encoding = 'layout' in result ? result.layout.encoding : null;
    if (!('layout' in result) || encoding === null) {
      throw new Error(`no PCM layout in ${name}`);
    }
    return { ...result.layout, encoding };
  } finally {
    await handle.close();
  }
}

/**
 * Decodes `bytes` in chunks of `chunkBytes`. With `misaligned`, each chunk is copied to an odd
 * byte offset of a larger buffer, so the typed-array views need the aligned copy.
 */
async function decode(
  bytes: Buffer,
  layout: ReadableLayout,
  options: { generic: boolean; chunkBytes: number; misaligned?: boolean },
): Promise<DecodeResult> {
  const sink = new DecodedAudioSink({
    peaksPerSecond: 7,
    maxPeaks: 20,
    expectedSeconds: 2,
    channels: 2,
  });
  const decoder = createPcmDecoder(layout, layout.encoding, sink, { generic: options.generic });
  for (let offset = 0; offset < bytes.length; offset += options.chunkBytes) {
    const chunk = bytes.subarray(offset, offset + options.chunkBytes);
    if (options.misaligned === true) {
      const holder = new Uint8Array(chunk.length + 1);
      holder.set(chunk, 1);
      await decoder.write(holder.subarray(1));
    } else {
      await decoder.write(chunk);
    }
  }
  return decoder.end();
}

describe('PCM fast scans', () => {
  const cases: [TestEncoding, number][] = [];
  for (const encoding of ['s16le', 's24le', 'f32le'] as const) {
    for (const channels of [1, 2, 3]) {
      cases.push([encoding, channels]);
    }
  }

  it.each(cases)('match the generic reader for %s with %i channels', async (encoding, channels) => {
    const bytes = pcmFile(testSignal(channels), RATE, encoding);
    const layout = await layoutOf(bytes, `${encoding}-${channels}.wav`);
    // Guards against comparing the generic reader with itself.
    expect(fastScanner(layout.encoding, layout.bytesPerFrame)).not.toBeNull();

    const generic = await decode(bytes, layout, { generic: true, chunkBytes: bytes.length });
    expect(generic.frames).toBe(RATE * 5 + 7);
    expect(generic.peaks?.data).toHaveLength(Math.min(channels, 2));

    for (const chunkBytes of [bytes.length, 4_097, 1_000]) {
      for (const misaligned of [false, true]) {
        const fast = await decode(bytes, layout, { generic: false, chunkBytes, misaligned });
        expect(fast.frames).toBe(generic.frames);
        expect(fast.peaks).toEqual(generic.peaks);
      }
    }
  });

  it.each(cases)(
    'find the exact extreme sample for %s with %i channels',
    async (encoding, channels) => {
      const bytes = pcmFile(testSignal(channels), RATE, encoding);
      const layout = await layoutOf(bytes, `raw-${encoding}-${channels}.wav`);
      const { encoding: pcm, bytesPerFrame, dataOffset, availableDataBytes } = layout;
      const scanner = pcm && fastScanner(pcm, bytesPerFrame);
      if (!pcm || !scanner) {
        throw new Error(`no fast scanner for ${encoding}`);
      }
      const data = bytes.subarray(dataOffset, dataOffset + availableDataBytes);
      const scan = scanner.over(data);
      const read = sampleReader(pcm);
      const view = new DataView(data.buffer, data.byteOffset, data.byteLength);

      for (const [firstFrame, count] of [
        [0, 1],
        [0, 1_500],
        [999, 3],
        [8_990, 20_000],
        [39_000, 1_007],
      ]) {
        for (let channel = 0; channel < channels; channel += 1) {
          for (const seed of [0, 0.3, -0.9]) {
            const firstByte = (firstFrame as number) * bytesPerFrame + channel * pcm.bytesPerSample;
            let expected = seed;
            for (let frame = 0; frame < (count as number); frame += 1) {
              const value = Math.fround(read(view, firstByte + frame * bytesPerFrame));
              if (Math.abs(value) > Math.abs(expected) || (value === -expected && value > 0)) {
                expected = value;
              }
            }
            expect(scan(firstByte, count as number, seed)).toBe(expected);
          }
        }
      }
    },
  );

  it('keep the positive sample when both signs tie', async () => {
    const bytes = pcmFile(testSignal(1), RATE, 's16le');
    const layout = await layoutOf(bytes, 'tie.wav');

    const fast = await decode(bytes, layout, { generic: false, chunkBytes: bytes.length });

    // Samples 20 000 (0.75) and 20 001 (-0.75) share a bucket, and no other sample reaches 0.75.
    expect(fast.peaks?.data[0]).toContain(0.75);
    expect(fast.peaks?.data[0]).not.toContain(-0.75);
  });
});
