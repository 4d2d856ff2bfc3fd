import type { PcmEncoding } from '../containers/pcm-layout.js';
import { largestMagnitudeOf } from './peak-builder.js';

/** Reads the sample at a byte position as a float in [-1, 1]. */
export type SampleReader = (view: DataView, position: number) => number;

/**
 * Returns the signed sample of largest magnitude, as a float in [-1, 1], among the samples of
 * one channel in `count` consecutive frames, the first at byte `firstByte`. `seed` is the peak
 * so far and is returned when no sample is larger in magnitude.
 */
export type ChannelScan = (firstByte: number, count: number, seed: number) => number;

/** Peak scan over raw samples, which skips converting them to floats first. */
export interface FastScanner {
  /** Required `byteOffset` alignment of the bytes: the typed-array views read them in place. */
  alignment: 1 | 2 | 4;
  /** Returns the scan over one buffer of whole frames. */
  over(bytes: Uint8Array): ChannelScan;
}

/** Typed arrays use the host's byte order, so their views read little-endian data only there. */
const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * Returns a fast scanner for 16-bit and 24-bit little-endian integers and 32-bit little-endian
 * floats, or null for other encodings. It finds the largest and smallest raw value and scales
 * only those two. Scaling divides by a power of two, which is exact and keeps the order, so the
 * peaks equal those of the generic reader followed by the peak builder's float scan.
 */
export function fastScanner(encoding: PcmEncoding, frameBytes: number): FastScanner | null {
  const { sampleType, bytesPerSample, littleEndian } = encoding;
  if (!littleEndian) {
    return null;
  }
  if (sampleType === 'signed' && bytesPerSample === 2 && LITTLE_ENDIAN_HOST) {
    return frameBytes % 2 === 0 ? int16Scanner(frameBytes / 2) : null;
  }
  if (sampleType === 'signed' && bytesPerSample === 3) {
    return int24Scanner(frameBytes);
  }
  if (sampleType === 'float' && bytesPerSample === 4 && LITTLE_ENDIAN_HOST) {
    return frameBytes % 4 === 0 ? float32Scanner(frameBytes / 4) : null;
  }
  return null;
}

function int16Scanner(stride: number): FastScanner {
  if (stride === 2) {
    return stereoInt16Scanner();
  }
  return {
    alignment: 2,
    over(bytes) {
      const samples = new Int16Array(bytes.buffer, bytes.byteOffset, bytes.byteLength >> 1);
      return (firstByte, count, seed) => {
        let max = 0;
        let min = 0;
        let index = firstByte >> 1;
        for (let frame = 0; frame < count; frame += 1) {
          const value = samples[index] as number;
          if (value > max) {
            max = value;
          } else if (value < min) {
            min = value;
          }
          index += stride;
        }
        return largestMagnitudeOf(seed, max / 32768, min / 32768);
      };
    },
  };
}

/**
 * Scans 16-bit stereo frames as 32-bit words, so one pass over the bytes finds the extremes of
 * both channels. The peak builder asks for the left channel, then for the right channel over the
 * same frames. The left scan keeps the right channel's extremes, and the right scan returns them.
 */
function stereoInt16Scanner(): FastScanner {
  return {
    alignment: 4,
    over(bytes) {
      const frames = new Int32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength >> 2);
      const extremes = { leftMax: 0, leftMin: 0, rightMax: 0, rightMin: 0 };
      // The right-channel request that the last left scan has the extremes for.
      let keptFirstByte = -1;
      let keptCount = -1;

      return (firstByte, count, seed) => {
        const frameByte = firstByte & ~3;
        const right = firstByte !== frameByte;
        if (!right || firstByte !== keptFirstByte || count !== keptCount) {
          scanStereo(frames, frameByte >> 2, count, extremes);
          keptFirstByte = frameByte + 2;
          keptCount = count;
        }
        if (!right) {
          return largestMagnitudeOf(seed, extremes.leftMax / 32768, extremes.leftMin / 32768);
        }
        keptFirstByte = -1;
        return largestMagnitudeOf(seed, extremes.rightMax / 32768, extremes.rightMin / 32768);
      };
    },
  };
}

/** Finds the extremes of both channels in `count` stereo frames from frame `first`. */
function scanStereo(
  frames: Int32Array,
  first: number,
  count: number,
  extremes: { leftMax: number; leftMin: number; rightMax: number; rightMin: number },
): void {
  let leftMax = 0;
  let leftMin = 0;
  let rightMax = 0;
  let rightMin = 0;
  const end = first + count;
  for (let index = first; index < end; index += 1) {
    // Little-endian: the left sample is the low half of the word, the right one the high half.
    const word = frames[index] as number;
    const left = (word << 16) >> 16;
    const right = word >> 16;
    if (left > leftMax) {
      leftMax = left;
    } else if (left < leftMin) {
      leftMin = left;
    }
    if (right > rightMax) {
      rightMax = right;
    } else if (right < rightMin) {
      rightMin = right;
    }
  }
  extremes.leftMax = leftMax;
  extremes.leftMin = leftMin;
  extremes.rightMax = rightMax;
  extremes.rightMin = rightMin;
}

function int24Scanner(frameBytes: number): FastScanner {
  return {
    alignment: 1,
    over(bytes) {
      return (firstByte, count, seed) => {
        let max = 0;
        let min = 0;
        let at = firstByte;
        for (let frame = 0; frame < count; frame += 1) {
          // The top byte is shifted up and back down so that its sign extends over 32 bits.
          const high = ((bytes[at + 2] as number) << 24) >> 8;
          const value = high | ((bytes[at + 1] as number) << 8) | (bytes[at] as number);
          if (value > max) {
            max = value;
          } else if (value < min) {
            min = value;
          }
          at += frameBytes;
        }
        return largestMagnitudeOf(seed, max / 8388608, min / 8388608);
      };
    },
  };
}

function float32Scanner(stride: number): FastScanner {
  return {
    alignment: 4,
    over(bytes) {
      const samples = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength >> 2);
      return (firstByte, count, seed) => {
        let max = 0;
        let min = 0;
        let index = firstByte >> 2;
        for (let frame = 0; frame < count; frame += 1) {
          const value = samples[index] as number;
          if (value > max) {
            max = value;
          } else if (value < min) {
            min = value;
          }
          index += stride;
        }
        return largestMagnitudeOf(seed, max, min);
      };
    },
  };
}

/** Returns the generic reader of one sample, for every encoding the PCM layout accepts. */
export function sampleReader({
  sampleType,
  bytesPerSample,
  littleEndian,
}: PcmEncoding): SampleReader {
  if (sampleType === 'float') {
    return bytesPerSample === 8
      ? (view, at) => view.getFloat64(at, littleEndian)
      : (view, at) => view.getFloat32(at, littleEndian);
  }
  if (sampleType === 'unsigned') {
    return (view, at) => (view.getUint8(at) - 128) / 128;
  }
  switch (bytesPerSample) {
    case 1:
      return (view, at) => view.getInt8(at) / 128;
    case 2:
      return (view, at) => view.getInt16(at, littleEndian) / 32768;
    case 3:
      return littleEndian
        ? (view, at) =>
            ((view.getInt8(at + 2) << 16) | (view.getUint8(at + 1) << 8) | view.getUint8(at)) /
            8388608
        : (view, at) =>
            ((view.getInt8(at) << 16) | (view.getUint8(at + 1) << 8) | view.getUint8(at + 2)) /
            8388608;
    default:
      return (view, at) => view.getInt32(at, littleEndian) / 2147483648;
  }
}
