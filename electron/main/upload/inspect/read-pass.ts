import { createReadStream } from 'node:fs';

/** Consumer of a file's bytes, fed each chunk in order with its file offset. */
export interface ChunkConsumer {
  write(chunk: Uint8Array, offset: number): void | Promise<void>;
}

/** Bytes read at a time: large enough for fast hashing, small enough to keep memory flat. */
const CHUNK_BYTES = 1024 * 1024;

/**
 * Reads the file once from start to end and hands every chunk to each consumer before reading
 * the next, so a slow decoder slows the read instead of letting chunks pile up in memory.
 * Rejects with the signal's reason when aborted, and with an error when the file does not have
 * `expectedSize` bytes, because it changed while being read.
 */
export async function readFileOnce(
  path: string,
  expectedSize: number,
  consumers: readonly ChunkConsumer[],
  signal?: AbortSignal,
): Promise<void> {
  const stream = createReadStream(path, { highWaterMark: CHUNK_BYTES });
  let offset = 0;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      signal?.throwIfAborted();
      for (const consumer of consumers) {
        await consumer.write(chunk, offset);
      }
      offset += chunk.length;
    }
  } finally {
    stream.destroy();
  }
  signal?.throwIfAborted();

  if (offset !== expectedSize) {
    throw new Error(
      `${path} changed while it was being inspected: expected ${expectedSize} bytes, ` +
        `read ${offset}. Inspect it again once it is no longer being written.`,
    );
  }
}
