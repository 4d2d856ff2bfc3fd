import type { FileHandle } from 'node:fs/promises';
import { fourCc, isPrintableFourCc, readAt } from './read-at.js';

/** A top-level box whose declared size runs past the end of the file. */
export interface CutBox {
  type: string;
  offset: number;
  declaredBytes: number;
  presentBytes: number;
}

/** Findings of the walk over the top-level boxes of an MP4 (ISO BMFF) file. */
export interface Mp4BoxWalk {
  hasMoov: boolean;
  hasMdat: boolean;
  /** Box cut off by the end of the file, if any. */
  cutBox: CutBox | null;
  /** Offset where a box header is not a box (for example zeros), if any. */
  invalidAt: number | null;
  /** Start of the last box when it is a `free` or `skip` box, which may be zero-filled. */
  trailingFreeAt: number | null;
}

const MAX_BOXES = 1_000_000;

/**
 * Walks the top-level boxes of an MP4 file by their size fields. Fragmented files have one
 * `moof` and one `mdat` per fragment, so the walk allows many boxes but reads only their headers.
 */
export async function walkMp4Boxes(handle: FileHandle, fileSize: number): Promise<Mp4BoxWalk> {
  const walk: Mp4BoxWalk = {
    hasMoov: false,
    hasMdat: false,
    cutBox: null,
    invalidAt: null,
    trailingFreeAt: null,
  };

  let offset = 0;
  for (let count = 0; count < MAX_BOXES && offset < fileSize; count += 1) {
    const header = await readAt(handle, offset, 16);
    const type = header.length >= 8 ? fourCc(header, 4) : '';
    if (header.length < 8 || !isPrintableFourCc(type)) {
      walk.invalidAt = offset;
      return walk;
    }

    let size = header.readUInt32BE(0);
    if (size === 1) {
      size = header.length === 16 ? Number(header.readBigUInt64BE(8)) : 0;
    } else if (size === 0) {
      // A size of 0 means that the box runs to the end of the file.
      size = fileSize - offset;
    }
    if (size < 8) {
      walk.invalidAt = offset;
      return walk;
    }

    walk.hasMoov ||= type === 'moov';
    walk.hasMdat ||= type === 'mdat';
    walk.trailingFreeAt = type === 'free' || type === 'skip' ? offset : null;

    if (offset + size > fileSize) {
      walk.cutBox = { type, offset, declaredBytes: size, presentBytes: fileSize - offset };
      return walk;
    }
    offset += size;
  }
  return walk;
}
