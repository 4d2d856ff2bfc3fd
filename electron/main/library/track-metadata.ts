/** Tags and facts stored as S3 user metadata on each track object at upload time. */
export interface TrackMetadata {
  title: string | null;
  artist: string | null;
  album: string | null;
  trackNumber: number | null;
  durationSeconds: number | null;
  /** Hex sha256 of the whole file; the uploader compares it to skip unchanged files. */
  sha256: string | null;
  /** Key of the JSON object holding the waveform peaks, when they were computed. */
  peaksKey: string | null;
}

/** Prefix of objects Cratebox keeps beside the tracks; never listed in the library. */
export const SIDECAR_PREFIX = '.cratebox/';

/** Returns the key of the peaks object for a file with this content hash. */
export function peaksKeyFor(sha256: string): string {
  return `${SIDECAR_PREFIX}peaks/${sha256}.json`;
}

// S3 sends user metadata as HTTP headers, which carry only ASCII reliably, so every value is
// percent-encoded (UTF-8) on the way in and decoded on the way out.
const FIELDS = {
  title: 'title',
  artist: 'artist',
  album: 'album',
  trackNumber: 'track',
  durationSeconds: 'duration',
  sha256: 'sha256',
  peaksKey: 'peaks',
} as const satisfies Record<keyof TrackMetadata, string>;

/** S3 limit on the total size of user metadata names and values, in bytes. */
const MAX_METADATA_BYTES = 2048;

/** Encodes track metadata as the `Metadata` map of a PutObject or CreateMultipartUpload call. */
export function encodeTrackMetadata(metadata: TrackMetadata): Record<string, string> {
  const encoded: Record<string, string> = {};
  for (const [field, name] of Object.entries(FIELDS) as [keyof TrackMetadata, string][]) {
    const value = metadata[field];
    if (value !== null) {
      encoded[name] = encodeURIComponent(String(value));
    }
  }

  // Long tags are cut from the least useful field first, so the object still uploads.
  for (const name of ['album', 'artist', 'title']) {
    if (metadataBytes(encoded) <= MAX_METADATA_BYTES) {
      break;
    }
    const value = encoded[name];
    if (value !== undefined) {
      encoded[name] = encodeURIComponent(truncate(decodeURIComponent(value), 200));
    }
  }
  return encoded;
}

/** Decodes the `Metadata` map of a HeadObject answer; fields that are absent or invalid become null. */
export function decodeTrackMetadata(metadata: Record<string, string> | undefined): TrackMetadata {
  const read = (name: string): string | null => {
    const raw = metadata?.[name];
    if (raw === undefined || raw === '') {
      return null;
    }
    try {
      return decodeURIComponent(raw);
    } catch {
      // Objects written by other tools may hold a plain value with a stray '%'.
      return raw;
    }
  };
  const readNumber = (name: string): number | null => {
    const value = Number(read(name) ?? Number.NaN);
    return Number.isFinite(value) ? value : null;
  };

  return {
    title: read(FIELDS.title),
    artist: read(FIELDS.artist),
    album: read(FIELDS.album),
    trackNumber: readNumber(FIELDS.trackNumber),
    durationSeconds: readNumber(FIELDS.durationSeconds),
    sha256: read(FIELDS.sha256),
    peaksKey: read(FIELDS.peaksKey),
  };
}

function metadataBytes(encoded: Record<string, string>): number {
  return Object.entries(encoded).reduce(
    (sum, [name, value]) => sum + name.length + value.length,
    0,
  );
}

function truncate(text: string, maxCharacters: number): string {
  return text.length <= maxCharacters ? text : `${text.slice(0, maxCharacters - 1)}…`;
}
