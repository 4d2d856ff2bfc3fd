import type { RequestContext } from './context';
import type { SortedKeyIndex } from './key-index';
import type { ObjectRecord } from './object-store';
import { ownerElement, quoteEtag, sendXml, xmlDate } from './responses';
import { invalidArgument } from './s3-error';
import { s3UriEncode, queryValue, type QueryParameter } from './uri';
import { element, optionalElement, type XmlElement } from './xml';

/** Maximum page size of S3 listings, whatever max-keys requests. */
export const MAX_LIST_KEYS = 1000;

/** Page of a listing: objects and common prefixes in key order, at most `maxKeys` together. */
export interface ListPage<V> {
  contents: V[];
  commonPrefixes: string[];
  isTruncated: boolean;
  /** Last key or common prefix of the page; the next page starts after it. */
  lastItem: string | undefined;
}

/** Listing request: keys under `prefix`, after `marker`, grouped at `delimiter` when not ''. */
export interface ListQuery {
  prefix: string;
  delimiter: string;
  marker: string | undefined;
  maxKeys: number;
}

/**
 * Lists one page of an index as S3 does. Keys that contain the delimiter after the prefix are
 * rolled up into one common prefix, which counts once towards max-keys. A common prefix equal
 * to the marker was the last item of the previous page, so its keys are skipped.
 */
export function listPage<V>(index: SortedKeyIndex<V>, query: ListQuery): ListPage<V> {
  const { prefix, delimiter, marker } = query;
  let position = index.lowerBound(prefix);
  if (marker !== undefined) {
    position = Math.max(position, index.upperBound(marker));
  }

  const page: ListPage<V> = {
    contents: [],
    commonPrefixes: [],
    isTruncated: false,
    lastItem: undefined,
  };
  for (let key = index.keyAt(position); key?.startsWith(prefix); key = index.keyAt(position)) {
    if (page.contents.length + page.commonPrefixes.length >= query.maxKeys) {
      page.isTruncated = query.maxKeys > 0;
      break;
    }
    const delimiterAt = delimiter === '' ? -1 : key.indexOf(delimiter, prefix.length);
    if (delimiterAt === -1) {
      page.contents.push(index.get(key) as V);
      page.lastItem = key;
      position += 1;
      continue;
    }

    const commonPrefix = key.slice(0, delimiterAt + delimiter.length);
    position = index.endOfPrefix(commonPrefix);
    if (commonPrefix !== marker) {
      page.commonPrefixes.push(commonPrefix);
      page.lastItem = commonPrefix;
    }
  }
  return page;
}

function parseMaxKeys(query: QueryParameter[], name: string): number {
  const text = queryValue(query, name);
  if (text === undefined) {
    return MAX_LIST_KEYS;
  }
  const value = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(value)) {
    throw invalidArgument(`Provided ${name} not an integer or within integer range`, name, text);
  }
  return Math.min(value, MAX_LIST_KEYS);
}

/** Returns an encoder for key-like response fields: identity, or S3's URL encoding. */
export function responseEncoder(query: QueryParameter[]): (text: string) => string {
  const encodingType = queryValue(query, 'encoding-type');
  if (encodingType === undefined) {
    return (text) => text;
  }
  if (encodingType.toLowerCase() !== 'url') {
    throw invalidArgument(
      'Invalid Encoding Method specified in Request',
      'encoding-type',
      encodingType,
    );
  }
  return (text) => s3UriEncode(text, true);
}

function contentsElement(
  record: ObjectRecord,
  encode: (text: string) => string,
  withOwner: boolean,
): XmlElement {
  return element(
    'Contents',
    element('Key', encode(record.key)),
    element('LastModified', xmlDate(record.lastModified)),
    element('ETag', quoteEtag(record.etag)),
    optionalElement('ChecksumAlgorithm', record.checksum?.algorithm),
    optionalElement('ChecksumType', record.checksum?.type),
    element('Size', String(record.size)),
    withOwner ? ownerElement() : undefined,
    element('StorageClass', 'STANDARD'),
  );
}

function commonPrefixElements(
  page: ListPage<ObjectRecord>,
  encode: (text: string) => string,
): XmlElement[] {
  return page.commonPrefixes.map((prefix) =>
    element('CommonPrefixes', element('Prefix', encode(prefix))),
  );
}

function encodeToken(lastItem: string): string {
  return Buffer.from(`1:${lastItem}`, 'utf8').toString('base64');
}

function decodeToken(token: string): string {
  const text = Buffer.from(token, 'base64').toString('utf8');
  if (!text.startsWith('1:') || encodeToken(text.slice(2)) !== token) {
    throw invalidArgument(
      'The continuation token provided is incorrect',
      'continuation-token',
      token,
    );
  }
  return text.slice(2);
}

/** ListObjectsV2: one page of keys with opaque continuation tokens. */
export async function listObjectsV2(context: RequestContext): Promise<void> {
  const { query } = context;
  const index = context.server.store.bucket(context.bucket).objects;
  const encode = responseEncoder(query);
  const prefix = queryValue(query, 'prefix') ?? '';
  const delimiter = queryValue(query, 'delimiter') ?? '';
  const maxKeys = parseMaxKeys(query, 'max-keys');
  const token = queryValue(query, 'continuation-token');
  const startAfter = queryValue(query, 'start-after');
  const fetchOwner = queryValue(query, 'fetch-owner') === 'true';

  const marker = token !== undefined ? decodeToken(token) : startAfter;
  const page = listPage(index, { prefix, delimiter, marker, maxKeys });
  const nextToken =
    page.isTruncated && page.lastItem !== undefined ? encodeToken(page.lastItem) : undefined;

  sendXml(
    context,
    200,
    element(
      'ListBucketResult',
      element('Name', context.bucket),
      element('Prefix', encode(prefix)),
      delimiter === '' ? undefined : element('Delimiter', encode(delimiter)),
      element('MaxKeys', String(maxKeys)),
      optionalElement('EncodingType', queryValue(query, 'encoding-type')),
      element('KeyCount', String(page.contents.length + page.commonPrefixes.length)),
      optionalElement('ContinuationToken', token),
      optionalElement('NextContinuationToken', nextToken),
      startAfter === undefined ? undefined : element('StartAfter', encode(startAfter)),
      element('IsTruncated', String(page.isTruncated)),
      ...page.contents.map((record) => contentsElement(record, encode, fetchOwner)),
      ...commonPrefixElements(page, encode),
    ),
  );
}

/** ListObjects (version 1): one page of keys after `marker`, with NextMarker when delimited. */
export async function listObjectsV1(context: RequestContext): Promise<void> {
  const { query } = context;
  const index = context.server.store.bucket(context.bucket).objects;
  const encode = responseEncoder(query);
  const prefix = queryValue(query, 'prefix') ?? '';
  const delimiter = queryValue(query, 'delimiter') ?? '';
  const maxKeys = parseMaxKeys(query, 'max-keys');
  const marker = queryValue(query, 'marker');

  const page = listPage(index, {
    prefix,
    delimiter,
    marker: marker === '' ? undefined : marker,
    maxKeys,
  });
  // As on S3, NextMarker is only sent with a delimiter; clients otherwise resume after the last key.
  const nextMarker = page.isTruncated && delimiter !== '' ? page.lastItem : undefined;

  sendXml(
    context,
    200,
    element(
      'ListBucketResult',
      element('Name', context.bucket),
      element('Prefix', encode(prefix)),
      element('Marker', encode(marker ?? '')),
      nextMarker === undefined ? undefined : element('NextMarker', encode(nextMarker)),
      element('MaxKeys', String(maxKeys)),
      delimiter === '' ? undefined : element('Delimiter', encode(delimiter)),
      optionalElement('EncodingType', queryValue(query, 'encoding-type')),
      element('IsTruncated', String(page.isTruncated)),
      ...page.contents.map((record) => contentsElement(record, encode, true)),
      ...commonPrefixElements(page, encode),
    ),
  );
}
