import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { inspectFile } from '../../electron/main/upload/inspect/inspect-file.js';
import { expectAudio, FIXTURES, partHashes, readManifest } from './inspect-helpers.js';

const PART_SIZE = 64 * 1024;
const DURATION_TOLERANCE = 0.5;
const manifest = readManifest();
const audioEntries = manifest.filter(
  (entry) => entry.file !== 'incomplete.mp3' && entry.file !== 'bug-non ascii chars.mp3',
);

const CONTENT_TYPES: Record<string, string> = {
  mp3: 'audio/mpeg',
  flac: 'audio/flac',
  ogg: 'audio/ogg',
  m4a: 'audio/mp4',
  wav: 'audio/wav',
  aiff: 'audio/aiff',
};

describe('inspectFile on the audio fixtures', () => {
  it.each(audioEntries.map((entry) => [entry.file, entry] as const))(
    'accepts %s with its tags, duration and hashes',
    async (file, entry) => {
      const path = `${FIXTURES}/${file}`;
      const bytes = readFileSync(path);
      const result = expectAudio(await inspectFile(path, { partSizeBytes: PART_SIZE }));
      const { expected } = entry;

      expect(result.sizeBytes).toBe(bytes.length);
      expect(result.sha256).toBe(entry.sha256);
      expect(result.partSha256).toEqual(partHashes(bytes, PART_SIZE));
      expect(result.contentType).toBe(CONTENT_TYPES[file.split('.').pop() ?? '']);
      if (expected.title !== null) expect(result.tags.title).toBe(expected.title);
      if (expected.artist !== null) expect(result.tags.artist).toBe(expected.artist);
      if (expected.album !== null) expect(result.tags.album).toBe(expected.album);
      if (expected.track !== null) expect(result.tags.trackNumber).toBe(expected.track);
      if (expected.container !== null) expect(result.container).toBe(expected.container);
      if (expected.codec !== null) expect(result.codec).toBe(expected.codec);
      if (expected.durationSeconds !== null) {
        expect(Math.abs(result.durationSeconds - expected.durationSeconds)).toBeLessThan(
          DURATION_TOLERANCE,
        );
      }
      expect(result.warnings).toEqual([]);

      const peaks = result.peaks;
      if (!peaks) throw new Error('no peaks');
      expect(peaks.durationSeconds).toBe(result.durationSeconds);
      expect(peaks.data.length).toBeGreaterThanOrEqual(1);
      expect(peaks.data.length).toBeLessThanOrEqual(2);
      for (const channel of peaks.data) {
        // 20 peaks per second by default, the last bucket partial.
        expect(channel).toHaveLength(Math.ceil(peaks.durationSeconds * 20));
        expect(channel.every((value) => value >= -1 && value <= 1)).toBe(true);
      }
      expect(peaks.data.flat().some((value) => value !== 0)).toBe(true);
    },
  );

  it('measures he_44khz.mp3 by decoding, not by its bitrate estimate', async () => {
    const result = expectAudio(
      await inspectFile(`${FIXTURES}/he_44khz.mp3`, { partSizeBytes: PART_SIZE }),
    );

    // 410 frames of 1 152 samples at 44.1 kHz; a bitrate estimate gives about 41 s.
    expect(result.durationSeconds).toBeCloseTo(10.71, 1);
    expect(result.peaks?.durationSeconds).toBe(result.durationSeconds);
  });

  it('rejects incomplete.mp3 as truncated by zero padding', async () => {
    const result = await inspectFile(`${FIXTURES}/incomplete.mp3`, { partSizeBytes: PART_SIZE });

    expect(result.kind).toBe('rejected');
    if (result.kind !== 'rejected') return;
    expect(result.reason).toBe('truncated');
    expect(result.message).toMatch(/audio stops at 49\.\d s of 61\.7 s/);
    expect(result.message).toContain('100 000 bytes are zeros');
    expect(result.message).toContain('Download or export the file again');
  });

  it('rejects the tag-only MP3 as holding no audio', async () => {
    const result = await inspectFile(`${FIXTURES}/bug-non ascii chars.mp3`, {
      partSizeBytes: PART_SIZE,
    });

    expect(result).toMatchObject({ kind: 'rejected', reason: 'no-audio', sizeBytes: 4624 });
    if (result.kind === 'rejected') expect(result.message).toContain('ID3v2.3');
  });

  it('rejects the non-audio files of the fixture folder', async () => {
    const listed = new Set(manifest.map((entry) => entry.file));
    const others = readdirSync(FIXTURES).filter((file) => !listed.has(file));

    expect(others.length).toBeGreaterThan(0);
    for (const file of others) {
      const result = await inspectFile(`${FIXTURES}/${file}`, { partSizeBytes: PART_SIZE });
      expect(result, file).toMatchObject({ kind: 'rejected', reason: 'not-audio' });
    }
  });
});
