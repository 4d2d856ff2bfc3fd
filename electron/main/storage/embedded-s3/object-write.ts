import { rm } from 'node:fs/promises';

import {
  checksumElementName,
  parseChecksumAlgorithm,
  type ChecksumAlgorithm,
  type StoredChecksum,
} from './checksums';
import { requestHeader, type RequestContext } from './context';
import { checkCopyConditions, copyWithDigests, resolveCopySource } from './copy-source';
import { objectHeadersFromRequest, setChecksumHeaders } from './object-headers';
import type { ObjectRecord } from './object-store';
import { receiveBodyToBuffer, receiveBodyToFile } from './request-body';
import { quoteEtag, sendEmpty, sendXml, xmlDate } from './responses';
import {
  S3Error,
  invalidArgument,
  invalidRequest,
  malformedXml,
  noSuchKey,
  preconditionFailed,
} from './s3-error';
import { childRecords, childText, element, optionalElement, parseRequestXml } from './xml';

/** Largest object a single PutObject or CopyObject may create, as on S3 (5 GiB). */
export const MAX_PUT_BYTES = 5 * 1024 ** 3;

const MAX_KEY_BYTES = 1024;
const MAX_DELETE_KEYS = 1000;
const MAX_DELETE_BODY_BYTES = 8 << 20;

/** Throws KeyTooLongError for keys over 1024 UTF-8 bytes. */
export function validateKey(key: string): void {
  if (Buffer.byteLength(key, 'utf8') > MAX_KEY_BYTES) {
    throw new S3Error(400, 'KeyTooLongError', 'Your key is too long', {
      Size: String(Buffer.byteLength(key, 'utf8')),
      MaxSizeAllowed: String(MAX_KEY_BYTES),
    });
  }
}

/** Returns the algorithm named by `x-amz-sdk-checksum-algorithm` or `x-amz-checksum-algorithm`. */
export function requestedChecksumAlgorithm(context: RequestContext): ChecksumAlgorithm | undefined {
  const name =
    requestHeader(context, 'x-amz-sdk-checksum-algorithm') ??
    requestHeader(context, 'x-amz-checksum-algorithm');
  return name === undefined ? undefined : parseChecksumAlgorithm(name);
}

/** Throws for a write whose If-Match or If-None-Match: * condition fails against `existing`. */
export function checkWriteConditions(
  context: RequestContext,
  existing: ObjectRecord | undefined,
): void {
  const ifNoneMatch = requestHeader(context, 'if-none-match');
  const ifMatch = requestHeader(context, 'if-match');
  if (ifNoneMatch !== undefined) {
    if (ifNoneMatch.trim() !== '*') {
      throw new S3Error(
        501,
        'NotImplemented',
        'A header you provided implies functionality that is not implemented',
        { Header: 'If-None-Match' },
      );
    }
    if (existing !== undefined) {
      throw preconditionFailed('If-None-Match');
    }
  }
  if (ifMatch !== undefined) {
    if (existing === undefined) {
      throw noSuchKey(context.key);
    }
    if (ifMatch.trim() !== quoteEtag(existing.etag) && ifMatch.trim() !== existing.etag) {
      throw preconditionFailed('If-Match');
    }
  }
}

/** PutObject: stores the body once it has fully arrived and every declared digest matched. */
export async function putObject(context: RequestContext): Promise<void> {
  const { store } = context.server;
  validateKey(context.key);
  const objects = store.bucket(context.bucket).objects;
  const fields = objectHeadersFromRequest(context);
  const requiredAlgorithm = requestedChecksumAlgorithm(context);
  checkWriteConditions(context, objects.get(context.key));

  const tempPath = store.newTempPath();
  const received = await receiveBodyToFile(context.request, tempPath, {
    verified: context.verified,
    maxBytes: MAX_PUT_BYTES,
    requiredAlgorithm,
  });
  try {
    checkWriteConditions(context, objects.get(context.key));
    // NOTE: S3 now stores a CRC64NVME checksum for uploads that send none; this server stores
    // none, so such objects return no checksum.
    const algorithm = received.declaredChecksum?.algorithm ?? requiredAlgorithm;
    const value = algorithm === undefined ? undefined : received.checksums.get(algorithm);
    const checksum: StoredChecksum | undefined =
      algorithm === undefined || value === undefined
        ? undefined
        : { algorithm, value, type: 'FULL_OBJECT' };
    const record = await store.putObject(
      context.bucket,
      {
        key: context.key,
        size: received.size,
        etag: received.md5.toString('hex'),
        lastModified: context.server.now(),
        ...fields,
        ...(checksum === undefined ? {} : { checksum }),
      },
      tempPath,
    );
    context.server.countBytesReceived(received.size);

    context.response.setHeader('ETag', quoteEtag(record.etag));
    if (record.checksum !== undefined) {
      setChecksumHeaders(context.response, record.checksum);
    }
    sendEmpty(context, 200);
  } finally {
    await rm(tempPath, { force: true });
  }
}

/** DeleteObject: removes the key. A missing key also gets 204, as on S3. */
export async function deleteObject(context: RequestContext): Promise<void> {
  await context.server.store.deleteObject(context.bucket, context.key);
  sendEmpty(context, 204);
}

/** DeleteObjects: deletes up to 1000 keys listed in a `<Delete>` document. */
export async function deleteObjects(context: RequestContext): Promise<void> {
  const { store } = context.server;
  store.bucket(context.bucket);
  const { body, received } = await receiveBodyToBuffer(context.request, {
    verified: context.verified,
    maxBytes: MAX_DELETE_BODY_BYTES,
  });
  if (
    received.declaredChecksum === undefined &&
    requestHeader(context, 'content-md5') === undefined
  ) {
    throw invalidRequest(
      'Missing required header for this request: Content-Md5 or x-amz-checksum-*',
    );
  }

  const document = parseRequestXml(body, 'Delete');
  const quiet = childText(document, 'Quiet')?.trim() === 'true';
  const keys = childRecords(document, 'Object').map((object) => {
    const key = childText(object, 'Key');
    if (key === undefined) {
      throw malformedXml();
    }
    return key;
  });
  if (keys.length === 0 || keys.length > MAX_DELETE_KEYS) {
    throw malformedXml();
  }

  const results = [];
  for (const key of keys) {
    try {
      validateKey(key);
      await store.deleteObject(context.bucket, key);
      results.push(quiet ? undefined : element('Deleted', element('Key', key)));
    } catch (error) {
      if (!(error instanceof S3Error)) {
        throw error;
      }
      results.push(
        element(
          'Error',
          element('Key', key),
          element('Code', error.code),
          element('Message', error.message),
        ),
      );
    }
  }
  sendXml(context, 200, element('DeleteResult', ...results));
}

/** CopyObject: copies a stored object, keeping (COPY) or replacing (REPLACE) its metadata. */
export async function copyObject(context: RequestContext): Promise<void> {
  const { store } = context.server;
  validateKey(context.key);
  store.bucket(context.bucket);
  const source = resolveCopySource(context);
  checkCopyConditions(context, source.record);

  const directive = (requestHeader(context, 'x-amz-metadata-directive') ?? 'COPY').toUpperCase();
  if (directive !== 'COPY' && directive !== 'REPLACE') {
    throw invalidArgument('Unknown metadata directive.', 'x-amz-metadata-directive', directive);
  }
  const requestedAlgorithm = requestedChecksumAlgorithm(context);
  const sameObject = source.bucket === context.bucket && source.record.key === context.key;
  if (sameObject && directive === 'COPY' && requestedAlgorithm === undefined) {
    throw invalidRequest(
      "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.",
    );
  }
  const fields =
    directive === 'REPLACE'
      ? objectHeadersFromRequest(context)
      : { headers: source.record.headers, metadata: source.record.metadata };
  checkWriteConditions(context, store.bucket(context.bucket).objects.get(context.key));

  // The copy is a new single-part object, so its ETag is the MD5 of the bytes and a checksum is
  // recomputed over the whole object.
  const algorithm = requestedAlgorithm ?? source.record.checksum?.algorithm;
  const tempPath = store.newTempPath();
  try {
    const whole = { start: 0, end: source.record.size - 1 };
    const copied = await copyWithDigests(
      store.readObject(source.bucket, source.record, whole),
      tempPath,
      algorithm === undefined ? [] : [algorithm],
    );
    const value = algorithm === undefined ? undefined : copied.checksums.get(algorithm);
    const record = await store.putObject(
      context.bucket,
      {
        key: context.key,
        size: copied.size,
        etag: copied.md5.toString('hex'),
        lastModified: context.server.now(),
        ...fields,
        ...(algorithm === undefined || value === undefined
          ? {}
          : { checksum: { algorithm, value, type: 'FULL_OBJECT' as const } }),
      },
      tempPath,
    );

    sendXml(
      context,
      200,
      element(
        'CopyObjectResult',
        element('ETag', quoteEtag(record.etag)),
        element('LastModified', xmlDate(record.lastModified)),
        record.checksum === undefined
          ? undefined
          : element(checksumElementName(record.checksum.algorithm), record.checksum.value),
        optionalElement('ChecksumType', record.checksum?.type),
      ),
    );
  } finally {
    await rm(tempPath, { force: true });
  }
}
