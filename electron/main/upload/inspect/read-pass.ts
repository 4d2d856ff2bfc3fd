import { open } from 'node:fs/promises';

/** Consumer of a file's bytes, fed each chunk in order with its file offset. */
export interface ChunkConsumer {
  write(chunk: Uint8Array, offset: number): void | Promise<void>;
}

/** Bytes read at a time: large enough for fast hashing, small enough to keep memory flat. */
const CHUNK_BYTES = 1024 * 1024;

/** Number of steps in which {@link progressConsumer} reports a read, at most. */
const PROGRESS_STEPS = 100;

/**
 * Creates a consumer that calls `onProgress` with the bytes read so far each time the read passes
 * another hundredth of `totalBytes`, and once at the end, so a huge file costs no more calls than
 * a small one.
 */
export function progressConsumer(
  totalBytes: number,
  onProgress: (bytesRead: number) => void,
): ChunkConsumer {
  let reportedStep = -1;
  return {
    write(chunk: Uint8Array, offset: number): void {
      const bytesRead = offset + chunk.length;
      const step =
        totalBytes > 0 ? Math.floor((bytesRead / totalBytes) * PROGRESS_STEPS) : PROGRESS_STEPS;
      if (step > reportedStep) {
        reportedStep = step;
        onProgress(bytesRead);
      }
    },
  };
}

/**
 * Reads the file once from start to end and hands every chunk to each consumer before reading
 * the next, so a slow decoder slows the read instead of letting chunks pile up in memory.
 * Consumers must not keep a chunk after their `write` settles: two buffers are reused in turn,
 * the next chunk being read into one while the consumers work on the other.
 * Rejects with the signal's reason when aborted, and with an error when the file does not have
 * `expectedSize` bytes, because it changed while being read.
 */
export async function readFileOnce(
  path: string,
  expectedSize: number,
  consumers: readonly ChunkConsumer[],
  signal?: AbortSignal,
): Promise<void> {
  const handle = await open(path, 'r');
  let filling = Buffer.allocUnsafe(CHUNK_BYTES);
  let spare = Buffer.allocUnsafe(CHUNK_BYTES);
  let offset = 0;
  let next: Promise<{ bytesRead: number }> | null = null;
  try {
    next = handle.read(filling, 0, CHUNK_BYTES, offset);
    for (;;) {
      const { bytesRead }: { bytesRead: number } = await next;
      next = null;
      signal?.throwIfAborted();
      if (bytesRead === 0) {
        break;
      }
      const chunk = filling.subarray(0, bytesRead);
      [filling, spare] = [spare, filling];
      next = handle.read(filling, 0, CHUNK_BYTES, offset + bytesRead);
      for (const consumer of consumers) {
        await consumer.write(chunk, offset);
      }
      offset += bytesRead;
    }
  } finally {
    // A read still in flight must finish before the handle closes.
    await next?.catch(() => undefined);
    await handle.close();
  }
  signal?.throwIfAborted();

  if (offset !== expectedSize) {
    throw new Error(
      `${path} changed while it was being inspected: expected ${expectedSize} bytes, ` +
        `read ${offset}. Inspect it again once it is no longer being written.`,
    );
  }
}
