import { randomBytes } from 'node:crypto';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** Returns a random lower-case hex string of `bytes` bytes, for unique file names and ids. */
export function randomHex(bytes: number): string {
  return randomBytes(bytes).toString('hex');
}

/** Returns a new unique path in `tempDir`; nothing is created. */
export function tempPathIn(tempDir: string): string {
  return join(tempDir, `${Date.now()}-${randomHex(8)}.tmp`);
}

/**
 * Writes `value` as JSON to `path` atomically: to a temp file first, then renamed over `path`,
 * so readers see the old or the new document and never a partial one.
 */
export async function writeJsonAtomic(
  path: string,
  value: unknown,
  tempDir: string,
): Promise<void> {
  const temp = tempPathIn(tempDir);
  try {
    await writeFile(temp, JSON.stringify(value), { flag: 'wx' });
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}

/** Reads and parses a JSON file. */
export async function readJson(path: string): Promise<unknown> {
  return JSON.parse(await readFile(path, 'utf8')) as unknown;
}

/** Tells whether an error is a Node file-system error with `code` (for example ENOENT). */
export function isErrorCode(error: unknown, code: string): boolean {
  return error instanceof Error && (error as NodeJS.ErrnoException).code === code;
}

/** Runs `task` for every item with at most `limit` tasks in flight. */
export async function forEachLimited<T>(
  items: T[],
  limit: number,
  task: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next++] as T;
      await task(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
