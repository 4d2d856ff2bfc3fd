import { MPEGDecoder } from 'mpg123-decoder';
import type { DecodedAudioSink, StreamDecoder } from './stream-decoder.js';
import { wrapWasmDecoder } from './wasm-decoder.js';

/** Creates a streaming decoder for MPEG audio (Layers I to III) with mpg123 compiled to WASM. */
export function createMpegDecoder(sink: DecodedAudioSink): Promise<StreamDecoder> {
  // Gapless mode trims the encoder delay and padding named in the LAME tag, so the decoded
  // duration is the playable one.
  const decoder = new MPEGDecoder({ enableGapless: true });
  return wrapWasmDecoder('mpg123-decoder', decoder, sink);
}
