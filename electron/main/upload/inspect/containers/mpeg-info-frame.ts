import type { FileHandle } from 'node:fs/promises';
import { fourCc, readAt } from './read-at.js';

/**
 * Frame count from the Xing/Info or VBRI header that encoders write in the first MPEG frame.
 *
 * music-metadata turns this header into a duration but does not say whether a duration came from
 * it or from a bitrate estimate. The difference matters here. A frame count is exact and shows
 * that audio is missing. An estimate can be far off on a valid file (a VBR file without this
 * header), so only a frame count may declare a file truncated.
 */
export interface MpegInfoFrame {
  tag: 'Xing' | 'Info' | 'VBRI';
  frames: number;
  samplesPerFrame: number;
  sampleRate: number;
}

interface FrameHeader {
  version: 1 | 2 | 2.5;
  layer: 1 | 2 | 3;
  sampleRate: number;
  frameBytes: number;
  samplesPerFrame: number;
  mono: boolean;
}

/** Bytes searched after the ID3v2 tag for the first frame. */
const SEARCH_BYTES = 64 * 1024;

// Bitrates in kbit/s by bitrate index 1 to 14.
const BITRATES: Record<string, number[]> = {
  '1-1': [32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448],
  '1-2': [32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384],
  '1-3': [32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320],
  '2-1': [32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256],
  '2-2': [8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
};

/** MPEG version by the two version bits of the frame header; 1 is reserved. */
const VERSIONS: Record<number, 1 | 2 | 2.5> = { 0: 2.5, 2: 2, 3: 1 };

const SAMPLE_RATES: Record<string, number[]> = {
  '1': [44100, 48000, 32000],
  '2': [22050, 24000, 16000],
  '2.5': [11025, 12000, 8000],
};

/** Reads the Xing/Info or VBRI header of an MPEG audio file, or returns null when there is none. */
export async function readMpegInfoFrame(handle: FileHandle): Promise<MpegInfoFrame | null> {
  const start = await mpegAudioStart(handle);
  const window = await readAt(handle, start, SEARCH_BYTES);

  for (let offset = 0; offset + 4 <= window.length; offset += 1) {
    const frame = parseFrameHeader(window, offset);
    if (!frame) {
      continue;
    }
    // A sync word can occur by chance; a real frame is followed by another one.
    const next = offset + frame.frameBytes;
    if (next + 4 <= window.length && !parseFrameHeader(window, next)) {
      continue;
    }
    return readInfoTag(window, offset, frame);
  }
  return null;
}

/** Returns the offset of the first byte after an ID3v2 tag, or 0 when the file has none. */
export async function mpegAudioStart(handle: FileHandle): Promise<number> {
  const header = await readAt(handle, 0, 10);
  if (header.length < 10 || header.toString('latin1', 0, 3) !== 'ID3') {
    return 0;
  }
  // The tag size is a 28-bit "syncsafe" integer: 7 bits per byte.
  const size =
    ((header[6] ?? 0) << 21) |
    ((header[7] ?? 0) << 14) |
    ((header[8] ?? 0) << 7) |
    (header[9] ?? 0);
  const footer = ((header[5] ?? 0) & 0x10) !== 0 ? 10 : 0;
  return 10 + size + footer;
}

function parseFrameHeader(bytes: Buffer, offset: number): FrameHeader | null {
  const b1 = bytes[offset + 1] ?? 0;
  const b2 = bytes[offset + 2] ?? 0;
  const b3 = bytes[offset + 3] ?? 0;
  if (bytes[offset] !== 0xff || (b1 & 0xe0) !== 0xe0) {
    return null;
  }

  const versionBits = (b1 >> 3) & 3;
  const layerBits = (b1 >> 1) & 3;
  const bitrateIndex = b2 >> 4;
  const rateIndex = (b2 >> 2) & 3;
  if (versionBits === 1 || layerBits === 0 || bitrateIndex === 0 || bitrateIndex === 15) {
    return null;
  }
  if (rateIndex === 3) {
    return null;
  }

  const version = VERSIONS[versionBits] ?? 1;
  const layer = (4 - layerBits) as 1 | 2 | 3;
  // MPEG-2 and 2.5 share one table for Layer I and one for Layers II and III.
  let table = layer === 1 ? '2-1' : '2-2';
  if (version === 1) {
    table = `1-${layer}`;
  }
  const bitrate = (BITRATES[table]?.[bitrateIndex - 1] ?? 0) * 1000;
  const sampleRate = SAMPLE_RATES[String(version)]?.[rateIndex] ?? 0;
  const padding = (b2 >> 1) & 1;

  let samplesPerFrame: number;
  let frameBytes: number;
  if (layer === 1) {
    samplesPerFrame = 384;
    frameBytes = (Math.floor((12 * bitrate) / sampleRate) + padding) * 4;
  } else if (layer === 2 || version === 1) {
    samplesPerFrame = 1152;
    frameBytes = Math.floor((144 * bitrate) / sampleRate) + padding;
  } else {
    samplesPerFrame = 576;
    frameBytes = Math.floor((72 * bitrate) / sampleRate) + padding;
  }
  return { version, layer, sampleRate, frameBytes, samplesPerFrame, mono: b3 >> 6 === 3 };
}

function readInfoTag(
  window: Buffer,
  frameOffset: number,
  frame: FrameHeader,
): MpegInfoFrame | null {
  const base = { samplesPerFrame: frame.samplesPerFrame, sampleRate: frame.sampleRate };

  // The Xing/Info tag follows the 4-byte header and the side information, whose size depends on
  // the MPEG version and the channel mode.
  let sideInfo = frame.mono ? 9 : 17;
  if (frame.version === 1) {
    sideInfo = frame.mono ? 17 : 32;
  }
  const xing = frameOffset + 4 + sideInfo;
  const xingTag = window.length >= xing + 12 ? fourCc(window, xing) : '';
  if (xingTag === 'Xing' || xingTag === 'Info') {
    const flags = window.readUInt32BE(xing + 4);
    if ((flags & 1) === 0) {
      return null;
    }
    return { tag: xingTag, frames: window.readUInt32BE(xing + 8), ...base };
  }

  // Fraunhofer's VBRI tag sits at a fixed 32 bytes after the frame header.
  const vbri = frameOffset + 4 + 32;
  if (window.length >= vbri + 18 && fourCc(window, vbri) === 'VBRI') {
    return { tag: 'VBRI', frames: window.readUInt32BE(vbri + 14), ...base };
  }
  return null;
}
