import { rm } from 'node:fs/promises';

import {
  checksumElementName,
  checksumHeaderName,
  parseChecksumAlgorithm,
  validateMultipartChecksumType,
  type ChecksumType,
} from './checksums';
import { requestHeader, type RequestContext } from './context';
import {
  checkCopyConditions,
  copyWithDigests,
  resolveCopySource,
  type CopiedBytes,
} from './copy-source';
import { objectHeadersFromRequest } from './object-headers';
import { MAX_PUT_BYTES, validateKey } from './object-write';
import { parseRange } from './object-read';
import { receiveBodyToFile } from './request-body';
import { quoteEtag, sendEmpty, sendXml, xmlDate } from './responses';
import { invalidArgument, invalidRequest } from './s3-error';
import type { PartRecord, UploadRecord } from './upload-store';
import { queryValue } from './uri';
import { element, optionalElement } from './xml';

/** Smallest size of every part but the last, as on S3 (5 MiB). */
export const MIN_PART_BYTES = 5 * 1024 * 1024;

const MAX_PART_NUMBER = 10000;

export function uploadIdOf(context: RequestContext): string {
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
      store.readObject(
        source.bucket,
        source.record,
        range ?? { start: 0, end: source.record.size - 1 },
      ),
      tempPath,
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
