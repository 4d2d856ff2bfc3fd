import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { DeleteObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { Track } from '../../shared/contract';
import { createLibraryService } from '../../electron/main/library/library-service';
import { encodeTrackMetadata, peaksKeyFor } from '../../electron/main/library/track-metadata';
import type { TrackMetadata } from '../../electron/main/library/track-metadata';
import { silentLogger } from '../../electron/main/log';
import { startEmbeddedS3 } from '../../electron/main/storage/embedded-s3';
import type { EmbeddedS3Server } from '../../electron/main/storage/embedded-s3';
import { mapWithConcurrency } from '../../electron/main/util/concurrency';
import { TEST_CREDENTIALS, createBucket, testClient } from '../support/s3-servers';

const BUCKET = 'cratebox-library';
const TRACKS = 1_100;

function metadata(fields: Partial<TrackMetadata>): Record<string, string> {
  return encodeTrackMetadata({
    title: null,
    artist: null,
    album: null,
    trackNumber: null,
    durationSeconds: null,
    sha256: null,
    peaksKey: null,
    ...fields,
  });
}

describe('library service', () => {
  const folder = mkdtempSync(join(tmpdir(), 'cratebox-library-'));
  let server: EmbeddedS3Server;
  let s3: S3Client;
  let listed: Track[];

  beforeAll(async () => {
    server = await startEmbeddedS3({ dataDir: join(folder, 's3'), credentials: TEST_CREDENTIALS });
    await createBucket(server.endpoint, BUCKET);
    s3 = testClient(server.endpoint);

    // More tracks than one ListObjectsV2 page holds (1 000), on artists and albums out of key order.
    await mapWithConcurrency(
      Array.from({ length: TRACKS }, (_, index) => index),
      16,
      (index) =>
        s3.send(
          new PutObjectCommand({
            Bucket: BUCKET,
            Key: `tracks/${String(index).padStart(4, '0')}.mp3`,
            Body: 'x',
            ContentType: 'audio/mpeg',
            Metadata: metadata({
              title: `Song ${index}`,
              artist: `Artist ${String.fromCharCode(90 - (index % 26))}`,
              album: `Album ${index % 7}`,
              trackNumber: (index % 12) + 1,
              durationSeconds: 180 + index,
            }),
          }),
        ),
    );
    await s3.send(
      new PutObjectCommand({ Bucket: BUCKET, Key: 'tracks/Untagged Song (live).flac', Body: 'x' }),
    );
    await s3.send(
      new PutObjectCommand({
        Bucket: BUCKET,
        Key: 'tracks/Ünïcode Ártist/ß.opus',
        Body: 'x',
        Metadata: metadata({ title: 'Straße', artist: 'Ünïcode Ártist', album: '東京' }),
      }),
    );
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'notes/readme.txt', Body: 'x' }));
    listed = await library('first-listing.json').list();
  }, 120_000);

  afterAll(async () => {
    s3?.destroy();
    await server?.close();
    rmSync(folder, { recursive: true, force: true });
  });

  function library(cacheName: string): ReturnType<typeof createLibraryService> {
    return createLibraryService({
      s3,
      bucket: BUCKET,
      cachePath: join(folder, cacheName),
      logger: silentLogger(),
    });
  }

  it('lists every track across pages', async () => {
    expect(listed).toHaveLength(TRACKS + 2);
    expect(listed.every((track) => track.key.startsWith('tracks/'))).toBe(true);
  });

  it('sorts by artist, album and track number', async () => {
    const tracks = listed.filter((track) => track.artist?.startsWith('Artist '));
    const order = tracks.map((track) => [track.artist, track.album, track.trackNumber]);
    const sorted = [...order].sort(
      (a, b) =>
        String(a[0]).localeCompare(String(b[0])) ||
        String(a[1]).localeCompare(String(b[1])) ||
        Number(a[2]) - Number(b[2]),
    );
    expect(order).toEqual(sorted);
  });

  it('decodes non-ASCII tags', async () => {
    const track = listed.find((candidate) => candidate.key === 'tracks/Ünïcode Ártist/ß.opus');
    expect(track).toMatchObject({
      title: 'Straße',
      artist: 'Ünïcode Ártist',
      album: '東京',
      titleFromFileName: false,
    });
  });

  it('titles untagged objects with the file name, last', async () => {
    const last = listed.at(-1);
    expect(last).toMatchObject({
      key: 'tracks/Untagged Song (live).flac',
      title: 'Untagged Song (live).flac',
      titleFromFileName: true,
      artist: null,
    });
  });

  it('reads metadata only for new or changed objects', async () => {
    const service = library('first-listing.json');
    await service.list();
    const headsBefore = server.stats().requests.HeadObject ?? 0;

    await s3.send(
      new PutObjectCommand({
        Bucket: BUCKET,
        Key: 'tracks/0000.mp3',
        Body: 'changed',
        Metadata: metadata({ title: 'Retitled' }),
      }),
    );
    const tracks = await service.list();

    expect((server.stats().requests.HeadObject ?? 0) - headsBefore).toBe(1);
    expect(tracks.find((track) => track.key === 'tracks/0000.mp3')?.title).toBe('Retitled');
  });

  it('keeps the metadata cache across restarts', async () => {
    await library('first-listing.json').list();
    const headsBefore = server.stats().requests.HeadObject ?? 0;
    await library('first-listing.json').list();
    expect((server.stats().requests.HeadObject ?? 0) - headsBefore).toBe(0);
  });

  it('drops deleted objects from the listing', async () => {
    const service = library('first-listing.json');
    await service.list();
    await s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: 'tracks/0001.mp3' }));
    const tracks = await service.list();
    expect(tracks.some((track) => track.key === 'tracks/0001.mp3')).toBe(false);
  });

  it('returns stored peaks and null for a track without them', async () => {
    const sha256 = 'a'.repeat(64);
    await s3.send(
      new PutObjectCommand({
        Bucket: BUCKET,
        Key: peaksKeyFor(sha256),
        Body: JSON.stringify({ durationSeconds: 2.5, data: [[0.1, -0.5, 0.25]] }),
      }),
    );
    await s3.send(
      new PutObjectCommand({
        Bucket: BUCKET,
        Key: 'tracks/with-peaks.mp3',
        Body: 'x',
        Metadata: metadata({ sha256, peaksKey: peaksKeyFor(sha256) }),
      }),
    );
    const service = library('peaks.json');

    expect(await service.peaks('tracks/with-peaks.mp3')).toEqual({
      key: 'tracks/with-peaks.mp3',
      durationSeconds: 2.5,
      peaks: [[0.1, -0.5, 0.25]],
    });
    expect(await service.peaks('tracks/Untagged Song (live).flac')).toBeNull();
  });

  it('reports a missing track as NotFound', async () => {
    await expect(library('missing.json').peaks('tracks/gone.mp3')).rejects.toMatchObject({
      name: 'NotFound',
    });
  });
});
