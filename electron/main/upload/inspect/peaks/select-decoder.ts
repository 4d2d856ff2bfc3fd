import type { PcmLayout } from '../containers/pcm-layout.js';
import type { AudioFamily } from '../detect.js';
import { createFfmpegDecoder } from './ffmpeg-decoder.js';
import { createFlacDecoder } from './flac-decoder.js';
import { createMpegDecoder } from './mpeg-decoder.js';
import { createOpusDecoder } from './opus-decoder.js';
import { createPcmDecoder } from './pcm-decoder.js';
import type { DecodedAudioSink, StreamDecoder } from './stream-decoder.js';
import { createVorbisDecoder } from './vorbis-decoder.js';

/** File facts that decoder selection uses. */
export interface DecoderChoice {
  path: string;
  family: AudioFamily;
  /** Codec as music-metadata names it. */
  codec: string | null;
  pcm: PcmLayout | null;
  /** ffmpeg executable, or null when it must not be used. */
  ffmpegPath: string | null;
}

/**
 * Creates the decoder for a file, or returns why there is none. MPEG audio, FLAC, Opus and Vorbis
 * get a bundled WASM decoder, and uncompressed WAV and AIFF the PCM reader. ffmpeg decodes
 * everything else: AAC and ALAC in MP4, compressed WAV/AIFF, WMA, and so on.
 */
export async function createDecoder(
  choice: DecoderChoice,
  sink: DecodedAudioSink,
): Promise<StreamDecoder | { unavailable: string }> {
  const codec = choice.codec ?? '';

  if (choice.family === 'mpeg' && /^MPEG [12](\.5)? Layer [123]$/.test(codec)) {
    return createMpegDecoder(sink);
  }
  if (choice.family === 'flac' || (choice.family === 'ogg' && codec === 'FLAC')) {
    return createFlacDecoder(sink);
  }
  if (choice.family === 'ogg' && codec === 'Opus') {
    return createOpusDecoder(sink);
  }
  if (choice.family === 'ogg' && codec.startsWith('Vorbis')) {
    return createVorbisDecoder(sink);
  }
  if (choice.pcm?.encoding) {
    return createPcmDecoder(choice.pcm, choice.pcm.encoding, sink);
  }

  if (choice.ffmpegPath === null) {
    return {
      unavailable: `no bundled decoder handles ${codec || 'this codec'}, and ffmpeg is off`,
    };
  }
  return createFfmpegDecoder(choice.ffmpegPath, choice.path, sink);
}
