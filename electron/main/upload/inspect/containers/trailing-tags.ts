import type { FileHandle } from 'node:fs/promises';
import { readAt } from './read-at.js';

const ID3V1_BYTES = 128;
const APE_FOOTER_BYTES = 32;
const APE_HAS_HEADER = 0x80000000;
const LYRICS3_END = 'LYRICS200';

/**
 * Returns the number of bytes of tags appended after the audio: an ID3v1 tag, and before it an
 * APEv2 or Lyrics3v2 tag. These tags end MP3 (and sometimes FLAC or Ogg) files, so the zero
 * padding of an interrupted download sits before them rather than at the very end.
 */
export async function trailingTagBytes(handle: FileHandle, fileSize: number): Promise<number> {
  let end = fileSize;

  if (end >= ID3V1_BYTES) {
    const id3v1 = await readAt(handle, end - ID3V1_BYTES, 3);
    if (id3v1.toString('latin1') === 'TAG') {
      end -= ID3V1_BYTES;
    }
  }

  if (end >= APE_FOOTER_BYTES) {
    const footer = await readAt(handle, end - APE_FOOTER_BYTES, APE_FOOTER_BYTES);
    if (footer.length === APE_FOOTER_BYTES && footer.toString('latin1', 0, 8) === 'APETAGEX') {
      // The size covers the items and the footer; a header of the same size may precede them.
      const size = footer.readUInt32LE(12);
      const flags = footer.readUInt32LE(20);
      const total = size + ((flags & APE_HAS_HEADER) !== 0 ? APE_FOOTER_BYTES : 0);
      return fileSize - Math.max(0, end - total);
    }
  }

  if (end >= 15) {
    // Lyrics3v2 ends in a 6-digit size of the tag (without these 15 bytes) and "LYRICS200".
    const tail = await readAt(handle, end - 15, 15);
    if (tail.toString('latin1', 6) === LYRICS3_END) {
      const size = Number.parseInt(tail.toString('latin1', 0, 6), 10);
      if (Number.isSafeInteger(size)) {
        return fileSize - Math.max(0, end - size - 15);
      }
    }
  }
  return fileSize - end;
}
