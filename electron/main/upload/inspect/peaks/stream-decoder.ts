import type { Peaks } from '../types.js';
import { PeakBuilder, samplesPerPeakFor, type FrameScan } from './peak-builder.js';

/** Settings for taking peaks from decoded audio. */
export interface PeakPlan {
  peaksPerSecond: number;
  maxPeaks: number;
  /** Duration the container declares or estimates; it only sizes the first buckets. */
  expectedSeconds: number | null;
  /** Channels kept in the peaks, at most 2. */
  channels: number;
}

/** Outcome of decoding a whole file. */
export interface DecodeResult {
  /** Peaks, or null when no sample was decoded. */
  peaks: Peaks | null;
  /** Decoded sample frames. */
  frames: number;
  sampleRate: number;
  /** Number of errors the decoder reported, and the first message. */
  errorCount: number;
  firstError: string | null;
  /** Set when decoding failed as a whole, for example when ffmpeg is missing or exits in error. */
  failure: string | null;
}

/**
 * Decoder that turns a file into peaks as it decodes, so that it holds no more than one chunk of
 * samples at a time. WASM decoders and the PCM reader are fed the file's bytes in order.
 */
export interface StreamDecoder {
  /** Decoder name for logs and warnings, for example `mpg123-decoder`. */
  readonly name: string;
  /** Whether `write` needs the file bytes; ffmpeg reads the file itself. */
  readonly needsBytes: boolean;
  /** Feeds the next bytes of the file. */
  write(bytes: Uint8Array): Promise<void>;
  /** Flushes the decoder and returns what was decoded. */
  end(): Promise<DecodeResult>;
  /** Releases the decoder (WASM memory or a child process). Safe to call more than once. */
  free(): void;
}

/** Collects decoded audio into peaks, creating the builder once the sample rate is known. */
export class DecodedAudioSink {
  private builder: PeakBuilder | null = null;
  private errorCount = 0;
  private firstError: string | null = null;

  constructor(private readonly plan: PeakPlan) {}

  /** Adds `frameCount` decoded frames at `sampleRate`. */
  push(channelData: readonly Float32Array[], frameCount: number, sampleRate: number): void {
    if (frameCount === 0 || channelData.length === 0) {
      return;
    }
    this.builderFor(channelData.length, sampleRate).add(channelData, frameCount);
  }

  /**
   * Adds `frameCount` frames of `channels` channels at `sampleRate` that `scan` reads in place,
   * as {@link PeakBuilder.addScanned} describes.
   */
  pushScanned(channels: number, frameCount: number, sampleRate: number, scan: FrameScan): void {
    if (frameCount === 0 || channels === 0) {
      return;
    }
    this.builderFor(channels, sampleRate).addScanned(frameCount, scan);
  }

  private builderFor(channels: number, sampleRate: number): PeakBuilder {
    if (!this.builder) {
      const peakChannels = Math.max(1, Math.min(this.plan.channels, channels, 2));
      const expectedFrames =
        this.plan.expectedSeconds === null ? null : this.plan.expectedSeconds * sampleRate;
      const samplesPerPeak = samplesPerPeakFor(
        sampleRate,
        this.plan.peaksPerSecond,
        this.plan.maxPeaks,
        expectedFrames,
      );
      this.builder = new PeakBuilder(sampleRate, peakChannels, samplesPerPeak, this.plan.maxPeaks);
    }
    // NOTE: a stream whose sample rate changes midway (rare, chained files) is measured at the
    // first rate, which skews its decoded duration.
    return this.builder;
  }

  /** Counts decoder errors, keeping the first message. */
  addErrors(messages: readonly string[]): void {
    this.errorCount += messages.length;
    this.firstError ??= messages[0] ?? null;
  }

  /** Returns the peaks and counts; `failure` marks a decoder that failed as a whole. */
  result(failure: string | null = null): DecodeResult {
    const peaks = this.builder && this.builder.frameCount > 0 ? this.builder.finish() : null;
    return {
      peaks,
      frames: this.builder?.frameCount ?? 0,
      sampleRate: this.builder?.sampleRate ?? 0,
      errorCount: this.errorCount,
      firstError: this.firstError,
      failure,
    };
  }
}

/** Splits `bytes` into slices of at most `size` bytes, so decoded output per call stays small. */
export function* slices(bytes: Uint8Array, size: number): Generator<Uint8Array> {
  for (let offset = 0; offset < bytes.length; offset += size) {
    yield bytes.subarray(offset, offset + size);
  }
}

/**
 * Wraps a decoder so that an exception while decoding (a corrupt stream the library cannot
 * handle) stops decoding instead of failing the inspection. `end` then returns the error as the
 * failure, with no peaks, and hashing and truncation checks go on.
 */
export function failSoft(decoder: StreamDecoder): StreamDecoder {
  let failure: string | null = null;
  const fail = (error: unknown): DecodeResult => {
    failure ??= `${decoder.name} failed: ${error instanceof Error ? error.message : String(error)}`;
    return {
      peaks: null,
      frames: 0,
      sampleRate: 0,
      errorCount: 0,
      firstError: null,
      failure,
    };
  };

  return {
    name: decoder.name,
    needsBytes: decoder.needsBytes,
    async write(bytes: Uint8Array): Promise<void> {
      if (failure !== null) {
        return;
      }
      try {
        await decoder.write(bytes);
      } catch (error) {
        fail(error);
      }
    },
    async end(): Promise<DecodeResult> {
      if (failure !== null) {
        return fail(null);
      }
      try {
        return await decoder.end();
      } catch (error) {
        return fail(error);
      }
    },
    free: () => decoder.free(),
  };
}
