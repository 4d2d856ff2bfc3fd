import { createHash } from 'node:crypto';
import { rm } from 'node:fs/promises';

import {
  checksumElementName,
  checksumHeaderName,
  multipartChecksum,
  parseChecksumAlgorithm,
  validateMultipartChecksumType,
  type ChecksumType,
  type StoredChecksum,
} from './checksums';
import { requestHeader, type RequestContext } from './context';
import {
  checkCopyConditions,
  copyWithDigests,
  resolveCopySource,
  type CopiedBytes,
} from './copy-source';
import { objectHeadersFromRequest } from './object-headers';
import type { NewObject } from './object-store';
import { MAX_PUT_BYTES, checkWriteConditions, validateKey } from './object-write';
import { parseRange } from './object-read';
import { receiveBodyToBuffer, receiveBodyToFile } from './request-body';
import { quoteEtag, sendEmpty, sendXml, xmlDate } from './responses';
import { S3Error, invalidArgument, invalidRequest, malformedXml } from './s3-error';
import type { PartRecord, UploadRecord } from './upload-store';
import { queryValue, s3UriEncode } from './uri';
import {
  childRecords,
  childText,
  element,
  optionalElement,
  parseRequestXml,
  type XmlRecord,
} from './xml';

/** Smallest size of every part but the last, as on S3 (5 MiB). */
export const MIN_PART_BYTES = 5 * 1024 * 1024;

const MAX_PART_NUMBER = 10000;
const MAX_COMPLETE_BODY_BYTES = 8 << 20;

function uploadIdOf(context: RequestContext): string {
  return queryValue(context.query, 'uploadId') ?? '';
}

function parsePartNumber(context: RequestContext): number {
  const text = queryValue(context.query, 'partNumber') ?? '';
  const partNumber = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!(partNumber >= 1 && partNumber <= MAX_PART_NUMBER)) {
    throw invalidArgument(
      'Part number must be an integer between 1 and 10000, inclusive',
      'partNumber',
      text,
    );
  }
  return partNumber;
}

function checksumType(
  context: RequestContext,
  algorithm: UploadRecord['checksumAlgorithm'],
): ChecksumType | undefined {
  const text = requestHeader(context, 'x-amz-checksum-type')?.toUpperCase();
  if (text !== undefined && text !== 'COMPOSITE' && text !== 'FULL_OBJECT') {
    throw invalidArgument('Value for x-amz-checksum-type is invalid.', 'x-amz-checksum-type', text);
  }
  if (algorithm === undefined) {
    if (text !== undefined) {
      throw invalidRequest(
        'The x-amz-checksum-type header requires an x-amz-checksum-algorithm header.',
      );
    }
    return undefined;
  }
  // CRC-64/NVME supports only full-object checksums, so S3 picks that type for it.
  const type = text ?? (algorithm === 'CRC64NVME' ? 'FULL_OBJECT' : 'COMPOSITE');
  validateMultipartChecksumType(algorithm, type);
  return type;
}

/** CreateMultipartUpload: starts an upload that keeps the object headers and checksum settings. */
export async function createMultipartUpload(context: RequestContext): Promise<void> {
  validateKey(context.key);
  context.server.store.bucket(context.bucket);
  const algorithmName = requestHeader(context, 'x-amz-checksum-algorithm');
  const checksumAlgorithm =
    algorithmName === undefined ? undefined : parseChecksumAlgorithm(algorithmName);
  const type = checksumType(context, checksumAlgorithm);

  const upload = await context.server.uploads.create(context.bucket, {
    key: context.key,
    initiated: context.server.now(),
    ...objectHeadersFromRequest(context),
    ...(checksumAlgorithm === undefined ? {} : { checksumAlgorithm }),
    ...(type === undefined ? {} : { checksumType: type }),
  });
  context.server.logger?.debug(
    { bucket: context.bucket, key: context.key, uploadId: upload.uploadId },
    'multipart upload created',
  );

  if (checksumAlgorithm !== undefined && type !== undefined) {
    context.response.setHeader('x-amz-checksum-algorithm', checksumAlgorithm);
    context.response.setHeader('x-amz-checksum-type', type);
  }
  sendXml(
    context,
    200,
    element(
      'InitiateMultipartUploadResult',
      element('Bucket', context.bucket),
      element('Key', context.key),
      element('UploadId', upload.uploadId),
    ),
  );
}

async function storePart(
  context: RequestContext,
  upload: UploadRecord,
  partNumber: number,
  bytes: CopiedBytes,
  tempPath: string,
): Promise<PartRecord> {
  const checksum =
    upload.checksumAlgorithm === undefined
      ? undefined
      : bytes.checksums.get(upload.checksumAlgorithm);
  return context.server.uploads.putPart(
    context.bucket,
    upload.uploadId,
    context.key,
    {
      partNumber,
      size: bytes.size,
      etag: bytes.md5.toString('hex'),
      lastModified: context.server.now(),
      ...(checksum === undefined ? {} : { checksum }),
    },
    tempPath,
  );
}

/** UploadPart: stores one part after its body arrived and its digests matched. */
export async function uploadPart(context: RequestContext): Promise<void> {
  const partNumber = parsePartNumber(context);
  const upload = context.server.uploads.get(context.bucket, uploadIdOf(context), context.key);
  const tempPath = context.server.store.newTempPath();
  try {
    const received = await receiveBodyToFile(context.request, tempPath, {
      verified: context.verified,
      maxBytes: MAX_PUT_BYTES,
      ...(upload.checksumAlgorithm === undefined
        ? {}
        : { requiredAlgorithm: upload.checksumAlgorithm }),
    });
    const declared = received.declaredChecksum?.algorithm;
    if (
      upload.checksumAlgorithm !== undefined &&
      declared !== undefined &&
      declared !== upload.checksumAlgorithm
    ) {
      throw invalidRequest(
        `Checksum Type mismatch occurred, expected checksum Type: ${upload.checksumAlgorithm.toLowerCase()}, actual checksum Type: ${declared.toLowerCase()}`,
      );
    }
    const part = await storePart(context, upload, partNumber, received, tempPath);
    context.server.countBytesReceived(received.size);

    context.response.setHeader('ETag', quoteEtag(part.etag));
    if (upload.checksumAlgorithm !== undefined && part.checksum !== undefined) {
      context.response.setHeader(checksumHeaderName(upload.checksumAlgorithm), part.checksum);
    }
    sendEmpty(context, 200);
  } finally {
    await rm(tempPath, { force: true });
  }
}

/** UploadPartCopy: stores a part copied from (a byte range of) an existing object. */
export async function uploadPartCopy(context: RequestContext): Promise<void> {
  const partNumber = parsePartNumber(context);
  const upload = context.server.uploads.get(context.bucket, uploadIdOf(context), context.key);
  const source = resolveCopySource(context);
  checkCopyConditions(context, source.record);
  const rangeHeader = requestHeader(context, 'x-amz-copy-source-range');
  const range = parseRange(rangeHeader, source.record.size);
  if (rangeHeader !== undefined && range === undefined) {
    throw invalidArgument(
      'The x-amz-copy-source-range value must be of the form bytes=first-last.',
      'x-amz-copy-source-range',
      rangeHeader,
    );
  }

  const { store } = context.server;
  const tempPath = store.newTempPath();
  try {
    const algorithms = upload.checksumAlgorithm === undefined ? [] : [upload.checksumAlgorithm];
    const copied = await copyWithDigests(
      store.dataPath(source.bucket, source.record),
      tempPath,
      range,
      algorithms,
    );
    const part = await storePart(context, upload, partNumber, copied, tempPath);
    sendXml(
      context,
      200,
      element(
        'CopyPartResult',
        element('ETag', quoteEtag(part.etag)),
        element('LastModified', xmlDate(part.lastModified)),
        upload.checksumAlgorithm === undefined
          ? undefined
          : optionalElement(checksumElementName(upload.checksumAlgorithm), part.checksum),
      ),
    );
  } finally {
    await rm(tempPath, { force: true });
  }
}

function unquote(etag: string): string {
  return etag.trim().replace(/^"(.*)"$/, '$1');
}

function invalidPart(upload: UploadRecord, partNumber: number, etag: string): S3Error {
  return new S3Error(
    400,
    'InvalidPart',
    "One or more of the specified parts could not be found. The part may not have been uploaded, or the specified entity tag may not match the part's entity tag.",
    { UploadId: upload.uploadId, PartNumber: String(partNumber), ETag: etag },
  );
}

function selectParts(upload: UploadRecord, requested: XmlRecord[]): PartRecord[] {
  if (requested.length === 0) {
    throw invalidRequest('You must specify at least one part');
  }
  let previous = 0;
  return requested.map((entry, index) => {
    const partNumber = Number(childText(entry, 'PartNumber')?.trim());
    const etag = childText(entry, 'ETag');
    if (!Number.isInteger(partNumber) || etag === undefined) {
      throw malformedXml();
    }
    if (partNumber <= previous) {
      throw new S3Error(
        400,
        'InvalidPartOrder',
        'The list of parts was not in ascending order. The parts list must be specified in order by part number.',
      );
    }
    previous = partNumber;

    const part = upload.parts.get(partNumber);
    if (part === undefined || unquote(etag) !== part.etag) {
      throw invalidPart(upload, partNumber, etag);
    }
    if (upload.checksumAlgorithm !== undefined) {
      const checksum = childText(entry, checksumElementName(upload.checksumAlgorithm));
      if (checksum === undefined && upload.checksumType === 'COMPOSITE') {
        throw invalidRequest(
          `The upload was created using a ${upload.checksumAlgorithm.toLowerCase()} checksum. The complete request must include the checksum for each part. It was missing for part ${partNumber} in the request.`,
        );
      }
      if (checksum !== undefined && checksum.trim() !== part.checksum) {
        throw invalidPart(upload, partNumber, etag);
      }
    }
    if (index < requested.length - 1 && part.size < MIN_PART_BYTES) {
      throw new S3Error(
        400,
        'EntityTooSmall',
        'Your proposed upload is smaller than the minimum allowed size',
        {
          ProposedSize: String(part.size),
          MinSizeAllowed: String(MIN_PART_BYTES),
          PartNumber: String(partNumber),
          ETag: etag,
        },
      );
    }
    return part;
  });
}

function completedObject(
  context: RequestContext,
  upload: UploadRecord,
  parts: PartRecord[],
): NewObject {
  const md5s = Buffer.concat(parts.map((part) => Buffer.from(part.etag, 'hex')));
  const etag = `${createHash('md5').update(md5s).digest('hex')}-${parts.length}`;

  let checksum: StoredChecksum | undefined;
  if (upload.checksumAlgorithm !== undefined && upload.checksumType !== undefined) {
    const inputs = parts.map((part) => ({ value: part.checksum ?? '', size: part.size }));
    const value = multipartChecksum(upload.checksumAlgorithm, upload.checksumType, inputs);
    const expected = requestHeader(context, checksumHeaderName(upload.checksumAlgorithm));
    if (
      expected !== undefined &&
      expected.trim() !== value &&
      `${expected.trim()}-${parts.length}` !== value
    ) {
      throw new S3Error(
        400,
        'BadDigest',
        `The ${upload.checksumAlgorithm} you specified did not match the calculated checksum.`,
      );
    }
    checksum = { algorithm: upload.checksumAlgorithm, value, type: upload.checksumType };
  }

  return {
    key: upload.key,
    size: parts.reduce((total, part) => total + part.size, 0),
    etag,
    lastModified: context.server.now(),
    headers: upload.headers,
    metadata: upload.metadata,
    ...(checksum === undefined ? {} : { checksum }),
    parts: parts.map((part) => ({
      size: part.size,
      etag: part.etag,
      ...(part.checksum === undefined ? {} : { checksum: part.checksum }),
    })),
  };
}

/** CompleteMultipartUpload: validates the part list and assembles the object. */
export async function completeMultipartUpload(context: RequestContext): Promise<void> {
  const { store, uploads } = context.server;
  const uploadId = uploadIdOf(context);
  store.bucket(context.bucket);
  const { body } = await receiveBodyToBuffer(context.request, {
    verified: context.verified,
    maxBytes: MAX_COMPLETE_BODY_BYTES,
  });
  const requested = childRecords(parseRequestXml(body, 'CompleteMultipartUpload'), 'Part');

  const record = await uploads.complete(context.bucket, uploadId, context.key, (upload) => {
    checkWriteConditions(context, store.bucket(context.bucket).objects.get(context.key));
    const parts = selectParts(upload, requested);
    return { parts, object: completedObject(context, upload, parts) };
  });
  context.server.logger?.debug(
    { bucket: context.bucket, key: context.key, uploadId, size: record.size },
    'multipart upload completed',
  );

  const host = requestHeader(context, 'host') ?? '127.0.0.1';
  sendXml(
    context,
    200,
    element(
      'CompleteMultipartUploadResult',
      element('Location', `http://${host}/${context.bucket}/${s3UriEncode(context.key, true)}`),
      element('Bucket', context.bucket),
      element('Key', context.key),
      element('ETag', quoteEtag(record.etag)),
      record.checksum === undefined
        ? undefined
        : element(checksumElementName(record.checksum.algorithm), record.checksum.value),
      optionalElement('ChecksumType', record.checksum?.type),
    ),
  );
}

/** AbortMultipartUpload: removes a pending upload and its parts. */
export async function abortMultipartUpload(context: RequestContext): Promise<void> {
  const uploadId = uploadIdOf(context);
  await context.server.uploads.abort(context.bucket, uploadId, context.key);
  context.server.logger?.debug(
    { bucket: context.bucket, key: context.key, uploadId },
    'multipart upload aborted',
  );
  sendEmpty(context, 204);
}
