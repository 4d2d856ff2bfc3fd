import type { IncomingMessage } from 'node:http';

import {
  CHECKSUM_ALGORITHMS,
  algorithmOfHeader,
  checksumHeaderName,
  validateChecksumValue,
  type ChecksumAlgorithm,
} from './checksums';
import { S3Error } from './s3-error';

/** Checksum that the client sent in a header or an aws-chunked trailer. */
export interface DeclaredChecksum {
  algorithm: ChecksumAlgorithm;
  value: string;
}

function header(request: IncomingMessage, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}

/**
 * Returns the payload length that the request declares: Content-Length, or for aws-chunked
 * bodies x-amz-decoded-content-length. Throws MissingContentLength (411) when it is absent
 * and not optional, and EntityTooLarge when it exceeds `maxBytes`.
 */
export function declaredLength(
  request: IncomingMessage,
  streaming: boolean,
  maxBytes: number,
  lengthOptional: boolean,
): number | undefined {
  const text = streaming
    ? header(request, 'x-amz-decoded-content-length')
    : header(request, 'content-length');
  if (text === undefined) {
    if (lengthOptional && !streaming) {
      return undefined;
    }
    throw new S3Error(
      411,
      'MissingContentLength',
      'You must provide the Content-Length HTTP header.',
    );
  }
  const length = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(length)) {
    throw new S3Error(400, 'InvalidArgument', `Content length "${text}" is not a valid number.`);
  }
  if (length > maxBytes) {
    throw new S3Error(
      400,
      'EntityTooLarge',
      'Your proposed upload exceeds the maximum allowed size',
      {
        ProposedSize: String(length),
        MaxSizeAllowed: String(maxBytes),
      },
    );
  }
  return length;
}

/** Checksum sent in a header, and the algorithm of a checksum announced for the trailer. */
export interface ChecksumPlan {
  header: DeclaredChecksum | undefined;
  trailerAlgorithm: ChecksumAlgorithm | undefined;
}

/**
 * Reads the checksum the client declares: at most one `x-amz-checksum-*` header, and an
 * `x-amz-trailer` naming a checksum that follows an aws-chunked body. Throws InvalidRequest
 * for several checksum headers, a trailer on a plain body, or a malformed value.
 */
export function planChecksums(request: IncomingMessage, streaming: boolean): ChecksumPlan {
  const headerNames = CHECKSUM_ALGORITHMS.map(checksumHeaderName).filter(
    (name) => request.headers[name] !== undefined,
  );
  if (headerNames.length > 1) {
    throw new S3Error(
      400,
      'InvalidRequest',
      'Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.',
    );
  }

  const trailerName = header(request, 'x-amz-trailer')?.trim().toLowerCase();
  const trailerAlgorithm = trailerName === undefined ? undefined : algorithmOfHeader(trailerName);
  if (trailerName !== undefined && (trailerAlgorithm === undefined || !streaming)) {
    throw new S3Error(
      400,
      'InvalidRequest',
      `The x-amz-trailer header "${trailerName}" is not supported for this request.`,
    );
  }

  const headerName = headerNames[0];
  if (headerName === undefined) {
    return { header: undefined, trailerAlgorithm };
  }
  const algorithm = algorithmOfHeader(headerName) as ChecksumAlgorithm;
  const value = header(request, headerName) ?? '';
  validateChecksumValue(algorithm, value);
  return { header: { algorithm, value }, trailerAlgorithm };
}

/** Returns the decoded Content-MD5 header, or throws InvalidDigest when it is not a base64 MD5. */
export function parseContentMd5(request: IncomingMessage): Buffer | undefined {
  const value = header(request, 'content-md5');
  if (value === undefined) {
    return undefined;
  }
  const digest = Buffer.from(value, 'base64');
  if (digest.length !== 16 || digest.toString('base64') !== value) {
    throw new S3Error(400, 'InvalidDigest', 'The Content-MD5 you specified was invalid.', {
      'Content-MD5': value,
    });
  }
  return digest;
}
