import type { FileHandle } from 'node:fs/promises';
import { readAt } from './read-at.js';

/** Findings of the walk over the pages of an Ogg file. */
export interface OggPageWalk {
  pages: number;
  /** Whether the last complete page carries the end-of-stream flag, as a finished file's does. */
  endsWithEndOfStream: boolean;
  /** Page cut off by the end of the file: where it starts, its size and the bytes present. */
  cutPage: { offset: number; declaredBytes: number | null; presentBytes: number } | null;
  /** Offset where a page should start but the `OggS` capture pattern is missing, if any. */
  lostSyncAt: number | null;
}

const PAGE_HEADER_BYTES = 27;
const END_OF_STREAM_FLAG = 0x04;
/** Largest possible Ogg page: the header, 255 segment sizes and 255 segments of 255 bytes. */
const MAX_PAGE_BYTES = PAGE_HEADER_BYTES + 255 + 255 * 255;

/**
 * Reads the granule position of the last page that has one, from the end of the file. It is the
 * stream's length in samples, at 48 kHz and including the pre-skip for Opus. A cut file gives
 * the position where its last page would have ended, so this is an estimate.
 */
export async function readLastGranule(
  handle: FileHandle,
  fileSize: number,
): Promise<number | null> {
  const start = Math.max(0, fileSize - MAX_PAGE_BYTES);
  const tail = await readAt(handle, start, fileSize - start);
  for (let at = tail.lastIndexOf('OggS'); at >= 0; at = tail.lastIndexOf('OggS', at - 1)) {
    if (at + PAGE_HEADER_BYTES <= tail.length && tail[at + 4] === 0) {
      const granule = tail.readBigInt64LE(at + 6);
      // A position of -1 marks a page on which no packet ends.
      if (granule >= 0n) {
        return Number(granule);
      }
    }
    if (at === 0) {
      break;
    }
  }
  return null;
}

/**
 * Follows the chain of Ogg pages through chunks fed in file order. Each page header gives the
 * page length, so the walk computes where the next page must start and can tell a complete file
 * from one that ends inside a page. It reads only headers and keeps at most one in memory.
 */
export class OggPageWalker {
  private pageStart = 0;
  /** Header bytes of the page at `pageStart` collected so far (27 plus the segment table). */
  private header = Buffer.alloc(PAGE_HEADER_BYTES + 255);
  private headerFilled = 0;
  private pageBytes: number | null = null;
  private pages = 0;
  private lastFlags = 0;
  private lostSyncAt: number | null = null;

  /** Scans the chunk that starts at file offset `chunkOffset`. */
  write(chunk: Uint8Array, chunkOffset: number): void {
    const chunkEnd = chunkOffset + chunk.length;
    while (this.lostSyncAt === null) {
      if (this.pageBytes !== null) {
        const nextPage = this.pageStart + this.pageBytes;
        if (nextPage >= chunkEnd) {
          return;
        }
        this.startPage(nextPage);
      }

      const from = this.pageStart + this.headerFilled - chunkOffset;
      if (from >= chunk.length) {
        return;
      }
      const needed = this.headerBytesNeeded() - this.headerFilled;
      const take = Math.min(needed, chunk.length - from);
      this.header.set(chunk.subarray(from, from + take), this.headerFilled);
      this.headerFilled += take;
      if (take < needed) {
        return;
      }
      this.readHeader();
    }
  }

  /** Returns what the walk found once the whole file of `fileSize` bytes has been fed. */
  finish(fileSize: number): OggPageWalk {
    let cutPage: OggPageWalk['cutPage'] = null;
    const pageEnd = this.pageBytes === null ? null : this.pageStart + this.pageBytes;
    if (this.lostSyncAt === null && this.pageStart < fileSize) {
      if (pageEnd === null || pageEnd > fileSize) {
        cutPage = {
          offset: this.pageStart,
          declaredBytes: this.pageBytes,
          presentBytes: fileSize - this.pageStart,
        };
      }
    }

    // A cut page whose header was complete has been counted already.
    let completePages = this.pages;
    if (cutPage && this.pageBytes !== null) {
      completePages -= 1;
    }
    return {
      pages: completePages,
      endsWithEndOfStream: cutPage === null && (this.lastFlags & END_OF_STREAM_FLAG) !== 0,
      cutPage,
      lostSyncAt: this.lostSyncAt,
    };
  }

  private startPage(offset: number): void {
    this.pageStart = offset;
    this.headerFilled = 0;
    this.pageBytes = null;
  }

  private headerBytesNeeded(): number {
    if (this.headerFilled < PAGE_HEADER_BYTES) {
      return PAGE_HEADER_BYTES;
    }
    return PAGE_HEADER_BYTES + (this.header[26] ?? 0);
  }

  /** Checks the capture pattern, and once the segment table is in, computes the page length. */
  private readHeader(): void {
    if (this.header.toString('latin1', 0, 4) !== 'OggS') {
      this.lostSyncAt = this.pageStart;
      return;
    }
    const segments = this.header[26] ?? 0;
    if (this.headerFilled < PAGE_HEADER_BYTES + segments) {
      return;
    }

    let bodyBytes = 0;
    for (let index = 0; index < segments; index += 1) {
      bodyBytes += this.header[PAGE_HEADER_BYTES + index] ?? 0;
    }
    this.pageBytes = PAGE_HEADER_BYTES + segments + bodyBytes;
    this.pages += 1;
    this.lastFlags = this.header[5] ?? 0;
  }
}
