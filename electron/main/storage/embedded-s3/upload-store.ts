import { mkdir, readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';

import type { Logger } from 'pino';

import type { ChecksumAlgorithm, ChecksumType } from './checksums';
import { isErrorCode, randomHex, readJson, writeJsonAtomic } from './fs-util';
import { KeyedLock } from './keyed-lock';
import type { NewObject, ObjectRecord, ObjectStore } from './object-store';
import { noSuchUpload } from './s3-error';

/** Uploaded part of a pending multipart upload. */
export interface PartRecord {
  partNumber: number;
  size: number;
  /** Hex MD5 of the part, without quotes. */
  etag: string;
  lastModified: number;
  /** Base64 checksum in the upload's checksum algorithm, when it has one. */
  checksum?: string;
  dataFile: string;
}

/** Pending multipart upload with the object settings given at CreateMultipartUpload. */
export interface UploadRecord {
  uploadId: string;
  key: string;
  initiated: number;
  headers: Record<string, string>;
  metadata: Record<string, string>;
  checksumAlgorithm?: ChecksumAlgorithm;
  checksumType?: ChecksumType;
  parts: Map<number, PartRecord>;
}

function isUploadFields(value: unknown): value is Omit<UploadRecord, 'parts'> {
  const record = value as Partial<UploadRecord> | null;
  return (
    typeof record === 'object' &&
    record !== null &&
    typeof record.uploadId === 'string' &&
    typeof record.key === 'string' &&
    typeof record.initiated === 'number'
  );
}

function isPartRecord(value: unknown): value is PartRecord {
  const record = value as Partial<PartRecord> | null;
  return (
    typeof record === 'object' &&
    record !== null &&
    typeof record.partNumber === 'number' &&
    typeof record.size === 'number' &&
    typeof record.etag === 'string' &&
    typeof record.dataFile === 'string'
  );
}

/** Loads the pending uploads of one bucket from its `uploads` folder. */
export async function loadUploads(
  uploadsDir: string,
  logger: Logger | undefined,
): Promise<Map<string, UploadRecord>> {
  const uploads = new Map<string, UploadRecord>();
  await mkdir(uploadsDir, { recursive: true });

  for (const uploadId of await readdir(uploadsDir)) {
    const uploadDir = join(uploadsDir, uploadId);
    const fields = await readJson(join(uploadDir, 'upload.json')).catch(() => undefined);
    if (!isUploadFields(fields)) {
      logger?.warn({ uploadId }, 'removing multipart upload folder without a valid upload.json');
      await rm(uploadDir, { recursive: true, force: true });
      continue;
    }

    const upload: UploadRecord = { ...fields, parts: new Map() };
    const files = await readdir(uploadDir);
    for (const file of files.filter((name) => /^part-\d+\.json$/.test(name))) {
      const part = await readJson(join(uploadDir, file)).catch(() => undefined);
      if (isPartRecord(part)) {
        upload.parts.set(part.partNumber, part);
      } else {
        logger?.warn({ uploadId, file }, 'skipping unreadable part sidecar');
      }
    }
    const referenced = new Set([...upload.parts.values()].map((part) => part.dataFile));
    for (const file of files.filter((name) => name.endsWith('.data') && !referenced.has(name))) {
      await rm(join(uploadDir, file), { force: true });
    }
    uploads.set(uploadId, upload);
  }
  return uploads;
}

const MAX_REMEMBERED_COMPLETIONS = 1000;

/**
 * File-system store of multipart uploads, one folder per upload holding `upload.json`, and
 * per part a `part-<n>.json` sidecar naming its data file. Operations on one upload are
 * serialized, so a part that finishes after Abort or Complete is discarded.
 */
export class UploadStore {
  private readonly locks = new KeyedLock();
  // Recently completed uploads, so a retried CompleteMultipartUpload whose first response was
  // lost succeeds again, as on S3.
  // NOTE: kept in memory only, so a retry after a server restart gets NoSuchUpload.
  private readonly completed = new Map<string, { bucketName: string; record: ObjectRecord }>();

  constructor(private readonly objects: ObjectStore) {}

  /** Creates a pending upload with a new upload id and returns it. */
  async create(
    bucketName: string,
    fields: Omit<UploadRecord, 'parts' | 'uploadId'>,
  ): Promise<UploadRecord> {
    const bucket = this.objects.bucket(bucketName);
    const stored: Omit<UploadRecord, 'parts'> = { ...fields, uploadId: randomHex(24) };
    const upload: UploadRecord = { ...stored, parts: new Map() };
    const uploadDir = this.uploadDir(bucketName, upload.uploadId);
    await mkdir(uploadDir, { recursive: true });
    await writeJsonAtomic(join(uploadDir, 'upload.json'), stored, this.objects.tempDir);
    bucket.uploads.set(upload.uploadId, upload);
    return upload;
  }

  /** Returns a pending upload of `key`, or throws NoSuchUpload. */
  get(bucketName: string, uploadId: string, key: string): UploadRecord {
    const upload = this.objects.bucket(bucketName).uploads.get(uploadId);
    if (upload === undefined || upload.key !== key) {
      throw noSuchUpload(uploadId);
    }
    return upload;
  }

  /** Returns the absolute path of a part's data file. */
  partPath(bucketName: string, uploadId: string, part: PartRecord): string {
    return join(this.uploadDir(bucketName, uploadId), part.dataFile);
  }

  /** Moves a verified part body from `tempPath` into the upload, replacing an earlier part. */
  async putPart(
    bucketName: string,
    uploadId: string,
    key: string,
    part: Omit<PartRecord, 'dataFile'>,
    tempPath: string,
  ): Promise<PartRecord> {
    return this.locks.run(uploadId, async () => {
      const upload = this.get(bucketName, uploadId, key);
      const uploadDir = this.uploadDir(bucketName, uploadId);
      const record: PartRecord = {
        ...part,
        dataFile: `part-${part.partNumber}.${randomHex(8)}.data`,
      };

      await rename(tempPath, join(uploadDir, record.dataFile));
      await writeJsonAtomic(
        join(uploadDir, `part-${part.partNumber}.json`),
        record,
        this.objects.tempDir,
      );
      const previous = upload.parts.get(part.partNumber);
      upload.parts.set(part.partNumber, record);
      if (previous !== undefined) {
        await rm(join(uploadDir, previous.dataFile), { force: true });
      }
      return record;
    });
  }

  /** Removes a pending upload and its parts, or throws NoSuchUpload. */
  async abort(bucketName: string, uploadId: string, key: string): Promise<void> {
    await this.locks.run(uploadId, async () => {
      this.get(bucketName, uploadId, key);
      await this.remove(bucketName, uploadId);
    });
  }

  /**
   * Turns the selected parts into a new object and removes the upload. `validate` runs under
   * the upload's lock and returns the object to write, so it checks the final part list.
   */
  async complete(
    bucketName: string,
    uploadId: string,
    key: string,
    validate: (upload: UploadRecord) => { parts: PartRecord[]; object: NewObject },
  ): Promise<ObjectRecord> {
    return this.locks.run(uploadId, async () => {
      const finished = this.completed.get(uploadId);
      if (finished?.bucketName === bucketName && finished.record.key === key) {
        return finished.record;
      }
      const upload = this.get(bucketName, uploadId, key);
      const { parts, object } = validate(upload);

      const partPaths = parts.map((part) => this.partPath(bucketName, uploadId, part));
      const record = await this.objects.putObjectFromParts(bucketName, object, partPaths);
      this.completed.set(uploadId, { bucketName, record });
      if (this.completed.size > MAX_REMEMBERED_COMPLETIONS) {
        this.completed.delete(this.completed.keys().next().value as string);
      }
      await this.remove(bucketName, uploadId);
      return record;
    });
  }

  private async remove(bucketName: string, uploadId: string): Promise<void> {
    this.objects.bucket(bucketName).uploads.delete(uploadId);
    const trash = join(this.objects.tempDir, `aborted-upload-${randomHex(8)}`);
    try {
      await rename(this.uploadDir(bucketName, uploadId), trash);
    } catch (error) {
      if (isErrorCode(error, 'ENOENT')) {
        return;
      }
      throw error;
    }
    await rm(trash, { recursive: true, force: true });
  }

  private uploadDir(bucketName: string, uploadId: string): string {
    return join(this.objects.bucketDir(bucketName), 'uploads', uploadId);
  }
}
