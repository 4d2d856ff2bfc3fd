import type { PcmEncoding, PcmLayout } from '../containers/pcm-layout.js';
import type { DecodeResult, DecodedAudioSink, StreamDecoder } from './stream-decoder.js';

type SampleReader = (view: DataView, position: number) => number;

/** Sample frames converted per block; the float buffers are reused between blocks. */
const BLOCK_FRAMES = 16 * 1024;

/**
 * Creates a decoder for the uncompressed samples of a WAV or AIFF file. It is fed the whole file
 * from its first byte and reads only the data chunk that `layout` locates, converting the first
 * two channels to floats in [-1, 1].
 */
export function createPcmDecoder(
  layout: PcmLayout,
  encoding: PcmEncoding,
  sink: DecodedAudioSink,
): StreamDecoder {
  const read = sampleReader(encoding);
  const frameBytes = layout.bytesPerFrame;
  const keptChannels = Math.min(2, layout.channels);
  const dataStart = layout.dataOffset;
  const dataEnd = layout.dataOffset + layout.availableDataBytes;
  const blocks = Array.from({ length: keptChannels }, () => new Float32Array(BLOCK_FRAMES));

  let position = 0;
  let carry: Uint8Array = new Uint8Array(0);

  const convert = (data: Uint8Array): void => {
    const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    const frames = Math.floor(data.length / frameBytes);
    for (let first = 0; first < frames; first += BLOCK_FRAMES) {
      const count = Math.min(BLOCK_FRAMES, frames - first);
      for (let channel = 0; channel < keptChannels; channel += 1) {
        const block = blocks[channel] as Float32Array;
        let at = first * frameBytes + channel * encoding.bytesPerSample;
        for (let index = 0; index < count; index += 1) {
          block[index] = read(view, at);
          at += frameBytes;
        }
      }
      sink.push(blocks, count, layout.sampleRate);
    }
    carry = data.slice(frames * frameBytes);
  };

  return {
    name: 'PCM reader',
    needsBytes: true,
    async write(bytes: Uint8Array): Promise<void> {
      const chunkStart = position;
      position += bytes.length;
      const from = Math.max(dataStart, chunkStart) - chunkStart;
      const to = Math.min(dataEnd, position) - chunkStart;
      if (to <= from || frameBytes <= 0) {
        return;
      }

      const data = bytes.subarray(from, to);
      if (carry.length === 0) {
        convert(data);
      } else {
        // A frame split across two chunks is joined from the bytes left over last time.
        const joined = new Uint8Array(carry.length + data.length);
        joined.set(carry, 0);
        joined.set(data, carry.length);
        convert(joined);
      }
    },
    async end(): Promise<DecodeResult> {
      return sink.result();
    },
    free(): void {},
  };
}

function sampleReader({ sampleType, bytesPerSample, littleEndian }: PcmEncoding): SampleReader {
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
