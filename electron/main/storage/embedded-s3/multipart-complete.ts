import { createHash } from 'node:crypto';

import {
  checksumElementName,
  checksumHeaderName,
  multipartChecksum,
  type StoredChecksum,
} from './checksums';
import { requestHeader, type RequestContext } from './context';
import { MIN_PART_BYTES, uploadIdOf } from './multipart';
import type { NewObject } from './object-store';
import { checkWriteConditions } from './object-write';
import { receiveBodyToBuffer } from './request-body';
import { quoteEtag, sendXml } from './responses';
import { S3Error, invalidRequest, malformedXml } from './s3-error';
import type { PartRecord, UploadRecord } from './upload-store';
import { s3UriEncode } from './uri';
import {
  childRecords,
  childText,
  element,
  optionalElement,
  parseRequestXml,
  type XmlRecord,
} from './xml';

const MAX_COMPLETE_BODY_BYTES = 8 << 20;

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
