import { pipeline } from 'node:stream/promises';

import { requestHeader, type RequestContext } from './context';
import type { ByteRange } from './object-data';
import { setObjectHeaders } from './object-headers';
import type { ObjectRecord } from './object-store';
import { httpDate, quoteEtag, sendEmpty } from './responses';
import {
  S3Error,
  invalidArgument,
  invalidRequest,
  noSuchKey,
  preconditionFailed,
} from './s3-error';
import { queryValue } from './uri';

function unsatisfiable(header: string, size: number): S3Error {
  return new S3Error(416, 'InvalidRange', 'The requested range is not satisfiable', {
    RangeRequested: header,
    ActualObjectSize: String(size),
  });
}

/**
 * Parses a Range header for an object of `size` bytes. Returns undefined when the header is
 * absent or ignored (not `bytes=`, several ranges, or first > last, as HTTP and S3 ignore
 * them) and throws InvalidRange (416) when no byte of the range exists.
 */
export function parseRange(header: string | undefined, size: number): ByteRange | undefined {
  const match = header === undefined ? null : /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (match === null) {
    return undefined;
  }
  const [, firstText = '', lastText = ''] = match;
  if (firstText === '' && lastText === '') {
    return undefined;
  }

  if (firstText === '') {
    const suffixLength = Number(lastText);
    if (suffixLength === 0 || size === 0) {
      throw unsatisfiable(header ?? '', size);
    }
    return { start: Math.max(0, size - suffixLength), end: size - 1 };
  }

  const start = Number(firstText);
  if (lastText !== '' && Number(lastText) < start) {
    return undefined;
  }
  const end = lastText === '' ? size - 1 : Number(lastText);
  if (start >= size) {
    throw unsatisfiable(header ?? '', size);
  }
  return { start, end: Math.min(end, size - 1) };
}

function etagMatches(condition: string, etag: string): boolean {
  return condition.split(',').some((candidate) => {
    const trimmed = candidate.trim().replace(/^W\//, '');
    return trimmed === '*' || trimmed === quoteEtag(etag) || trimmed === etag;
  });
}

// HTTP dates have whole seconds, so Last-Modified is compared at that precision.
function modifiedSince(record: ObjectRecord, header: string): boolean | undefined {
  const since = Date.parse(header);
  return Number.isNaN(since) ? undefined : Math.floor(record.lastModified / 1000) * 1000 > since;
}

/**
 * Evaluates If-Match, If-Unmodified-Since, If-None-Match and If-Modified-Since as S3 does
 * (RFC 7232 precedence). Returns 304 for a not-modified GET or HEAD, or throws 412.
 */
export function evaluateConditions(context: RequestContext, record: ObjectRecord): 304 | undefined {
  const ifMatch = requestHeader(context, 'if-match');
  const ifUnmodifiedSince = requestHeader(context, 'if-unmodified-since');
  const ifNoneMatch = requestHeader(context, 'if-none-match');
  const ifModifiedSince = requestHeader(context, 'if-modified-since');

  if (ifMatch !== undefined && !etagMatches(ifMatch, record.etag)) {
    throw preconditionFailed('If-Match');
  }
  if (
    ifMatch === undefined &&
    ifUnmodifiedSince !== undefined &&
    modifiedSince(record, ifUnmodifiedSince) === true
  ) {
    throw preconditionFailed('If-Unmodified-Since');
  }
  if (ifNoneMatch !== undefined) {
    return etagMatches(ifNoneMatch, record.etag) ? 304 : undefined;
  }
  if (ifModifiedSince !== undefined && modifiedSince(record, ifModifiedSince) === false) {
    return 304;
  }
  return undefined;
}

function partRange(context: RequestContext, record: ObjectRecord): ByteRange | undefined {
  const text = queryValue(context.query, 'partNumber');
  if (text === undefined) {
    return undefined;
  }
  const partNumber = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!(partNumber >= 1 && partNumber <= 10000)) {
    throw invalidArgument(
      'Part number must be an integer between 1 and 10000, inclusive',
      'partNumber',
      text,
    );
  }
  if (requestHeader(context, 'range') !== undefined) {
    throw invalidRequest('Cannot specify both Range header and partNumber query parameter');
  }
  const parts = record.parts ?? [{ size: record.size, etag: record.etag }];
  if (partNumber > parts.length) {
    throw new S3Error(416, 'InvalidPartNumber', 'The requested partnumber is not satisfiable', {
      PartNumberRequested: text,
      ActualPartCount: String(parts.length),
    });
  }
  const start = parts.slice(0, partNumber - 1).reduce((offset, part) => offset + part.size, 0);
  return { start, end: start + (parts[partNumber - 1]?.size ?? 0) - 1 };
}

function findRecord(context: RequestContext): ObjectRecord {
  const record = context.server.store.bucket(context.bucket).objects.get(context.key);
  if (record === undefined) {
    throw noSuchKey(context.key);
  }
  return record;
}

async function readObject(context: RequestContext, withBody: boolean): Promise<void> {
  const { response } = context;
  const record = findRecord(context);
  const notModified = evaluateConditions(context, record);
  if (notModified !== undefined) {
    sendEmpty(context, 304, {
      ETag: quoteEtag(record.etag),
      'Last-Modified': httpDate(record.lastModified),
    });
    return;
  }

  const range =
    partRange(context, record) ?? parseRange(requestHeader(context, 'range'), record.size);
  // A full-object checksum would not match a partial body, so S3 omits it for ranges.
  const checksumMode = requestHeader(context, 'x-amz-checksum-mode')?.toUpperCase() === 'ENABLED';
  setObjectHeaders(context, response, record, checksumMode && range === undefined);

  const byteRange = range ?? { start: 0, end: record.size - 1 };
  const length = byteRange.end - byteRange.start + 1;
  response.setHeader('Content-Length', String(length));
  if (range !== undefined) {
    response.setHeader('Content-Range', `bytes ${range.start}-${range.end}/${record.size}`);
  }
  if (!withBody || length === 0) {
    response.writeHead(range === undefined ? 200 : 206);
    response.end();
    return;
  }

  // readObject runs in the same tick as findRecord, which keeps the files of `record` alive.
  const body = context.server.store.readObject(context.bucket, record, byteRange);
  response.writeHead(range === undefined ? 200 : 206);
  await pipeline(body, response);
}

/** GetObject: the object's bytes, a Range (206) or a part, honoring conditional headers. */
export async function getObject(context: RequestContext): Promise<void> {
  await readObject(context, true);
}

/** HeadObject: the headers GetObject would send, without a body. */
export async function headObject(context: RequestContext): Promise<void> {
  await readObject(context, false);
}
