import type { Logger } from '../log';

// NOTE: temporary structural copy of the inspector's result; replaced by its own types on merge.
/** Inspection of a file that can be uploaded as a track. */
export interface AudioInspection {
  kind: 'audio';
  sizeBytes: number;
  contentType: string;
  container: string;
  codec: string | null;
  tags: {
    title: string | null;
    artist: string | null;
    album: string | null;
    trackNumber: number | null;
  };
  durationSeconds: number;
  sha256: string;
  partSha256: string[];
  peaks: { durationSeconds: number; sampleRate: number; data: number[][] } | null;
  warnings: string[];
}

/** Inspection of a file that must not be uploaded. */
export interface RejectedInspection {
  kind: 'rejected';
  reason: 'empty' | 'not-audio' | 'no-audio' | 'truncated';
  message: string;
  sizeBytes: number;
}

/** Result of an inspection. */
export type Inspection = AudioInspection | RejectedInspection;

/** Inspects one local file: format, tags, hashes per part and waveform peaks. */
export type InspectFile = (
  path: string,
  options: { partSizeBytes: number; signal?: AbortSignal; logger?: Logger },
) => Promise<Inspection>;
