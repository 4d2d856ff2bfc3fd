import type { Logger } from 'pino';

/** Options for {@link inspectFile}. */
export interface InspectOptions {
  /** Multipart part size in bytes that the uploader uses. `partSha256` has one hash per part. */
  partSizeBytes: number;
  /** Target number of peaks per second of audio (default 20), lowered for long files. */
  peaksPerSecond?: number;
  /** Maximum number of peaks per channel (default 8 000), whatever the duration. */
  maxPeaks?: number;
  /**
   * ffmpeg executable used to decode codecs that no bundled decoder handles (AAC, ALAC and
   * others). Defaults to `ffmpeg`, looked up on PATH; `null` disables it.
   */
  ffmpegPath?: string | null;
  signal?: AbortSignal;
  logger?: Logger;
  /**
   * Order among inspections waiting for a worker of an inspection pool, highest first; 0 when
   * absent. The upload engine passes the file size, so that the longest inspection starts first.
   */
  priority?: number;
  /**
   * Receives the bytes read so far while the file is hashed and decoded: about once per
   * hundredth of the file, and once when the read ends.
   */
  onProgress?: (bytesRead: number) => void;
}

/** Tags read from the file; empty or blank values are null. */
export interface AudioTags {
  title: string | null;
  artist: string | null;
  album: string | null;
  trackNumber: number | null;
}

/**
 * Waveform peaks in the shape that wavesurfer.js 8 takes in its `peaks` option.
 *
 * `data` has one array per channel, at most two: wavesurfer.js 8.0.1 draws the first above the
 * axis and the second below it. Files decoded by ffmpeg give one, mixed down. Each value is the
 * signed sample with the largest magnitude in its bucket, in [-1, 1] and rounded to 4 decimals,
 * which is what wavesurfer's own `exportPeaks()` returns. They are not min/max pairs. All buckets
 * but the last, which may be partial, cover the same number of samples, so the peaks are evenly
 * spread over `durationSeconds`.
 */
export interface Peaks {
  /** Decoded duration: decoded sample frames divided by `sampleRate`. */
  durationSeconds: number;
  /** Sample rate of the decoded audio the peaks were taken from (ffmpeg decodes at 8 000 Hz). */
  sampleRate: number;
  data: number[][];
}

/** Inspection of a file that can be uploaded as a track. */
export interface AudioInspection {
  kind: 'audio';
  sizeBytes: number;
  /** Content-Type for the upload, from the detected format (for example `audio/mpeg`). */
  contentType: string;
  /** Container as music-metadata names it, for example `MPEG`, `FLAC`, `Ogg`, `M4A/isom/iso2`. */
  container: string;
  /** Codec as music-metadata names it, for example `MPEG 1 Layer 3`, `Opus`, `ALAC`. */
  codec: string | null;
  tags: AudioTags;
  /** Decoded duration when the file was decoded, else the duration that the container declares. */
  durationSeconds: number;
  /** Hex SHA-256 of the whole file. */
  sha256: string;
  /** Base64 SHA-256 of each `partSizeBytes` slice of the file, in order. */
  partSha256: string[];
  /** Waveform peaks; null when no decoder handles the codec or decoding failed (see warnings). */
  peaks: Peaks | null;
  /** Problems that do not stop the upload, in words a person can act on. */
  warnings: string[];
}

/** Reason a file is not uploaded. */
export type RejectionReason = 'empty' | 'not-audio' | 'no-audio' | 'truncated';

/** Inspection of a file that must not be uploaded. */
export interface RejectedInspection {
  kind: 'rejected';
  reason: RejectionReason;
  /** The problem and the next step, in words a person can act on. */
  message: string;
  sizeBytes: number;
}

/** Result of {@link inspectFile}. */
export type Inspection = AudioInspection | RejectedInspection;
