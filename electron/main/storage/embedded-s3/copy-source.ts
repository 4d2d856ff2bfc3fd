import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';

import { createDigest, type ChecksumAlgorithm } from './checksums';
import { requestHeader, type RequestContext } from './context';
import type { ObjectRecord } from './object-store';
import { quoteEtag } from './responses';
import { invalidArgument, noSuchKey, preconditionFailed } from './s3-error';
import { percentDecode } from './uri';

/** Object named by `x-amz-copy-source`, with its bucket. */
export interface CopySource {
  bucket: string;
  record: ObjectRecord;
}

/** Resolves `x-amz-copy-source` (`[/]bucket/key[?versionId=null]`, URL-encoded) to an object. */
export function resolveCopySource(context: RequestContext): CopySource {
  const header = requestHeader(context, 'x-amz-copy-source') ?? '';
  const [path = '', versionQuery] = header.split('?', 2);
  const decoded = percentDecode(path.startsWith('/') ? path.slice(1) : path);
  const slash = decoded.indexOf('/');
  if (slash <= 0 || slash === decoded.length - 1) {
    throw invalidArgument(
      'Copy Source must mention the source bucket and key: sourcebucket/sourcekey',
      'x-amz-copy-source',
      header,
    );
  }
  if (versionQuery !== undefined && versionQuery !== 'versionId=null') {
    throw invalidArgument(
      'This server does not keep object versions; only versionId=null can be copied.',
      'x-amz-copy-source',
      header,
    );
  }

  const bucket = decoded.slice(0, slash);
  const key = decoded.slice(slash + 1);
  const record = context.server.store.bucket(bucket).objects.get(key);
  if (record === undefined) {
    throw noSuchKey(key);
  }
  return { bucket, record };
}

/** Throws PreconditionFailed when an `x-amz-copy-source-if-*` condition does not hold. */
export function checkCopyConditions(context: RequestContext, record: ObjectRecord): void {
  const etag = quoteEtag(record.etag);
  const secondsModified = Math.floor(record.lastModified / 1000) * 1000;
  const ifMatch = requestHeader(context, 'x-amz-copy-source-if-match');
  const ifNoneMatch = requestHeader(context, 'x-amz-copy-source-if-none-match');
  const ifModifiedSince = Date.parse(
    requestHeader(context, 'x-amz-copy-source-if-modified-since') ?? '',
  );
  const ifUnmodifiedSince = Date.parse(
    requestHeader(context, 'x-amz-copy-source-if-unmodified-since') ?? '',
  );
  const matches = (condition: string): boolean =>
    condition.split(',').some((candidate) => [etag, record.etag, '*'].includes(candidate.trim()));

  if (ifMatch !== undefined && !matches(ifMatch)) {
    throw preconditionFailed('x-amz-copy-source-If-Match');
  }
  if (ifNoneMatch !== undefined && matches(ifNoneMatch)) {
    throw preconditionFailed('x-amz-copy-source-If-None-Match');
  }
  if (ifMatch === undefined && secondsModified > ifUnmodifiedSince) {
    throw preconditionFailed('x-amz-copy-source-If-Unmodified-Since');
  }
  if (ifNoneMatch === undefined && secondsModified <= ifModifiedSince) {
    throw preconditionFailed('x-amz-copy-source-If-Modified-Since');
  }
}

/** Size and digests of copied bytes. */
export interface CopiedBytes {
  size: number;
  md5: Buffer;
  checksums: Map<ChecksumAlgorithm, string>;
}

/**
 * Copies `source` (a stream from ObjectStore.readObject) to a new file at `targetPath`,
 * computing MD5 and the checksums of `algorithms` on the way.
 */
export async function copyWithDigests(
  source: Readable,
  targetPath: string,
  algorithms: ChecksumAlgorithm[],
): Promise<CopiedBytes> {
  const md5 = createHash('md5');
  const digests = new Map(algorithms.map((algorithm) => [algorithm, createDigest(algorithm)]));
  let size = 0;
  const digesting = new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback): void {
      size += chunk.length;
      md5.update(chunk);
      for (const digest of digests.values()) {
        digest.update(chunk);
      }
      callback(null, chunk);
    },
  });

  try {
    await pipeline(source, digesting, createWriteStream(targetPath, { flags: 'wx' }));
  } catch (error) {
    await rm(targetPath, { force: true });
    throw error;
  }
  const checksums = new Map(
    [...digests].map(([algorithm, digest]) => [algorithm, digest.digest().toString('base64')]),
  );
  return { size, md5: md5.digest(), checksums };
}
