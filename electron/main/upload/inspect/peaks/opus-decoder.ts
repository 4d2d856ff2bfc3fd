import { OggOpusDecoder } from 'ogg-opus-decoder';
import type { DecodedAudioSink, StreamDecoder } from './stream-decoder.js';
import { wrapWasmDecoder } from './wasm-decoder.js';

/** Creates a streaming decoder for Opus in Ogg with libopus compiled to WASM; it outputs 48 kHz. */
export function createOpusDecoder(sink: DecodedAudioSink): Promise<StreamDecoder> {
  const decoder = new OggOpusDecoder();
  return wrapWasmDecoder('ogg-opus-decoder', decoder, sink, () => decoder.flush());
}
