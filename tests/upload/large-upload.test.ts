import { join } from 'node:path';

import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

import { sha256OfFile, writeNoiseWav } from '../support/audio-files';
import type { ServerKind } from '../support/s3-servers';
import { startUploadHarness, TEST_BUCKET } from '../support/upload-harness';
import type { UploadHarness } from '../support/upload-harness';

const MIB = 1024 * 1024;

describe.each<ServerKind>(['embedded', 'moto'])('on the %s server', (kind) => {
  let harness: UploadHarness;

  beforeAll(async () => {
    harness = await startUploadHarness(kind);
  });

  afterAll(async () => {
    await harness.close();
  });

  test('200 MiB file uploads in verified parts', { timeout: 240_000 }, async () => {
    const path = join(harness.dir, 'source', 'Long Mix.wav');
    await writeNoiseWav(path, 200 * MIB);
    const engine = harness.engine({ tuning: { partSizeBytes: 16 * MIB, parallelParts: 4 } });

    const { batchId } = await engine.add([{ path }], { origin: 'desktop' });
    const report = await engine.whenBatchDone(batchId);

    expect(report.entries).toEqual([
      {
        path,
        name: 'Long Mix.wav',
        key: 'tracks/Long Mix.wav',
        outcome: 'uploaded',
        reason: null,
        message: null,
        bytes: 200 * MIB,
      },
    ]);
    const head = await harness.direct.send(
      new HeadObjectCommand({
        Bucket: TEST_BUCKET,
        Key: 'tracks/Long Mix.wav',
        ChecksumMode: 'ENABLED',
      }),
    );
    expect(head.ContentLength).toBe(200 * MIB);
    expect(head.ChecksumSHA256).toBeDefined();
    expect(await harness.objectSha256('tracks/Long Mix.wav')).toBe(await sha256OfFile(path));
    expect(await harness.pendingUploads()).toEqual([]);
    expect(harness.uploadedKeys).toEqual(['tracks/Long Mix.wav']);

    const view = engine.snapshot().jobs[0];
    expect(view?.state).toBe('done');
    expect(view?.bytesSent).toBe(200 * MIB);
    expect(report.summary.bytesSent).toBe(200 * MIB);
  });
});
