import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';
import { afterEach, beforeEach, expect, test } from 'vitest';

import { silentLogger } from '../../electron/main/log';
import { loadOrCreateCredentials } from '../../electron/main/storage/embedded-credentials';
import { openEmbeddedStore } from '../../electron/main/storage/embedded-store';
import type { EmbeddedStore } from '../../electron/main/storage/embedded-store';
import { createS3Client } from '../../electron/main/storage/s3-client';
import { runChildrenTogether } from '../support/store-children';

let dataDir: string;

beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'cratebox-shared-'));
});

afterEach(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

async function keysUnder(s3: S3Client, bucket: string, prefix: string): Promise<string[]> {
  const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
  return (listed.Contents ?? []).map((object) => object.Key ?? '').sort();
}

test('credentials created at once agree', async () => {
  const path = join(dataDir, 's3-credentials.json');

  const all = await Promise.all(Array.from({ length: 8 }, () => loadOrCreateCredentials(path)));

  const onDisk = JSON.parse(await readFile(path, 'utf8')) as unknown;
  for (const credentials of all) {
    expect(credentials).toEqual(onDisk);
  }
  expect(await readdir(dataDir)).toEqual(['s3-credentials.json']);
});

test('processes started together share one server', { timeout: 120_000 }, async () => {
  interface Opened {
    owner: boolean;
    endpoint: string;
    accessKeyId: string;
    key: string;
  }

  const together = await runChildrenTogether<Opened>('store', dataDir, 4);
  try {
    const { results } = together;
    expect(results.filter((result) => result.owner)).toHaveLength(1);
    expect(new Set(results.map((result) => result.endpoint)).size).toBe(1);
    const credentials = await loadOrCreateCredentials(join(dataDir, 's3-credentials.json'));
    for (const result of results) {
      expect(result.accessKeyId).toBe(credentials.accessKeyId);
    }

    // Every child wrote through the one server, so one listing shows all their objects.
    const store = await openEmbeddedStore(dataDir, silentLogger());
    const s3 = createS3Client(store.target);
    try {
      expect(store.server()).toBeNull();
      expect(await keysUnder(s3, store.target.bucket, 'probe/')).toEqual(
        results.map((result) => result.key).sort(),
      );
    } finally {
      s3.destroy();
      await store.close();
    }
  } finally {
    await together.finish();
  }
});

test('joined store takes over when the owner closes', async () => {
  const owner = await openEmbeddedStore(dataDir, silentLogger());
  let joined: EmbeddedStore | null = null;
  let s3: S3Client | null = null;
  try {
    joined = await openEmbeddedStore(dataDir, silentLogger());
    s3 = createS3Client(joined.target);
    const bucket = joined.target.bucket;
    const endpointBefore = owner.endpoint();
    expect(joined.server()).toBeNull();
    expect(joined.endpoint()).toBe(endpointBefore);
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'probe/before', Body: 'a' }));

    await owner.close();
    // The same client, not rebuilt, reaches the server that the joined store starts now.
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'probe/after', Body: 'b' }));

    expect(joined.server()).not.toBeNull();
    expect(joined.endpoint()).toBe(endpointBefore);
    expect(await keysUnder(s3, bucket, 'probe/')).toEqual(['probe/after', 'probe/before']);
  } finally {
    s3?.destroy();
    await joined?.close();
    await owner.close();
  }
});
