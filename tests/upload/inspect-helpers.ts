import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import type {
  AudioInspection,
  Inspection,
} from '../../electron/main/upload/inspect/inspect-file.js';
import { AUDIO_FIXTURES } from '../support/fixtures';

const execFileAsync = promisify(execFile);

/** Folder of the third-party audio fixtures and their manifest. */
export const FIXTURES = AUDIO_FIXTURES;

/** One entry of the fixtures' MANIFEST.json, limited to the fields the tests read. */
export interface ManifestEntry {
  file: string;
  sha256: string;
  decodedDurationSeconds: number | null;
  expected: {
    title: string | null;
    artist: string | null;
    album: string | null;
    track: number | null;
    durationSeconds: number | null;
    container: string | null;
    codec: string | null;
  };
}

/** Reads the fixtures' manifest. */
export function readManifest(): ManifestEntry[] {
  return JSON.parse(readFileSync(`${FIXTURES}/MANIFEST.json`, 'utf8')) as ManifestEntry[];
}

/** Runs ffmpeg quietly with the given arguments, overwriting the output. */
export async function ffmpeg(...args: string[]): Promise<void> {
  await execFileAsync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', ...args]);
}

/** Returns the SHA-256 of `bytes` per `partSize` slice, in base64, as S3 reports part checksums. */
export function partHashes(bytes: Uint8Array, partSize: number): string[] {
  const hashes: string[] = [];
  for (let offset = 0; offset < bytes.length; offset += partSize) {
    hashes.push(
      createHash('sha256')
        .update(bytes.subarray(offset, offset + partSize))
        .digest('base64'),
    );
  }
  return hashes;
}

/** Narrows an inspection to audio, failing with the rejection message otherwise. */
export function expectAudio(inspection: Inspection): AudioInspection {
  if (inspection.kind !== 'audio') {
    throw new Error(`expected audio, got ${inspection.reason}: ${inspection.message}`);
  }
  return inspection;
}

/** Sample encodings that {@link pcmFile} writes. */
export type TestEncoding = 's16le' | 's24le' | 'f32le' | 'u8' | 's16be' | 's24be' | 'f32be';

/**
 * Builds a WAV (little-endian encodings) or AIFF/AIFF-C (big-endian ones) file holding `frames`
 * for each channel, with sample values in [-1, 1].
 */
export function pcmFile(
  channels: Float32Array[],
  sampleRate: number,
  encoding: TestEncoding,
): Buffer {
  const bytesPerSample = encoding.includes('24')
    ? 3
    : encoding === 'u8'
      ? 1
      : encoding.includes('16')
        ? 2
        : 4;
  const frames = channels[0]?.length ?? 0;
  const data = Buffer.alloc(frames * channels.length * bytesPerSample);
  let at = 0;
  for (let frame = 0; frame < frames; frame += 1) {
    for (const channel of channels) {
      writeSample(data, at, channel[frame] ?? 0, encoding);
      at += bytesPerSample;
    }
  }
  return encoding.endsWith('be')
    ? aiffFile(data, channels.length, sampleRate, bytesPerSample, encoding)
    : wavFile(data, channels.length, sampleRate, bytesPerSample, encoding);
}

function writeSample(data: Buffer, at: number, value: number, encoding: TestEncoding): void {
  switch (encoding) {
    case 'u8':
      data.writeUInt8(Math.round(value * 127) + 128, at);
      break;
    case 's16le':
      data.writeInt16LE(Math.round(value * 32767), at);
      break;
    case 's16be':
      data.writeInt16BE(Math.round(value * 32767), at);
      break;
    case 's24le':
      data.writeIntLE(Math.round(value * 8388607), at, 3);
      break;
    case 's24be':
      data.writeIntBE(Math.round(value * 8388607), at, 3);
      break;
    case 'f32le':
      data.writeFloatLE(value, at);
      break;
    case 'f32be':
      data.writeFloatBE(value, at);
      break;
  }
}

function wavFile(
  data: Buffer,
  channels: number,
  sampleRate: number,
  bytesPerSample: number,
  encoding: TestEncoding,
): Buffer {
  const fmt = Buffer.alloc(24);
  fmt.write('fmt ', 0, 'latin1');
  fmt.writeUInt32LE(16, 4);
  fmt.writeUInt16LE(encoding === 'f32le' ? 3 : 1, 8);
  fmt.writeUInt16LE(channels, 10);
  fmt.writeUInt32LE(sampleRate, 12);
  fmt.writeUInt32LE(sampleRate * channels * bytesPerSample, 16);
  fmt.writeUInt16LE(channels * bytesPerSample, 20);
  fmt.writeUInt16LE(bytesPerSample * 8, 22);
  const dataHeader = Buffer.alloc(8);
  dataHeader.write('data', 0, 'latin1');
  dataHeader.writeUInt32LE(data.length, 4);
  const pad = Buffer.alloc(data.length % 2);
  const riff = Buffer.alloc(12);
  riff.write('RIFF', 0, 'latin1');
  riff.writeUInt32LE(4 + fmt.length + dataHeader.length + data.length + pad.length, 4);
  riff.write('WAVE', 8, 'latin1');
  return Buffer.concat([riff, fmt, dataHeader, data, pad]);
}

function aiffFile(
  data: Buffer,
  channels: number,
  sampleRate: number,
  bytesPerSample: number,
  encoding: TestEncoding,
): Buffer {
  const isFloat = encoding === 'f32be';
  const comm = Buffer.alloc(8 + (isFloat ? 24 : 18));
  comm.write('COMM', 0, 'latin1');
  comm.writeUInt32BE(comm.length - 8, 4);
  comm.writeUInt16BE(channels, 8);
  comm.writeUInt32BE(data.length / (channels * bytesPerSample), 10);
  comm.writeUInt16BE(bytesPerSample * 8, 14);
  writeExtended(comm, 16, sampleRate);
  if (isFloat) {
    comm.write('fl32', 26, 'latin1');
    comm.writeUInt8(0, 30);
  }
  const ssnd = Buffer.alloc(16);
  ssnd.write('SSND', 0, 'latin1');
  ssnd.writeUInt32BE(8 + data.length, 4);
  const pad = Buffer.alloc(data.length % 2);
  const form = Buffer.alloc(12);
  form.write('FORM', 0, 'latin1');
  form.writeUInt32BE(4 + comm.length + ssnd.length + data.length + pad.length, 4);
  form.write(isFloat ? 'AIFC' : 'AIFF', 8, 'latin1');
  return Buffer.concat([form, comm, ssnd, data, pad]);
}

/** Writes a positive integer as an 80-bit IEEE 754 extended float, as AIFF stores its rate. */
function writeExtended(target: Buffer, offset: number, value: number): void {
  const exponent = Math.floor(Math.log2(value));
  const mantissa = BigInt(Math.round(value * 2 ** (63 - exponent)));
  target.writeUInt16BE(16383 + exponent, offset);
  target.writeBigUInt64BE(mantissa, offset + 2);
}
