import type { ServerResponse } from 'node:http';

import { checksumHeaderName, type StoredChecksum } from './checksums';
import { requestHeader, type RequestContext } from './context';
import { exposeHeaders } from './cors';
import type { ObjectRecord } from './object-store';
import { httpDate, quoteEtag } from './responses';
import { S3Error, invalidArgument } from './s3-error';
import { queryValue } from './uri';

/** Standard headers that S3 stores with an object and returns on GET and HEAD. */
export const STORED_HEADERS = [
  'content-type',
  'cache-control',
  'content-disposition',
  'content-encoding',
  'content-language',
  'expires',
] as const;

/** Content-Type that S3 stores when a PUT names none. */
export const DEFAULT_CONTENT_TYPE = 'binary/octet-stream';

const MAX_USER_METADATA_BYTES = 2048;
const USER_METADATA_PREFIX = 'x-amz-meta-';

/** Headers and user metadata to store with a new object. */
export interface ObjectHeaderFields {
  headers: Record<string, string>;
  metadata: Record<string, string>;
}

// aws-chunked describes the request framing only, so S3 strips it from the stored encoding.
function storedContentEncoding(value: string): string | undefined {
  const codings = value
    .split(',')
    .map((coding) => coding.trim())
    .filter((coding) => coding !== '' && coding.toLowerCase() !== 'aws-chunked');
  return codings.length === 0 ? undefined : codings.join(',');
}

/** Reads the stored headers and `x-amz-meta-*` metadata of a PUT, POST or copy request. */
export function objectHeadersFromRequest(context: RequestContext): ObjectHeaderFields {
  const headers: Record<string, string> = {};
  for (const name of STORED_HEADERS) {
    const value = requestHeader(context, name);
    const stored =
      name === 'content-encoding' && value !== undefined ? storedContentEncoding(value) : value;
    if (stored !== undefined) {
      headers[name] = stored;
    }
  }
  headers['content-type'] ??= DEFAULT_CONTENT_TYPE;

  const metadata: Record<string, string> = {};
  let metadataBytes = 0;
  for (const [name, value] of Object.entries(context.request.headers)) {
    if (!name.startsWith(USER_METADATA_PREFIX) || value === undefined) {
      continue;
    }
    const text = Array.isArray(value) ? value.join(',') : value;
    metadata[name] = text;
    metadataBytes +=
      Buffer.byteLength(name.slice(USER_METADATA_PREFIX.length)) + Buffer.byteLength(text);
  }
  if (metadataBytes > MAX_USER_METADATA_BYTES) {
    throw new S3Error(
      400,
      'MetadataTooLarge',
      'Your metadata headers exceed the maximum allowed metadata size',
      {
        Size: String(metadataBytes),
        MaxSizeAllowed: String(MAX_USER_METADATA_BYTES),
      },
    );
  }
  return { headers, metadata };
}

const RESPONSE_OVERRIDES: Record<string, string> = {
  'response-content-type': 'content-type',
  'response-content-language': 'content-language',
  'response-expires': 'expires',
  'response-cache-control': 'cache-control',
  'response-content-disposition': 'content-disposition',
  'response-content-encoding': 'content-encoding',
};

/**
 * Sets the headers of a GET or HEAD response for `record`: ETag, Last-Modified, stored headers
 * (replaced by `response-*` query overrides), user metadata, and the checksum when requested.
 */
export function setObjectHeaders(
  context: RequestContext,
  response: ServerResponse,
  record: ObjectRecord,
  includeChecksum: boolean,
): void {
  response.setHeader('ETag', quoteEtag(record.etag));
  response.setHeader('Last-Modified', httpDate(record.lastModified));
  response.setHeader('Accept-Ranges', 'bytes');
  for (const [name, value] of Object.entries(record.headers)) {
    response.setHeader(name, value);
  }
  for (const [parameter, name] of Object.entries(RESPONSE_OVERRIDES)) {
    const value = queryValue(context.query, parameter);
    if (value === undefined) {
      continue;
    }
    // Header bytes go out as sent: UTF-8 text is written byte for byte, as S3 does.
    const headerText = Buffer.from(value, 'utf8').toString('latin1');
    if (!isValidHeaderValue(headerText)) {
      throw invalidArgument(
        `The ${parameter} value contains control characters.`,
        parameter,
        value,
      );
    }
    response.setHeader(name, headerText);
  }
  for (const [name, value] of Object.entries(record.metadata)) {
    response.setHeader(name, value);
  }
  exposeHeaders(response, Object.keys(record.metadata));
  if (record.parts !== undefined) {
    response.setHeader('x-amz-mp-parts-count', String(record.parts.length));
  }
  if (includeChecksum && record.checksum !== undefined) {
    setChecksumHeaders(response, record.checksum);
  }
}

/** Sets `x-amz-checksum-<algorithm>` and `x-amz-checksum-type` on a response. */
export function setChecksumHeaders(response: ServerResponse, checksum: StoredChecksum): void {
  response.setHeader(checksumHeaderName(checksum.algorithm), checksum.value);
  response.setHeader('x-amz-checksum-type', checksum.type);
}

// Node rejects header values with control characters other than tab.
function isValidHeaderValue(value: string): boolean {
  return !/[^\t\u0020-\u007e\u0080-\u00ff]/.test(value);
}
