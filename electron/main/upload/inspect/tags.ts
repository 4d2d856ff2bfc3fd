import type { ICommonTagsResult } from 'music-metadata';
import type { AudioTags } from './types.js';

/** Picks title, artist, album and track number from music-metadata's common tags. */
export function tagsFrom(common: ICommonTagsResult): AudioTags {
  const trackNumber = common.track.no;
  return {
    title: cleanText(common.title),
    artist: cleanText(common.artist),
    album: cleanText(common.album),
    trackNumber:
      typeof trackNumber === 'number' && Number.isInteger(trackNumber) && trackNumber > 0
        ? trackNumber
        : null,
  };
}

/** Trims a tag value; blank values and NUL padding left by fixed-width tag fields become null. */
function cleanText(value: string | undefined): string | null {
  const trimmed = value?.replace(/\0+$/, '').trim();
  return trimmed ? trimmed : null;
}
