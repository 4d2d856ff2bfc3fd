import { FLACDecoder } from '@wasm-audio-decoders/flac';
import type { DecodedAudioSink, StreamDecoder } from './stream-decoder.js';
import { wrapWasmDecoder } from './wasm-decoder.js';

/** Creates a streaming decoder for FLAC, native or in Ogg, with libFLAC compiled to WASM. */
export function createFlacDecoder(sink: DecodedAudioSink): Promise<StreamDecoder> {
  const decoder = new FLACDecoder();
  return wrapWasmDecoder('@wasm-audio-decoders/flac', decoder, sink, () => decoder.flush());
}
