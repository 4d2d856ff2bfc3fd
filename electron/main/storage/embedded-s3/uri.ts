import { S3Error } from './s3-error';

const UNRESERVED = /^[A-Za-z0-9\-._~]$/;

/**
 * Percent-encodes `text` as S3 and Signature Version 4 do: every UTF-8 byte except unreserved
 * characters (and '/' when `keepSlash`) becomes %XX with upper-case hex.
 */
export function s3UriEncode(text: string, keepSlash: boolean): string {
  let encoded = '';
  for (const character of text) {
    if (UNRESERVED.test(character) || (keepSlash && character === '/')) {
      encoded += character;
      continue;
    }
    for (const byte of Buffer.from(character, 'utf8')) {
      encoded += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
    }
  }
  return encoded;
}

function invalidUri(): S3Error {
  return new S3Error(400, 'InvalidURI', "Couldn't parse the specified URI.");
}

/**
 * Decodes %XX escapes into bytes and the bytes as UTF-8. A '+' stays a '+'. Throws InvalidURI
 * for a malformed escape or bytes that are not valid UTF-8.
 */
export function percentDecode(text: string): string {
  if (!text.includes('%')) {
    return text;
  }
  const bytes: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const character = text.charCodeAt(i);
    if (character === 0x25) {
      const hex = text.slice(i + 1, i + 3);
      if (!/^[0-9A-Fa-f]{2}$/.test(hex)) {
        throw invalidUri();
      }
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else if (character < 0x100) {
      // Node passes raw bytes outside ASCII in the request line as Latin-1 characters.
      bytes.push(character);
    } else {
      const codePoint = text.codePointAt(i) ?? character;
      bytes.push(...Buffer.from(String.fromCodePoint(codePoint), 'utf8'));
      i += codePoint > 0xffff ? 1 : 0;
    }
  }
  const buffer = Buffer.from(bytes);
  const decoded = buffer.toString('utf8');
  if (!Buffer.from(decoded, 'utf8').equals(buffer)) {
    throw invalidUri();
  }
  return decoded;
}

/** Decoded query parameter. A flag such as `?uploads` has the value ''. */
export interface QueryParameter {
  name: string;
  value: string;
}

/** Request target split into decoded path and query parameters. */
export interface RequestTarget {
  /** Decoded path, starting with '/'. */
  path: string;
  query: QueryParameter[];
}

/** Splits a raw request URL into its decoded path and query parameters. */
export function parseRequestTarget(rawUrl: string): RequestTarget {
  const questionMark = rawUrl.indexOf('?');
  const rawPath = questionMark === -1 ? rawUrl : rawUrl.slice(0, questionMark);
  const rawQuery = questionMark === -1 ? '' : rawUrl.slice(questionMark + 1);
  if (!rawPath.startsWith('/')) {
    throw invalidUri();
  }

  const query: QueryParameter[] = [];
  for (const pair of rawQuery.split('&')) {
    if (pair === '') {
      continue;
    }
    const equals = pair.indexOf('=');
    const name = equals === -1 ? pair : pair.slice(0, equals);
    const value = equals === -1 ? '' : pair.slice(equals + 1);
    query.push({ name: percentDecode(name), value: percentDecode(value) });
  }
  return { path: percentDecode(rawPath), query };
}

/** Returns the first value of query parameter `name`, or undefined. */
export function queryValue(query: QueryParameter[], name: string): string | undefined {
  return query.find((parameter) => parameter.name === name)?.value;
}

/** Tells whether query parameter `name` is present, with or without a value. */
export function hasQuery(query: QueryParameter[], name: string): boolean {
  return query.some((parameter) => parameter.name === name);
}
