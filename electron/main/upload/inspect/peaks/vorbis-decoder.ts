import { OggVorbisDecoder } from '@wasm-audio-decoders/ogg-vorbis';
import type { DecodedAudioSink, StreamDecoder } from './stream-decoder.js';
import { wrapWasmDecoder } from './wasm-decoder.js';

/** Creates a streaming decoder for Vorbis in Ogg with libvorbis compiled to WASM. */
export function createVorbisDecoder(sink: DecodedAudioSink): Promise<StreamDecoder> {
  const decoder = new OggVorbisDecoder();
  return wrapWasmDecoder('@wasm-audio-decoders/ogg-vorbis', decoder, sink, () => decoder.flush());
}
