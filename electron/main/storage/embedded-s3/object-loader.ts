import { mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';

import type { Logger } from 'pino';

import { forEachLimited, isErrorCode, readJson } from './fs-util';
import { SortedKeyIndex } from './key-index';
import type { ObjectRecord } from './object-store';

const LOAD_CONCURRENCY = 32;

function isObjectRecord(value: unknown): value is ObjectRecord {
  const record = value as Partial<ObjectRecord> | null;
  return (
    typeof record === 'object' &&
    record !== null &&
    typeof record.key === 'string' &&
    typeof record.size === 'number' &&
    typeof record.etag === 'string' &&
    typeof record.lastModified === 'number' &&
    Array.isArray(record.dataFiles) &&
    record.dataFiles.every((file) => typeof file === 'string')
  );
}

/**
 * Reads every object sidecar under `objectsDir` into a sorted index, skipping unreadable ones,
 * and removes data files that no sidecar names.
 */
export async function loadObjects(
  objectsDir: string,
  logger: Logger | undefined,
): Promise<SortedKeyIndex<ObjectRecord>> {
  const records: Array<[string, ObjectRecord]> = [];
  await mkdir(objectsDir, { recursive: true });

  for (const shard of await readdir(objectsDir)) {
    const shardDir = join(objectsDir, shard);
    const files = await readdir(shardDir);
    const referenced = new Set<string>();

    await forEachLimited(
      files.filter((file) => file.endsWith('.json')),
      LOAD_CONCURRENCY,
      async (file) => {
        const record = await readJson(join(shardDir, file)).catch(() => undefined);
        if (!isObjectRecord(record)) {
          logger?.warn({ file: join(shardDir, file) }, 'skipping unreadable object sidecar');
          return;
        }
        for (const file of record.dataFiles) {
          referenced.add(file);
        }
        records.push([record.key, record]);
      },
    );

    // Data files that no sidecar names are left by a crash between the two renames of a write.
    for (const file of files.filter((name) => name.endsWith('.data') && !referenced.has(name))) {
      await rm(join(shardDir, file), { force: true }).catch((error: unknown) => {
        if (!isErrorCode(error, 'ENOENT')) {
          logger?.warn({ err: error, file }, 'failed to remove an orphaned data file');
        }
      });
    }
  }
  return SortedKeyIndex.fromEntries(records);
}
