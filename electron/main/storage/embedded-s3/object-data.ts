import { createReadStream } from 'node:fs';
import { copyFile, link, rm } from 'node:fs/promises';
import { Readable } from 'node:stream';

import type { Logger } from 'pino';

import { isErrorCode } from './fs-util';

/** Data file of an object with its size; multipart objects have one per part. */
export interface DataSegment {
  path: string;
  size: number;
}

/** Inclusive byte range of an object. */
export interface ByteRange {
  start: number;
  end: number;
}

/**
 * Streams bytes `range` of an object stored as consecutive segment files, opening each file
 * only when the stream reaches it. `onDone` runs before the stream ends or after it fails.
 */
export function readSegments(
  segments: DataSegment[],
  range: ByteRange,
  onDone: () => Promise<void>,
): Readable {
  async function* chunks(): AsyncGenerator<Buffer> {
    try {
      yield* segmentChunks(segments, range);
    } finally {
      await onDone();
    }
  }
  return Readable.from(chunks(), { objectMode: false });
}

async function* segmentChunks(segments: DataSegment[], range: ByteRange): AsyncGenerator<Buffer> {
  let offset = 0;
  for (const segment of segments) {
    const segmentEnd = offset + segment.size - 1;
    if (segment.size > 0 && segmentEnd >= range.start && offset <= range.end) {
      const start = Math.max(range.start, offset) - offset;
      const end = Math.min(range.end, segmentEnd) - offset;
      yield* createReadStream(segment.path, { start, end, highWaterMark: 1 << 20 });
    }
    offset += segment.size;
    if (offset > range.end) {
      return;
    }
  }
}

/**
 * Creates `target` as a hard link to `source`, so multipart parts become object data without
 * copying. File systems without hard links (FAT, exFAT) get a copy instead.
 */
export async function linkOrCopy(source: string, target: string): Promise<void> {
  try {
    await link(source, target);
  } catch (error) {
    if (
      !['EPERM', 'ENOTSUP', 'ENOSYS', 'EXDEV', 'EMLINK'].some((code) => isErrorCode(error, code))
    ) {
      throw error;
    }
    await copyFile(source, target);
  }
}

/**
 * Counts readers per data file and defers deleting a replaced or deleted object's files
 * until its last reader is done, so a GET that started before an overwrite reads the old
 * bytes to the end.
 */
export class DataFileTracker {
  private readonly readers = new Map<string, number>();
  private readonly retired = new Set<string>();
  private readonly removals = new Set<Promise<void>>();

  constructor(private readonly logger: Logger | undefined) {}

  /** Marks files as being read and returns the function that ends the read. */
  acquire(paths: string[]): () => Promise<void> {
    for (const path of paths) {
      this.readers.set(path, (this.readers.get(path) ?? 0) + 1);
    }
    let released = false;
    return () => {
      if (released) {
        return Promise.resolve();
      }
      released = true;
      const unread: string[] = [];
      for (const path of paths) {
        const count = (this.readers.get(path) ?? 1) - 1;
        if (count > 0) {
          this.readers.set(path, count);
        } else {
          this.readers.delete(path);
          unread.push(path);
        }
      }
      return this.remove(unread.filter((path) => this.retired.delete(path)));
    };
  }

  /** Deletes files that no index entry names any more, now or after their last reader. */
  retire(paths: string[]): Promise<void> {
    const unread = paths.filter((path) => !this.readers.has(path));
    for (const path of paths.filter((path) => this.readers.has(path))) {
      this.retired.add(path);
    }
    return this.remove(unread);
  }

  /** Waits until every removal that has started is done. */
  async idle(): Promise<void> {
    while (this.removals.size > 0) {
      await Promise.allSettled([...this.removals]);
    }
  }

  private remove(paths: string[]): Promise<void> {
    const removal = Promise.all(
      paths.map((path) =>
        rm(path, { force: true }).catch((error: unknown) => {
          this.logger?.warn({ err: error, path }, 'failed to remove a replaced object data file');
        }),
      ),
    ).then(() => undefined);
    this.removals.add(removal);
    void removal.finally(() => this.removals.delete(removal));
    return removal;
  }
}
