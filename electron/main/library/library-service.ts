import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

import { GetObjectCommand, HeadObjectCommand, paginateListObjectsV2 } from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';
import { z } from 'zod';

import type { Track, TrackPeaks } from '../../../shared/contract';
import { CrateboxError } from '../../../shared/errors';
import { TRACKS_PREFIX, fileNameOfKey, trackKeyProblem } from '../../../shared/track-key';
import type { Logger } from '../log';
import { mapWithConcurrency } from '../util/concurrency';
import { decodeTrackMetadata } from './track-metadata';
import type { TrackMetadata } from './track-metadata';

/** Reads the library from the bucket. */
export interface LibraryService {
  /** Lists every track under `tracks/`, sorted by artist, album and track number. */
  list(): Promise<Track[]>;
  /** Returns the stored waveform peaks of a track, or null when none were stored. */
  peaks(key: string): Promise<TrackPeaks | null>;
}

/** Dependencies of {@link createLibraryService}. */
export interface LibraryDeps {
  s3: S3Client;
  bucket: string;
  /** JSON file caching each object's metadata by ETag, so a listing needs HEAD only for new objects. */
  cachePath: string;
  logger: Logger;
  headConcurrency?: number;
}

interface CachedObject {
  etag: string;
  contentType: string | null;
  metadata: TrackMetadata;
}

const peaksFileSchema = z.object({
  durationSeconds: z.number().nonnegative(),
  data: z.array(z.array(z.number().min(-1).max(1))).min(1),
});

// Tracks without an artist or album sort after those with one, as in most music players.
const collator = new Intl.Collator(undefined, { sensitivity: 'base', numeric: true });

/** Creates the library service over one bucket. */
export function createLibraryService(deps: LibraryDeps): LibraryService {
  const { s3, bucket, logger } = deps;
  let cache: Map<string, CachedObject> | null = null;

  async function loadCache(): Promise<Map<string, CachedObject>> {
    if (cache === null) {
      cache = await readCache(deps.cachePath, logger);
    }
    return cache;
  }

  async function describe(
    key: string,
    etag: string,
    known: Map<string, CachedObject>,
  ): Promise<CachedObject> {
    const hit = known.get(key);
    if (hit !== undefined && hit.etag === etag) {
      return hit;
    }
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    const described = {
      etag: head.ETag ?? etag,
      contentType: head.ContentType ?? null,
      metadata: decodeTrackMetadata(head.Metadata),
    };
    known.set(key, described);
    return described;
  }

  return {
    async list(): Promise<Track[]> {
      const known = await loadCache();
      const objects = [];
      for await (const page of paginateListObjectsV2(
        { client: s3 },
        { Bucket: bucket, Prefix: TRACKS_PREFIX },
      )) {
        for (const object of page.Contents ?? []) {
          if (object.Key === undefined || trackKeyProblem(object.Key) !== null) {
            continue;
          }
          objects.push(object);
        }
      }

      const tracks = await mapWithConcurrency(
        objects,
        deps.headConcurrency ?? 8,
        async (object) => {
          const key = object.Key as string;
          const described = await describe(key, object.ETag ?? '', known);
          return toTrack(key, object.Size ?? 0, object.LastModified ?? new Date(0), described);
        },
      );

      const listed = new Set(objects.map((object) => object.Key));
      for (const key of known.keys()) {
        if (!listed.has(key)) {
          known.delete(key);
        }
      }
      await writeCache(deps.cachePath, known);
      return tracks.sort(compareTracks);
    },

    async peaks(key: string): Promise<TrackPeaks | null> {
      const head = await s3
        .send(new HeadObjectCommand({ Bucket: bucket, Key: key }))
        .catch((error: unknown) => {
          throw notFoundOr(error, key);
        });
      const { peaksKey } = decodeTrackMetadata(head.Metadata);
      if (peaksKey === null) {
        return null;
      }

      try {
        const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: peaksKey }));
        const parsed = peaksFileSchema.parse(
          JSON.parse((await object.Body?.transformToString()) ?? ''),
        );
        return { key, durationSeconds: parsed.durationSeconds, peaks: parsed.data };
      } catch (error) {
        // A missing or damaged peaks object costs the waveform, not the track.
        logger.warn({ key, peaksKey, err: error }, 'stored peaks could not be read');
        return null;
      }
    },
  };
}

function toTrack(key: string, size: number, lastModified: Date, described: CachedObject): Track {
  const { metadata } = described;
  return {
    key,
    title: metadata.title ?? fileNameOfKey(key),
    titleFromFileName: metadata.title === null,
    artist: metadata.artist,
    album: metadata.album,
    trackNumber: metadata.trackNumber,
    durationSeconds: metadata.durationSeconds,
    sizeBytes: size,
    contentType: described.contentType,
    lastModified: lastModified.toISOString(),
    hasPeaks: metadata.peaksKey !== null,
  };
}

/** Orders tracks by artist, album, track number, then title; missing values last. */
export function compareTracks(a: Track, b: Track): number {
  return (
    compareOptional(a.artist, b.artist) ||
    compareOptional(a.album, b.album) ||
    (a.trackNumber ?? Number.MAX_SAFE_INTEGER) - (b.trackNumber ?? Number.MAX_SAFE_INTEGER) ||
    collator.compare(a.title, b.title) ||
    collator.compare(a.key, b.key)
  );
}

function compareOptional(a: string | null, b: string | null): number {
  if (a === null || b === null) {
    return (a === null ? 1 : 0) - (b === null ? 1 : 0);
  }
  return collator.compare(a, b);
}

function notFoundOr(error: unknown, key: string): unknown {
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  return status === 404
    ? new CrateboxError('NotFound', `track ${key} is not in the bucket; refresh the library`)
    : error;
}

async function readCache(path: string, logger: Logger): Promise<Map<string, CachedObject>> {
  try {
    const entries = JSON.parse(await readFile(path, 'utf8')) as [string, CachedObject][];
    return new Map(entries);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
      logger.warn({ path, err: error }, 'library cache unreadable; rebuilding it');
    }
    return new Map();
  }
}

async function writeCache(path: string, cache: Map<string, CachedObject>): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, JSON.stringify([...cache]));
  await rename(temporary, path);
}
