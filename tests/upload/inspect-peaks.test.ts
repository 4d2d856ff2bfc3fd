import { readFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { readPcmLayout } from '../../electron/main/upload/inspect/containers/pcm-layout.js';
import { inspectFile } from '../../electron/main/upload/inspect/inspect-file.js';
import { createPcmDecoder } from '../../electron/main/upload/inspect/peaks/pcm-decoder.js';
import {
  PeakBuilder,
  samplesPerPeakFor,
} from '../../electron/main/upload/inspect/peaks/peak-builder.js';
import { DecodedAudioSink } from '../../electron/main/upload/inspect/peaks/stream-decoder.js';
import { expectAudio, FIXTURES } from './inspect-helpers.js';

describe('PeakBuilder', () => {
  it('keeps the signed sample of largest magnitude per bucket', () => {
    const builder = new PeakBuilder(10, 1, 4, 100);
    builder.add([Float32Array.from([0.1, -0.5, 0.3, 0.2, 0.9, -0.2, 0, 0, -0.01])], 9);

    const peaks = builder.finish();

    expect(peaks.data).toEqual([[-0.5, 0.9, -0.01]]);
    expect(peaks.durationSeconds).toBe(0.9);
    expect(peaks.sampleRate).toBe(10);
  });

  it('merges buckets to stay within the maximum count', () => {
    const frames = 10_000;
    const samples = new Float32Array(frames).fill(0.1);
    samples[7_777] = -0.8;
    const builder = new PeakBuilder(1000, 1, 1, 64);
    for (let start = 0; start < frames; start += 333) {
      builder.add([samples.subarray(start, start + 333)], Math.min(333, frames - start));
    }

    const [channel = []] = builder.finish().data;

    expect(channel.length).toBeLessThanOrEqual(64);
    expect(channel.length).toBeGreaterThan(32);
    expect(Math.min(...channel)).toBe(-0.8);
    expect(channel.filter((value) => value === -0.8)).toHaveLength(1);
  });

  it('clamps and rounds values to 4 decimals', () => {
    const builder = new PeakBuilder(4, 2, 2, 10);
    builder.add([Float32Array.from([1.2, 0]), Float32Array.from([0.123456, -0.5])], 2);

    expect(builder.finish().data).toEqual([[1], [-0.5]]);
  });

  it('sizes buckets by rate, and by the cap for long files', () => {
    expect(samplesPerPeakFor(44_100, 20, 8000, 44_100 * 60)).toBe(2205);
    expect(samplesPerPeakFor(44_100, 20, 8000, 44_100 * 3600)).toBe(19_845);
    expect(samplesPerPeakFor(44_100, 20, 8000, null)).toBe(2205);
  });
});

describe('PCM decoder', () => {
  const path = `${FIXTURES}/riff_adobe_audition.wav`;
  const bytes = readFileSync(path);

  async function peaksInChunksOf(size: number): Promise<number[][]> {
    const handle = await open(path);
    const result = await readPcmLayout(handle, bytes.length);
    await handle.close();
    if (!('layout' in result) || !result.layout.encoding) throw new Error('no PCM layout');
    const sink = new DecodedAudioSink({
      peaksPerSecond: 100,
      maxPeaks: 1000,
      expectedSeconds: null,
      channels: 2,
    });
    const decoder = createPcmDecoder(result.layout, result.layout.encoding, sink);
    for (let offset = 0; offset < bytes.length; offset += size) {
      await decoder.write(bytes.subarray(offset, offset + size));
    }
    const decoded = await decoder.end();
    expect(decoded.frames).toBe(13_171);
    return decoded.peaks?.data ?? [];
  }

  it('gives the same peaks whatever the chunk boundaries', async () => {
    const whole = await peaksInChunksOf(bytes.length);

    expect(whole).toHaveLength(2);
    for (const size of [1, 5, 4097]) {
      expect(await peaksInChunksOf(size)).toEqual(whole);
    }
  });
});

describe('inspectFile peaks', () => {
  it('honours peaksPerSecond and maxPeaks', async () => {
    const path = `${FIXTURES}/MusicBrainz - Beth Hart - Sinner's Prayer.flac`;
    const options = { partSizeBytes: 1 << 20 };

    const dense = expectAudio(await inspectFile(path, { ...options, peaksPerSecond: 100 }));
    const capped = expectAudio(await inspectFile(path, { ...options, maxPeaks: 10 }));

    expect(dense.peaks?.data[0]).toHaveLength(Math.ceil(dense.durationSeconds * 100));
    expect(capped.peaks?.data[0]).toHaveLength(10);
  });

  it('gives fewer peaks than the cap when the container overestimates the duration', async () => {
    // music-metadata estimates 41 s from the first frame's bitrate; 10.7 s decode.
    const result = expectAudio(
      await inspectFile(`${FIXTURES}/he_44khz.mp3`, { partSizeBytes: 1 << 20, maxPeaks: 50 }),
    );

    expect(result.peaks?.data[0]?.length).toBeLessThanOrEqual(50);
    expect(result.peaks?.data[0]?.length).toBeGreaterThan(10);
  });
});
