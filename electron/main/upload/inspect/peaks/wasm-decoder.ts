import type { DecodeResult, DecodedAudioSink, StreamDecoder } from './stream-decoder.js';
import { slices } from './stream-decoder.js';

/** Output of one `decode` call, as the wasm-audio-decoders packages return it. */
export interface WasmDecodedChunk {
  channelData: Float32Array[];
  samplesDecoded: number;
  sampleRate: number;
  errors: { message: string }[];
}

/** The API that mpg123-decoder and the @wasm-audio-decoders packages have in common. */
export interface WasmAudioDecoder {
  ready: Promise<void>;
  decode(data: Uint8Array): WasmDecodedChunk | Promise<WasmDecodedChunk>;
  free(): void;
}

/**
 * Bytes passed to one `decode` call. Small slices keep the decoded output of a call to a few
 * seconds of audio. A 1 MiB slice of a 64 kbit/s MP3 would decode to about 130 s (45 MB).
 */
const SLICE_BYTES = 64 * 1024;

/**
 * Wraps a WASM decoder as a {@link StreamDecoder} that feeds `sink`. `flush` returns the audio
 * the decoder still buffers at the end; decoders that buffer nothing leave it out.
 */
export async function wrapWasmDecoder(
  name: string,
  decoder: WasmAudioDecoder,
  sink: DecodedAudioSink,
  flush?: () => Promise<WasmDecodedChunk>,
): Promise<StreamDecoder> {
  let freed = false;
  const free = (): void => {
    if (!freed) {
      freed = true;
      decoder.free();
    }
  };

  try {
    await decoder.ready;
  } catch (error) {
    free();
    throw error;
  }

  const take = (chunk: WasmDecodedChunk): void => {
    sink.push(chunk.channelData, chunk.samplesDecoded, chunk.sampleRate);
    if (chunk.errors.length > 0) {
      sink.addErrors(chunk.errors.map((error) => error.message));
    }
  };

  return {
    name,
    needsBytes: true,
    async write(bytes: Uint8Array): Promise<void> {
      for (const slice of slices(bytes, SLICE_BYTES)) {
        take(await decoder.decode(slice));
      }
    },
    async end(): Promise<DecodeResult> {
      if (flush) {
        take(await flush());
      }
      return sink.result();
    },
    free,
  };
}
