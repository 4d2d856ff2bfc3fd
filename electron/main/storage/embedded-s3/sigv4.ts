import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

import { S3Error } from './s3-error';
import { s3UriEncode, type QueryParameter } from './uri';

/** Signature Version 4 algorithm name, the only one this server accepts. */
export const ALGORITHM = 'AWS4-HMAC-SHA256';

/** SHA-256 of the empty string in hex, used in chunk string-to-sign. */
export const EMPTY_SHA256 = createHash('sha256').digest('hex');

/** Largest clock difference S3 accepts for header-signed requests, in ms. */
export const MAX_CLOCK_SKEW_MS = 15 * 60 * 1000;

const MAX_PRESIGNED_EXPIRES_SECONDS = 7 * 24 * 60 * 60;

/** Access key pair that requests must be signed with. */
export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
}

/** Request parts that Signature Version 4 covers. */
export interface SignedRequest {
  method: string;
  /** Decoded path; the canonical URI is rebuilt from it with S3's encoding. */
  path: string;
  query: QueryParameter[];
  /** Header names and values in arrival order, as Node's `rawHeaders`. */
  rawHeaders: string[];
}

/** Values that aws-chunked bodies need to verify chunk and trailer signatures. */
export interface SigningContext {
  signingKey: Buffer;
  amzDate: string;
  scope: string;
  seedSignature: string;
}

/** Outcome of a valid signature: the declared payload hash and the chunk signing context. */
export interface VerifiedSignature {
  /** Value of x-amz-content-sha256 (hex digest or a mode such as UNSIGNED-PAYLOAD). */
  payloadHash: string;
  presigned: boolean;
  signing: SigningContext;
}

/** Server-side settings that signatures are checked against. */
export interface VerifierSettings {
  credentials: Credentials;
  region: string;
  nowMs: number;
}

function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

function hmac(key: Buffer | string, text: string): Buffer {
  return createHmac('sha256', key).update(text, 'utf8').digest();
}

/** Derives the S3 signing key for a date (YYYYMMDD) and region. */
export function deriveSigningKey(secret: string, date: string, region: string): Buffer {
  const dateKey = hmac(`AWS4${secret}`, date);
  return hmac(hmac(hmac(dateKey, region), 's3'), 'aws4_request');
}

/** Signs a string-to-sign with the signing key and returns the hex signature. */
export function sign(signingKey: Buffer, stringToSign: string): string {
  return createHmac('sha256', signingKey).update(stringToSign, 'utf8').digest('hex');
}

/** Compares two hex signatures in constant time. */
export function signaturesEqual(expected: string, provided: string): boolean {
  const a = Buffer.from(expected, 'utf8');
  const b = Buffer.from(provided, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}

function canonicalHeaderValues(rawHeaders: string[]): Map<string, string> {
  const values = new Map<string, string[]>();
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = (rawHeaders[i] ?? '').toLowerCase();
    const value = (rawHeaders[i + 1] ?? '').trim().replace(/\s+/g, ' ');
    values.set(name, [...(values.get(name) ?? []), value]);
  }
  return new Map([...values].map(([name, list]) => [name, list.join(',')]));
}

// Encoded parameters are ASCII, so string order is byte order. Sorting the joined `name=value`
// pairs would misplace names that are prefixes of others, hence name first, then value.
function compareParameters(a: [string, string], b: [string, string]): number {
  if (a[0] !== b[0]) {
    return a[0] < b[0] ? -1 : 1;
  }
  if (a[1] === b[1]) {
    return 0;
  }
  return a[1] < b[1] ? -1 : 1;
}

function canonicalQuery(query: QueryParameter[], excluded: string | undefined): string {
  return query
    .filter((parameter) => parameter.name !== excluded)
    .map((parameter): [string, string] => [
      s3UriEncode(parameter.name, false),
      s3UriEncode(parameter.value, false),
    ])
    .sort(compareParameters)
    .map(([name, value]) => `${name}=${value}`)
    .join('&');
}

/** Builds the canonical request of Signature Version 4 for S3 (no path normalization). */
export function canonicalRequest(
  request: SignedRequest,
  signedHeaders: string[],
  payloadHash: string,
  excludedQuery?: string,
): string {
  const headers = canonicalHeaderValues(request.rawHeaders);
  const headerLines = signedHeaders.map((name) => `${name}:${headers.get(name) ?? ''}\n`).join('');
  return [
    request.method,
    s3UriEncode(request.path, true),
    canonicalQuery(request.query, excludedQuery),
    headerLines,
    signedHeaders.join(';'),
    payloadHash,
  ].join('\n');
}

/** Parsed credential scope `AKID/YYYYMMDD/region/s3/aws4_request`. */
export interface CredentialScope {
  accessKeyId: string;
  date: string;
  region: string;
  /** Scope without the access key, as used in string-to-sign. */
  scope: string;
}

/** Parses a credential string, throwing `malformed(message)` when its form is wrong. */
export function parseCredential(
  credential: string,
  malformed: (message: string) => S3Error,
): CredentialScope {
  const parts = credential.split('/');
  const [accessKeyId = '', date = '', region = '', service = '', terminator = ''] = parts;
  if (parts.length !== 5 || !/^\d{8}$/.test(date) || terminator !== 'aws4_request') {
    throw malformed(
      `the Credential "${credential}" is not of the form AKID/YYYYMMDD/region/s3/aws4_request.`,
    );
  }
  if (service !== 's3') {
    throw malformed(`the service "${service}" in the Credential is wrong; expecting "s3".`);
  }
  return { accessKeyId, date, region, scope: parts.slice(1).join('/') };
}

/** Parses an ISO 8601 basic timestamp (YYYYMMDDTHHMMSSZ) into ms, or NaN. */
export function parseAmzDate(value: string): number {
  const match = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (match === null) {
    return NaN;
  }
  const [, year, month, day, hour, minute, second] = match.map(Number);
  return Date.UTC(year ?? 0, (month ?? 1) - 1, day, hour, minute, second);
}

/** Formats ms as an ISO 8601 basic timestamp (YYYYMMDDTHHMMSSZ). */
export function formatAmzDate(ms: number): string {
  return new Date(ms)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
}

/** Builds the string-to-sign for a request signature. */
export function requestStringToSign(amzDate: string, scope: string, canonical: string): string {
  return [ALGORITHM, amzDate, scope, sha256Hex(canonical)].join('\n');
}

/** Builds the string-to-sign for one aws-chunked chunk. */
export function chunkStringToSign(
  context: SigningContext,
  previous: string,
  chunkHash: string,
): string {
  return [
    `${ALGORITHM}-PAYLOAD`,
    context.amzDate,
    context.scope,
    previous,
    EMPTY_SHA256,
    chunkHash,
  ].join('\n');
}

/** Builds the string-to-sign for the trailing headers of an aws-chunked body. */
export function trailerStringToSign(
  context: SigningContext,
  previous: string,
  trailerHash: string,
): string {
  return [`${ALGORITHM}-TRAILER`, context.amzDate, context.scope, previous, trailerHash].join('\n');
}

/** Throws InvalidAccessKeyId unless `accessKeyId` is the configured one. */
export function checkAccessKey(accessKeyId: string, credentials: Credentials): void {
  if (accessKeyId !== credentials.accessKeyId) {
    throw new S3Error(
      403,
      'InvalidAccessKeyId',
      'The AWS Access Key Id you provided does not exist in our records.',
      { AWSAccessKeyId: accessKeyId },
    );
  }
}

/** Compares the computed and provided signatures, throwing SignatureDoesNotMatch on a difference. */
export function checkSignature(
  signingKey: Buffer,
  stringToSign: string,
  canonical: string,
  provided: string,
  accessKeyId: string,
): void {
  if (!signaturesEqual(sign(signingKey, stringToSign), provided)) {
    throw new S3Error(
      403,
      'SignatureDoesNotMatch',
      'The request signature we calculated does not match the signature you provided. Check your key and signing method.',
      { AWSAccessKeyId: accessKeyId, StringToSign: stringToSign, CanonicalRequest: canonical },
    );
  }
}

/** Parses X-Amz-Expires, returning seconds, or throws with `malformed`. */
export function parseExpires(value: string, malformed: (message: string) => S3Error): number {
  const seconds = /^\d+$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(seconds)) {
    throw malformed('X-Amz-Expires should be a number');
  }
  if (seconds > MAX_PRESIGNED_EXPIRES_SECONDS) {
    throw malformed('X-Amz-Expires must be less than a week (in seconds) that is 604800');
  }
  return seconds;
}
