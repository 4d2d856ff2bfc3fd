import type { Track } from '../../../../shared/contract';
import { TRACKS_PREFIX } from '../../../../shared/track-key';

// Content-Types the uploader stores, by the name listeners know the format by.
const FORMAT_NAMES: Record<string, string> = {
  'audio/mpeg': 'MP3',
  'audio/mp3': 'MP3',
  'audio/aac': 'AAC',
  'audio/flac': 'FLAC',
  'audio/x-flac': 'FLAC',
  'audio/ogg': 'Ogg',
  'audio/opus': 'Opus',
  'audio/mp4': 'M4A',
  'audio/x-m4a': 'M4A',
  'audio/wav': 'WAV',
  'audio/x-wav': 'WAV',
  'audio/wave': 'WAV',
  'audio/aiff': 'AIFF',
  'audio/x-aiff': 'AIFF',
};

/**
 * Names a track's format, e.g. `FLAC` or `MP3`: from its Content-Type, else from the extension
 * of its key; an empty string when neither is known.
 */
export function formatOfTrack(track: Pick<Track, 'key' | 'contentType'>): string {
  const type = track.contentType?.split(';')[0]?.trim().toLowerCase() ?? '';
  const known = FORMAT_NAMES[type];
  if (known !== undefined) {
    return known;
  }

  const name = track.key.slice(track.key.lastIndexOf('/') + 1);
  const dot = name.lastIndexOf('.');
  if (dot > 0 && dot < name.length - 1) {
    return name.slice(dot + 1).toUpperCase();
  }
  if (type.startsWith('audio/')) {
    return type.slice('audio/'.length).replace(/^x-/, '').toUpperCase();
  }
  return '';
}

/** Formats a count of tracks: `1 track`, `12 tracks`. */
export function trackCount(count: number): string {
  return `${count} ${count === 1 ? 'track' : 'tracks'}`;
}

/**
 * Returns the folder of a track under `tracks/`, e.g. `Live/2019` for
 * `tracks/Live/2019/Intro.flac`; an empty string for a track directly under `tracks/`.
 */
export function folderOfTrack(key: string): string {
  const relative = key.startsWith(TRACKS_PREFIX) ? key.slice(TRACKS_PREFIX.length) : key;
  const slash = relative.lastIndexOf('/');
  return slash === -1 ? '' : relative.slice(0, slash);
}

// One element answers every canPlayType question; it never loads anything.
let probe: HTMLAudioElement | null = null;

/** Returns whether this browser reports that it cannot decode `contentType` at all. */
export function browserCannotPlay(contentType: string | null): boolean {
  if (contentType === null) {
    return false;
  }
  probe ??= document.createElement('audio');
  return probe.canPlayType(contentType) === '';
}
