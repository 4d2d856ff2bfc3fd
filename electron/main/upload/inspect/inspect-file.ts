import { open } from 'node:fs/promises';
import type { IAudioMetadata } from 'music-metadata';
import { readContainerFacts, type ContainerFacts } from './containers/container-facts.js';
import {
  contentTypeFor,
  describeFileType,
  detectContent,
  parseMetadata,
  type AudioFamily,
} from './detect.js';
import { PartHasher } from './hash.js';
import { runInspectionPass, type PassResult } from './inspection-pass.js';
import { createDecoder } from './peaks/select-decoder.js';
import { DecodedAudioSink, type DecodeResult, type StreamDecoder } from './peaks/stream-decoder.js';
import { tagsFrom } from './tags.js';
import { judgeTruncation, type TruncationEvidence } from './truncation.js';
import type { Inspection, InspectOptions, RejectedInspection, RejectionReason } from './types.js';

export type * from './types.js';

const DEFAULT_PEAKS_PER_SECOND = 20;
const DEFAULT_MAX_PEAKS = 8000;
const WAVPACK_UNKNOWN_SAMPLES = 0xffffffff;

/** Audio stream facts from music-metadata. */
interface AudioStream {
  container: string;
  codec: string | null;
  channels: number;
  /** Duration the container declares or estimates. */
  durationSeconds: number | null;
  /** Sample frames the container declares, where music-metadata reports them. */
  sampleCount: number | null;
}

/**
 * Inspects a local file before upload: decides from its content whether it is audio, reads its
 * tags, hashes it (whole and per multipart part), checks that its audio is complete and computes
 * waveform peaks. It reads the file once in 1 MiB chunks, so memory stays flat for any size, and
 * touches no network. Rejects on I/O errors, and with the signal's reason when aborted.
 */
export async function inspectFile(path: string, options: InspectOptions): Promise<Inspection> {
  const { signal, logger } = options;
  signal?.throwIfAborted();
  const hasher = new PartHasher(options.partSizeBytes);

  const handle = await open(path, 'r');
  let sizeBytes: number;
  let detection: Awaited<ReturnType<typeof detectContent>>;
  let facts: ContainerFacts;
  try {
    const stats = await handle.stat();
    if (!stats.isFile()) {
      throw new Error(`${path} is not a regular file`);
    }
    sizeBytes = stats.size;
    if (sizeBytes === 0) {
      return rejected('empty', 'The file is empty (0 bytes). Export or copy it again.', 0);
    }
    detection = await detectContent(path, handle);
    if (detection.kind === 'not-audio') {
      const message = `Not an audio file: this is ${detection.description}.`;
      return rejected('not-audio', message, sizeBytes);
    }
    facts = await readContainerFacts(handle, detection.family, sizeBytes);
  } finally {
    await handle.close();
  }

  const { family, mime, ext } = detection;
  const parsed = await parseMetadata(path, family, mime).then(
    (metadata) => ({ metadata, error: null }),
    (error: unknown) => ({ metadata: null, error: error instanceof Error ? error : null }),
  );
  signal?.throwIfAborted();
  const metadata = parsed.metadata;
  if (metadata?.format.hasVideo) {
    const message = `Not an audio file: this is ${describeFileType(ext, 'video/')}.`;
    return rejected('not-audio', message, sizeBytes);
  }

  const stream = audioStreamOf(metadata, facts);
  const peaksPerSecond = options.peaksPerSecond ?? DEFAULT_PEAKS_PER_SECOND;
  const maxPeaks = options.maxPeaks ?? DEFAULT_MAX_PEAKS;
  const sink = new DecodedAudioSink({
    peaksPerSecond,
    maxPeaks,
    expectedSeconds: stream?.durationSeconds ?? null,
    channels: stream?.channels ?? 2,
  });
  const created = stream
    ? await createDecoder(
        {
          path,
          family,
          codec: stream.codec,
          pcm: facts.pcm,
          ffmpegPath: options.ffmpegPath === undefined ? 'ffmpeg' : options.ffmpegPath,
        },
        sink,
      )
    : null;
  const decoder = created && 'unavailable' in created ? null : created;

  let pass: PassResult;
  try {
    pass = await runInspectionPass({
      path,
      sizeBytes,
      hasher,
      family,
      facts,
      decoder,
      signal,
      onProgress: options.onProgress,
    });
  } finally {
    decoder?.free();
  }

  const decodedSeconds = decodedDuration(pass.decoded);
  const verdict = judgeTruncation({
    family,
    audioStart: facts.audioStart,
    audioEnd: facts.audioEnd,
    zeroTailBytes: pass.zeroTailBytes,
    decodedSeconds,
    declared: exactDuration(family, facts, stream, decoder),
    // An Ogg stream's length is its last granule position, which cutting the file moves.
    containerSeconds: family === 'ogg' ? null : (stream?.durationSeconds ?? null),
    pcm: facts.pcm,
    mp4: facts.mp4,
    ogg: pass.ogg,
  } satisfies TruncationEvidence);
  if (verdict.truncated) {
    logger?.debug({ path, sizeBytes, message: verdict.message }, 'file is truncated');
    return rejected('truncated', verdict.message, sizeBytes);
  }

  if (!stream || !metadata) {
    return rejected('no-audio', noAudioMessage(metadata, parsed.error, facts), sizeBytes);
  }
  const decoded = pass.decoded;
  if (decoder && decoded && !decoded.failure && decoded.frames === 0) {
    const message =
      `No audio: ${decoder.name} found no audio frames in this ${stream.codec ?? family} file. ` +
      'Export or download the file again.';
    return rejected('no-audio', message, sizeBytes);
  }

  const warnings = [...verdict.warnings];
  if (created && 'unavailable' in created) {
    warnings.push(`No waveform: ${created.unavailable}.`);
  } else if (decoded?.failure) {
    logger?.warn({ path, decoder: decoder?.name, failure: decoded.failure }, 'decoding failed');
    warnings.push(`No waveform: ${decoded.failure}.`);
  }
  if (decoded && decoded.errorCount > 0) {
    warnings.push(
      `${decoder?.name ?? 'The decoder'} reported ${decoded.errorCount} errors ` +
        `(first: ${decoded.firstError ?? 'unknown'}); playback may skip or click there.`,
    );
  }
  const durationSeconds = decodedSeconds ?? stream.durationSeconds ?? 0;
  if (durationSeconds === 0) {
    warnings.push('The duration is unknown: the container does not state it.');
  }

  logger?.debug(
    { path, sizeBytes, codec: stream.codec, durationSeconds, decoder: decoder?.name ?? null },
    'inspected audio file',
  );
  return {
    kind: 'audio',
    sizeBytes,
    contentType: contentTypeFor(family, mime),
    container: stream.container,
    codec: stream.codec,
    tags: tagsFrom(metadata.common),
    durationSeconds,
    sha256: pass.hashes.sha256,
    partSha256: pass.hashes.partSha256,
    peaks: decoded?.failure ? null : (decoded?.peaks ?? null),
    warnings,
  };
}

function audioStreamOf(metadata: IAudioMetadata | null, facts: ContainerFacts): AudioStream | null {
  const format = metadata?.format;
  if (!format || format.hasAudio === false || (!format.codec && !format.sampleRate)) {
    return null;
  }
  // music-metadata names WAVE_FORMAT_EXTENSIBLE "non-PCM (65534)" even when its sub-format is
  // PCM. The chunk walk reads the sub-format, so use music-metadata's names for those codes.
  let codec = format.codec ?? null;
  if (facts.pcm?.container === 'WAV' && facts.pcm.encoding && codec?.startsWith('non-PCM')) {
    codec = facts.pcm.encoding.sampleType === 'float' ? 'IEEE_FLOAT' : 'PCM';
  }
  return {
    container: format.container ?? 'unknown',
    codec,
    channels: format.numberOfChannels ?? 2,
    durationSeconds: declaredDuration(format, facts),
    sampleCount: format.numberOfSamples ?? null,
  };
}

/**
 * Returns the duration the container declares or estimates. music-metadata stops reading Ogg
 * files after their headers unless asked to read every page, so for Ogg the last page's granule
 * position, read from the end of the file, is used instead.
 */
function declaredDuration(format: IAudioMetadata['format'], facts: ContainerFacts): number | null {
  if (format.duration && format.duration > 0) {
    return format.duration;
  }
  if (facts.oggLastGranule !== null) {
    const rate = format.codec === 'Opus' ? 48_000 : format.sampleRate;
    return rate ? facts.oggLastGranule / rate : null;
  }
  return null;
}

function decodedDuration(decoded: DecodeResult | null): number | null {
  if (!decoded || decoded.failure || decoded.frames === 0 || decoded.sampleRate === 0) {
    return null;
  }
  return decoded.frames / decoded.sampleRate;
}

/** Duration that the container states exactly, which decoded audio must reach. */
function exactDuration(
  family: AudioFamily,
  facts: ContainerFacts,
  stream: AudioStream | null,
  decoder: StreamDecoder | null,
): TruncationEvidence['declared'] {
  if (family === 'mpeg' && facts.mpegInfo) {
    const { frames, samplesPerFrame, sampleRate, tag } = facts.mpegInfo;
    return { seconds: (frames * samplesPerFrame) / sampleRate, source: `the MP3 ${tag} header` };
  }
  if (family === 'flac' && stream?.durationSeconds) {
    return { seconds: stream.durationSeconds, source: 'the FLAC STREAMINFO block' };
  }
  if (family === 'mp4' && stream?.durationSeconds && decoder) {
    return { seconds: stream.durationSeconds, source: 'the MP4 track header' };
  }
  // A WavPack block header counts the samples of the whole file, or holds 0xFFFFFFFF when the
  // writer did not know it. music-metadata derives DSD durations differently, so only PCM counts.
  // NOTE: Monkey's Audio (APE) headers state an exact frame count too, but APE is not checked.
  if (
    stream?.container === 'WavPack' &&
    stream.codec === 'PCM' &&
    stream.durationSeconds &&
    stream.sampleCount !== null &&
    stream.sampleCount !== WAVPACK_UNKNOWN_SAMPLES &&
    decoder
  ) {
    return { seconds: stream.durationSeconds, source: 'the WavPack header' };
  }
  return null;
}

function noAudioMessage(
  metadata: IAudioMetadata | null,
  error: Error | null,
  facts: ContainerFacts,
): string {
  if (facts.pcmProblem) {
    return `No audio: ${facts.pcmProblem}. Export the file again.`;
  }
  if (!metadata) {
    const reason = error ? `: ${error.message}` : '';
    return `No audio: the file could not be parsed${reason}. Export or download the file again.`;
  }
  const tags = metadata.format.tagTypes;
  const content = tags.length > 0 ? `contains ${tags.join(' and ')} tags but` : 'contains';
  return `No audio: the file ${content} no audio stream. Export or download the file again.`;
}

function rejected(reason: RejectionReason, message: string, sizeBytes: number): RejectedInspection {
  return { kind: 'rejected', reason, message, sizeBytes };
}
