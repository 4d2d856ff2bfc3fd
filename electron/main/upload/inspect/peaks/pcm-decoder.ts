import type { PcmEncoding, PcmLayout } from '../containers/pcm-layout.js';
import { fastScanner, sampleReader } from './pcm-samples.js';
import type { DecodeResult, DecodedAudioSink, StreamDecoder } from './stream-decoder.js';

/** Sample frames converted per block; the float buffers are reused between blocks. */
const BLOCK_FRAMES = 16 * 1024;

/** Options of {@link createPcmDecoder}. */
export interface PcmDecoderOptions {
  /**
   * Converts every encoding to floats with the generic DataView reader, without the fast scans.
   * Tests use it as the reference that the fast scans must match.
   */
  generic?: boolean;
}

/**
 * Creates a decoder for the uncompressed samples of a WAV or AIFF file. It is fed the whole file
 * from its first byte and reads only the data chunk that `layout` locates, taking peaks from the
 * first two channels. 16-bit and 24-bit little-endian integers and 32-bit little-endian floats
 * are scanned in place; other encodings are converted to floats in [-1, 1] block by block.
 */
export function createPcmDecoder(
  layout: PcmLayout,
  encoding: PcmEncoding,
  sink: DecodedAudioSink,
  options: PcmDecoderOptions = {},
): StreamDecoder {
  const frameBytes = layout.bytesPerFrame;
  const dataStart = layout.dataOffset;
  const dataEnd = layout.dataOffset + layout.availableDataBytes;
  const push = options.generic
    ? genericPush(layout, encoding, sink)
    : (fastPush(layout, encoding, sink) ?? genericPush(layout, encoding, sink));

  let position = 0;
  // Bytes of a frame split across two chunks, kept until the next chunk completes it.
  const carry = new Uint8Array(Math.max(frameBytes, 0));
  let carried = 0;

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

      let data = bytes.subarray(from, to);
      if (carried > 0) {
        // The split frame is completed from the head of this chunk and taken on its own.
        const needed = Math.min(frameBytes - carried, data.length);
        carry.set(data.subarray(0, needed), carried);
        carried += needed;
        data = data.subarray(needed);
        if (carried < frameBytes) {
          return;
        }
        push(carry, 1);
        carried = 0;
      }

      const frames = Math.floor(data.length / frameBytes);
      if (frames > 0) {
        push(data, frames);
      }
      const rest = data.subarray(frames * frameBytes);
      carry.set(rest, 0);
      carried = rest.length;
    },
    async end(): Promise<DecodeResult> {
      return sink.result();
    },
    free(): void {},
  };
}

/** Hands `frames` whole frames from the start of `data` to the sink. */
type FramePush = (data: Uint8Array, frames: number) => void;

function fastPush(
  layout: PcmLayout,
  encoding: PcmEncoding,
  sink: DecodedAudioSink,
): FramePush | null {
  const frameBytes = layout.bytesPerFrame;
  const scanner = fastScanner(encoding, frameBytes);
  if (scanner === null) {
    return null;
  }
  const channels = Math.min(2, layout.channels);
  const { alignment } = scanner;
  // Aligned copy of a chunk whose samples the typed-array views cannot read in place.
  let aligned = new Uint8Array(0);

  return (data, frames) => {
    let source = data;
    if (data.byteOffset % alignment !== 0) {
      if (aligned.length < frames * frameBytes) {
        aligned = new Uint8Array(frames * frameBytes);
      }
      aligned.set(data.subarray(0, frames * frameBytes));
      source = aligned;
    }
    const scan = scanner.over(source);
    sink.pushScanned(channels, frames, layout.sampleRate, (channel, start, end, seed) =>
      scan(start * frameBytes + channel * encoding.bytesPerSample, end - start, seed),
    );
  };
}

function genericPush(layout: PcmLayout, encoding: PcmEncoding, sink: DecodedAudioSink): FramePush {
  const read = sampleReader(encoding);
  const frameBytes = layout.bytesPerFrame;
  const channels = Math.min(2, layout.channels);
  const blocks = Array.from({ length: channels }, () => new Float32Array(BLOCK_FRAMES));

  return (data, frames) => {
    const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    for (let first = 0; first < frames; first += BLOCK_FRAMES) {
      const count = Math.min(BLOCK_FRAMES, frames - first);
      for (let channel = 0; channel < channels; channel += 1) {
        const block = blocks[channel] as Float32Array;
        let at = first * frameBytes + channel * encoding.bytesPerSample;
        for (let index = 0; index < count; index += 1) {
          block[index] = read(view, at);
          at += frameBytes;
        }
      }
      sink.push(blocks, count, layout.sampleRate);
    }
  };
}
