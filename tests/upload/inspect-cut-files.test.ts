import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inspectFile } from '../../electron/main/upload/inspect/inspect-file.js';
import { expectAudio, FIXTURES } from './inspect-helpers.js';

const PART_SIZE = 64 * 1024;
// 2.12 s of 44.1 kHz 16-bit stereo in a 374 496-byte data chunk, then LIST and 'ID3 ' chunks.
const WAV = `${FIXTURES}/MusicBrainz - Beth Hart - Sinner's Prayer [id3v2.3].wav`;
// The same audio in a 374 504-byte SSND chunk, then an 'ID3 ' chunk.
const AIFF = `${FIXTURES}/MusicBrainz - Beth Hart - Sinner's Prayer [id3v2.4].aiff`;
const WAV_DATA_END = 374_540;
let dir: string;

const path = (name: string): string => join(dir, name);

/** Writes the first `bytes` bytes of `source` to `name`, as an interrupted copy leaves them. */
async function cut(source: string, bytes: number, name: string): Promise<string> {
  const content = await readFile(source);
  await writeFile(path(name), content.subarray(0, bytes));
  return path(name);
}

/** Runs SoX on raw 16-bit mono input and keeps its output read from a pipe, as `sox ... | cat`. */
function soxThroughPipe(type: 'wav' | 'aiff', input: Buffer): Promise<Buffer> {
  // -V1 keeps SoX's warning that it cannot fix the header on a pipe out of the test output.
  const args = ['-V1', '-t', 'raw', '-r', '8000', '-e', 'signed', '-b', '16', '-c', '1', '-'];
  const sox = spawn('sox', [...args, '-t', type, '-'], { stdio: ['pipe', 'pipe', 'inherit'] });
  const chunks: Buffer[] = [];
  sox.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
  sox.stdin.end(input);
  return new Promise((resolve, reject) => {
    sox.on('error', reject);
    sox.on('close', (code) =>
      code === 0 ? resolve(Buffer.concat(chunks)) : reject(new Error(`sox exited with ${code}`)),
    );
  });
}

async function rejection(file: string): Promise<string> {
  const result = await inspectFile(file, { partSizeBytes: PART_SIZE });
  if (result.kind !== 'rejected') {
    throw new Error(`expected a rejection, got ${result.kind} (${result.warnings.join(' ')})`);
  }
  expect(result.reason).toBe('truncated');
  return result.message;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cratebox-cut-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('cut WAV and AIFF fixtures', () => {
  it('rejects a WAV cut inside its audio', async () => {
    const file = await cut(WAV, 300_000, 'cut.wav');

    expect(await rejection(file)).toBe(
      'Truncated: the audio stops at 1.7 s of the 2.1 s that the WAV header declares, and the ' +
        'data chunk holds only 299 956 of its 374 496 bytes. Download or export the file again.',
    );
  });

  it('rejects an AIFF cut inside its audio', async () => {
    const file = await cut(AIFF, 300_000, 'cut.aiff');

    expect(await rejection(file)).toBe(
      'Truncated: the audio stops at 1.7 s of the 2.1 s that the AIFF header declares, and the ' +
        'SSND chunk holds only 299 946 of its 374 496 bytes. Download or export the file again.',
    );
  });

  it('rejects a WAV cut inside its tag chunk', async () => {
    const file = await cut(WAV, 500_000, 'cut-tag.wav');

    expect(await rejection(file)).toBe(
      "Truncated: the file ends inside its 'ID3 ' chunk, after 125 314 of its 221 416 bytes, " +
        'so tags or other data after the audio are missing. Download or export the file again.',
    );
  });

  it('rejects an AIFF cut inside its tag chunk', async () => {
    const file = await cut(AIFF, 500_000, 'cut-tag.aiff');

    expect(await rejection(file)).toContain("the file ends inside its 'ID3 ' chunk");
  });

  it('rejects a WAV cut right after its audio', async () => {
    const file = await cut(WAV, WAV_DATA_END, 'no-tags.wav');

    expect(await rejection(file)).toBe(
      'Truncated: the RIFF header declares 596 102 bytes but the file holds only 374 540, so ' +
        'tags or other data after the audio are missing. Download or export the file again.',
    );
  });

  it('warns about a WAV missing 3 ms', async () => {
    const file = await cut(WAV, WAV_DATA_END - 540, 'short.wav');

    const result = expectAudio(await inspectFile(file, { partSizeBytes: PART_SIZE }));

    expect(result.warnings).toEqual([
      'The last 3 ms of audio that the WAV header declares are missing from the file.',
    ]);
  });
});

describe('files written to a pipe', () => {
  // SoX cannot seek back on a pipe, so it leaves its placeholder sizes in the header.
  const noise = Buffer.alloc(8000 * 2 * 2);
  for (let offset = 0; offset < noise.length; offset += 2) {
    noise.writeInt16LE(((offset * 7919) % 20000) - 10000, offset);
  }

  it.each(['wav', 'aiff'] as const)('accepts a SoX %s with a warning', async (type) => {
    const file = path(`piped.${type}`);
    await writeFile(file, await soxThroughPipe(type, noise));

    const result = expectAudio(await inspectFile(file, { partSizeBytes: PART_SIZE }));

    expect(result.durationSeconds).toBe(2);
    expect(result.warnings).toHaveLength(1);
    expect(result.warnings[0]).toContain('header does not state the size of its');
  });
});
