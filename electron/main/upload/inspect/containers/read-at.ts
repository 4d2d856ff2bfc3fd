import type { FileHandle } from 'node:fs/promises';

/** Reads up to `length` bytes at `position`; the result is shorter when the file ends first. */
export async function readAt(
  handle: FileHandle,
  position: number,
  length: number,
): Promise<Buffer> {
  const buffer = Buffer.alloc(length);
  let filled = 0;
  while (filled < length) {
    const { bytesRead } = await handle.read(buffer, filled, length - filled, position + filled);
    if (bytesRead === 0) {
      break;
    }
    filled += bytesRead;
  }
  return buffer.subarray(0, filled);
}

/** Returns the four bytes at `offset` as a Latin-1 string, as chunk and box ids are written. */
export function fourCc(bytes: Buffer, offset: number): string {
  return bytes.toString('latin1', offset, offset + 4);
}

/** Returns whether a four-character code is printable ASCII, as real chunk and box ids are. */
export function isPrintableFourCc(code: string): boolean {
  return /^[\x20-\x7e]{4}$/.test(code);
}
