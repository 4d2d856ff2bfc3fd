import { copyFile, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inspectFile } from '../../electron/main/upload/inspect/inspect-file.js';
import { expectAudio, ffmpeg, FIXTURES, pcmFile } from './inspect-helpers.js';

const PART_SIZE = 64 * 1024;
let dir: string;

/** Encodings of one 3-second stereo tone, by output file name. */
const ENCODINGS: Record<string, string[]> = {
  'tone.flac': ['-c:a', 'flac'],
  'tone.mp3': ['-c:a', 'libmp3lame', '-b:a', '128k'],
  'tone.ogg': ['-c:a', 'libvorbis'],
  'tone.opus': ['-c:a', 'libopus'],
  // ffmpeg writes the moov box after the audio unless -movflags +faststart is set.
  'tone.m4a': ['-c:a', 'aac'],
  'tone-faststart.m4a': ['-c:a', 'aac', '-movflags', '+faststart'],
  'tone.wav': ['-c:a', 'pcm_s16le'],
  'tone.aiff': ['-c:a', 'pcm_s16be'],
  'tone.wv': ['-c:a', 'wavpack'],
};

const path = (name: string): string => join(dir, name);

/** Writes the first half of `source` to `target`, as a copy interrupted midway would. */
async function cutInHalf(source: string, target: string): Promise<void> {
  const bytes = await readFile(path(source));
  await writeFile(path(target), bytes.subarray(0, Math.floor(bytes.length / 2)));
}

/** Keeps the first half of `source` and replaces the rest with zeros, keeping the size. */
async function zeroSecondHalf(source: string, target: string): Promise<void> {
  const bytes = Buffer.from(await readFile(path(source)));
  bytes.fill(0, Math.floor(bytes.length / 2));
  await writeFile(path(target), bytes);
}

/** Builds a 1x1 grayscale PNG. */
function tinyPng(): Buffer {
  const chunk = (type: string, data: Buffer): Buffer => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    return Buffer.concat([length, Buffer.from(type, 'latin1'), data, Buffer.alloc(4)]);
  };
  const header = Buffer.from([0, 0, 0, 1, 0, 0, 0, 1, 8, 0, 0, 0, 0]);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(Buffer.from([0, 0]))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cratebox-inspect-'));
  const tone = ['-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=44100:duration=3', '-ac', '2'];
  await Promise.all([
    ...Object.entries(ENCODINGS).map(([name, codec]) => ffmpeg(...tone, ...codec, path(name))),
    ffmpeg('-f', 'lavfi', '-i', 'anullsrc=r=44100:cl=stereo', '-t', '3', path('silence.wav')),
    ffmpeg(
      ...['-f', 'lavfi', '-i', 'testsrc=size=64x64:rate=10:duration=1'],
      ...['-f', 'lavfi', '-i', 'sine=duration=1', '-c:v', 'mpeg4', '-c:a', 'aac'],
      path('video.m4a'),
    ),
  ]);
  await Promise.all([
    ...Object.keys(ENCODINGS).map((name) => cutInHalf(name, `half-${name}`)),
    zeroSecondHalf('tone.mp3', 'zeroed.mp3'),
    zeroSecondHalf('tone.flac', 'zeroed.flac'),
    zeroSecondHalf('tone-faststart.m4a', 'zeroed.m4a'),
    copyFile(path('tone.flac'), path('flac-named.txt')),
    copyFile(`${FIXTURES}/README.md`, path('text-named.mp3')),
    writeFile(path('png-named.mp3'), tinyPng()),
    writeFile(path('empty.mp3'), Buffer.alloc(0)),
  ]);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('inspectFile on generated files', () => {
  it.each(Object.keys(ENCODINGS))('accepts the complete %s', async (name) => {
    const result = expectAudio(await inspectFile(path(name), { partSizeBytes: PART_SIZE }));

    expect(result.durationSeconds).toBeGreaterThan(2.9);
    expect(result.durationSeconds).toBeLessThan(3.1);
    expect(result.peaks?.data.length).toBeGreaterThan(0);
    expect(result.warnings).toEqual([]);
  });

  it.each(Object.keys(ENCODINGS))('rejects %s cut in half as truncated', async (name) => {
    const result = await inspectFile(path(`half-${name}`), { partSizeBytes: PART_SIZE });

    expect(result).toMatchObject({ kind: 'rejected', reason: 'truncated' });
    if (result.kind === 'rejected') {
      expect(result.message).toMatch(/^Truncated: .+\. Download or export the file again\.$/);
    }
  });

  it.each(['zeroed.mp3', 'zeroed.flac', 'zeroed.m4a'])(
    'rejects %s whose second half is zeros',
    async (name) => {
      const result = await inspectFile(path(name), { partSizeBytes: PART_SIZE });

      expect(result).toMatchObject({ kind: 'rejected', reason: 'truncated' });
      if (result.kind === 'rejected') expect(result.message).toContain('bytes are zeros');
    },
  );

  it('accepts a WAV of pure digital silence', async () => {
    const result = expectAudio(
      await inspectFile(path('silence.wav'), { partSizeBytes: PART_SIZE }),
    );

    expect(result.durationSeconds).toBeCloseTo(3, 3);
    expect(result.peaks?.data.flat().every((value) => value === 0)).toBe(true);
    expect(result.warnings).toEqual([]);
  });

  it('accepts FLAC content in a .txt file', async () => {
    const result = expectAudio(
      await inspectFile(path('flac-named.txt'), { partSizeBytes: PART_SIZE }),
    );

    expect(result.contentType).toBe('audio/flac');
    expect(result.codec).toBe('FLAC');
  });

  it('rejects a PNG named .mp3 and names it', async () => {
    const result = await inspectFile(path('png-named.mp3'), { partSizeBytes: PART_SIZE });

    expect(result).toMatchObject({ kind: 'rejected', reason: 'not-audio' });
    if (result.kind === 'rejected') expect(result.message).toContain('this is a PNG image');
  });

  it('rejects text named .mp3 and names it', async () => {
    const result = await inspectFile(path('text-named.mp3'), { partSizeBytes: PART_SIZE });

    expect(result).toMatchObject({ kind: 'rejected', reason: 'not-audio' });
    if (result.kind === 'rejected') expect(result.message).toContain('this is a text file');
  });

  it('rejects an MP4 with a video track as not audio', async () => {
    const result = await inspectFile(path('video.m4a'), { partSizeBytes: PART_SIZE });

    expect(result).toMatchObject({ kind: 'rejected', reason: 'not-audio' });
    // file-type names the ffmpeg MP4 brand M4V.
    if (result.kind === 'rejected') expect(result.message).toContain('this is an M4V video');
  });

  it('rejects an empty file', async () => {
    const result = await inspectFile(path('empty.mp3'), { partSizeBytes: PART_SIZE });

    expect(result).toEqual({
      kind: 'rejected',
      reason: 'empty',
      message: expect.stringContaining('empty') as unknown,
      sizeBytes: 0,
    });
  });

  it('returns no peaks, with a warning, when ffmpeg is missing for AAC', async () => {
    const result = expectAudio(
      await inspectFile(path('tone.m4a'), {
        partSizeBytes: PART_SIZE,
        ffmpegPath: join(dir, 'no-such-ffmpeg'),
      }),
    );

    expect(result.peaks).toBeNull();
    expect(result.warnings).toHaveLength(1);
    expect(result.warnings[0]).toContain('ffmpeg was not found');
    // Without a decoder the duration is the one the container declares.
    expect(result.durationSeconds).toBeCloseTo(3, 1);
  });

  it('returns no peaks, with a warning, when ffmpeg is turned off', async () => {
    const result = expectAudio(
      await inspectFile(path('tone.m4a'), { partSizeBytes: PART_SIZE, ffmpegPath: null }),
    );

    expect(result.peaks).toBeNull();
    expect(result.warnings).toEqual([
      'No waveform: no bundled decoder handles MPEG-4/AAC, and ffmpeg is off.',
    ]);
  });

  it('still detects a cut M4A without ffmpeg', async () => {
    const result = await inspectFile(path('half-tone-faststart.m4a'), {
      partSizeBytes: PART_SIZE,
      ffmpegPath: null,
    });

    expect(result).toMatchObject({ kind: 'rejected', reason: 'truncated' });
    if (result.kind === 'rejected') expect(result.message).toContain("'mdat' box declares");
  });
});

describe('inspectFile on generated PCM files', () => {
  const rate = 8000;
  // One second at +0.25, then one second whose loudest sample is -0.75.
  const left = new Float32Array(2 * rate).map((_, index) => (index < rate ? 0.25 : -0.75));
  const right = new Float32Array(2 * rate).fill(0.5);

  it.each(['s16le', 's24le', 'f32le', 'u8', 's16be', 's24be', 'f32be'] as const)(
    'reads %s samples at their values',
    async (encoding) => {
      const name = `pcm-${encoding}.${encoding.endsWith('be') ? 'aiff' : 'wav'}`;
      await writeFile(path(name), pcmFile([left, right], rate, encoding));

      const result = expectAudio(
        await inspectFile(path(name), { partSizeBytes: PART_SIZE, peaksPerSecond: 2 }),
      );
      const [leftPeaks, rightPeaks] = result.peaks?.data ?? [];
      const precision = encoding === 'u8' ? 1 : 3;

      expect(result.durationSeconds).toBe(2);
      expect(result.peaks?.sampleRate).toBe(rate);
      expect(leftPeaks).toHaveLength(4);
      leftPeaks?.forEach((value, index) =>
        expect(value).toBeCloseTo(index < 2 ? 0.25 : -0.75, precision),
      );
      rightPeaks?.forEach((value) => expect(value).toBeCloseTo(0.5, precision));
    },
  );

  it('rejects a WAV whose data chunk runs past the end of the file', async () => {
    const bytes = pcmFile([left, right], rate, 's16le');
    // The last second of 4-byte frames is missing.
    await writeFile(path('cut.wav'), bytes.subarray(0, bytes.length - rate * 4));

    const result = await inspectFile(path('cut.wav'), { partSizeBytes: PART_SIZE });

    expect(result).toMatchObject({ kind: 'rejected', reason: 'truncated' });
    if (result.kind === 'rejected') {
      expect(result.message).toBe(
        'Truncated: the audio stops at 1.0 s of the 2.0 s that the WAV header declares, and ' +
          'the data chunk holds only 32 000 of its 64 000 bytes. Download or export the file again.',
      );
    }
  });

  it('warns but accepts a WAV missing less than the tolerance', async () => {
    const bytes = pcmFile([left, right], rate, 's16le');
    // 40 frames of 4 bytes: 5 ms of audio.
    await writeFile(path('short.wav'), bytes.subarray(0, bytes.length - 160));

    const result = expectAudio(await inspectFile(path('short.wav'), { partSizeBytes: PART_SIZE }));

    expect(result.durationSeconds).toBeCloseTo(1.995, 3);
    expect(result.warnings).toEqual([
      'The last 5 ms of audio that the WAV header declares are missing from the file.',
    ]);
  });

  it('rejects a WAV missing 50 ms', async () => {
    const bytes = pcmFile([left, right], rate, 's16le');
    // 400 frames of 4 bytes.
    await writeFile(path('short-50ms.wav'), bytes.subarray(0, bytes.length - 1600));

    const result = await inspectFile(path('short-50ms.wav'), { partSizeBytes: PART_SIZE });

    expect(result).toMatchObject({ kind: 'rejected', reason: 'truncated' });
  });

  it('hashes a multi-part file like node:crypto', async () => {
    const file = path('pcm-s16le.wav');
    const bytes = await readFile(file);
    const { size } = await stat(file);
    const partSize = 10_000;

    const result = expectAudio(await inspectFile(file, { partSizeBytes: partSize }));

    expect(result.sizeBytes).toBe(size);
    expect(result.partSha256).toHaveLength(Math.ceil(size / partSize));
    const { partHashes } = await import('./inspect-helpers.js');
    expect(result.partSha256).toEqual(partHashes(bytes, partSize));
  });
});
