import { PartHasher } from './inspect/hash';
import { progressConsumer, readFileOnce } from './inspect/read-pass';
import type { StoredTrack } from './multipart-ops';

/**
 * Checks whether the stored track has the local file's bytes: same size and the same SHA-256 in
 * its track metadata. The file is hashed only when the sizes match; `onProgress` then receives
 * the bytes hashed so far.
 */
export async function hasSameBytes(
  path: string,
  sizeBytes: number,
  stored: StoredTrack | null,
  partSizeBytes: number,
  signal: AbortSignal,
  onProgress: (bytesRead: number) => void = () => undefined,
): Promise<boolean> {
  if (stored === null || stored.sha256 === null || stored.sizeBytes !== sizeBytes) {
    return false;
  }
  const hasher = new PartHasher(partSizeBytes);
  const consumers = [
    { write: (chunk: Uint8Array) => hasher.update(chunk) },
    progressConsumer(sizeBytes, onProgress),
  ];
  await readFileOnce(path, sizeBytes, consumers, signal);
  return hasher.digest().sha256 === stored.sha256;
}
