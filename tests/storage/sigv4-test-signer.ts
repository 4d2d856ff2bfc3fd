// A small, separate Signature Version 4 signer for requests the AWS SDK for JavaScript never
// sends: signed aws-chunked bodies (chunk signatures, signed trailers) and mismatched payload
// hashes. It follows the AWS documentation pages "Signature Calculations for the Authorization
// Header" and "Signature Calculation: Transfer Payload in Multiple Chunks".
import { createHash, createHmac } from 'node:crypto';

const EMPTY_HASH = createHash('sha256').digest('hex');

function hmac(key: Buffer | string, text: string): Buffer {
  return createHmac('sha256', key).update(text).digest();
}

function hex(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Request to sign; `path` must already be URI-encoded and `query` given as name/value pairs. */
export interface TestRequest {
  method: string;
  host: string;
  path: string;
  query?: Array<[string, string]>;
  headers: Record<string, string>;
  payloadHash: string;
}

/** Signing inputs. */
export interface TestCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
  date: Date;
}

/** Signature and the values needed to sign aws-chunked chunks after it. */
export interface TestSignature {
  headers: Record<string, string>;
  signature: string;
  signingKey: Buffer;
  amzDate: string;
  scope: string;
}

/** Signs a request in the Authorization header and returns every header to send. */
export function signTestRequest(request: TestRequest, credentials: TestCredentials): TestSignature {
  const amzDate = credentials.date.toISOString().replace(/[-:]/g, '').replace(/\.\d+/, '');
  const day = amzDate.slice(0, 8);
  const scope = `${day}/${credentials.region}/s3/aws4_request`;
  const headers: Record<string, string> = {
    ...request.headers,
    host: request.host,
    'x-amz-date': amzDate,
    'x-amz-content-sha256': request.payloadHash,
  };
  const names = Object.keys(headers)
    .map((name) => name.toLowerCase())
    .sort();
  const lowerCased = Object.fromEntries(
    Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]),
  );
  const canonicalHeaders = names
    .map((name) => `${name}:${String(lowerCased[name]).trim()}\n`)
    .join('');
  const query = (request.query ?? [])
    .map(([name, value]) => `${encodeURIComponent(name)}=${encodeURIComponent(value)}`)
    .sort()
    .join('&');
  const canonical = [
    request.method,
    request.path,
    query,
    canonicalHeaders,
    names.join(';'),
    request.payloadHash,
  ].join('\n');
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, hex(canonical)].join('\n');

  const signingKey = hmac(
    hmac(hmac(hmac(`AWS4${credentials.secretAccessKey}`, day), credentials.region), 's3'),
    'aws4_request',
  );
  const signature = hmac(signingKey, stringToSign).toString('hex');
  return {
    headers: {
      ...headers,
      authorization: `AWS4-HMAC-SHA256 Credential=${credentials.accessKeyId}/${scope}, SignedHeaders=${names.join(';')}, Signature=${signature}`,
    },
    signature,
    signingKey,
    amzDate,
    scope,
  };
}

/**
 * Builds a STREAMING-AWS4-HMAC-SHA256-PAYLOAD body: each chunk framed as
 * `hex-size;chunk-signature=sig CRLF data CRLF`, a final empty chunk, and optionally signed
 * trailing headers.
 */
export function signedChunkedBody(
  chunks: Buffer[],
  signed: TestSignature,
  trailer?: { name: string; value: string },
): Buffer {
  const parts: Buffer[] = [];
  let previous = signed.signature;
  for (const chunk of [...chunks, Buffer.alloc(0)]) {
    const stringToSign = [
      'AWS4-HMAC-SHA256-PAYLOAD',
      signed.amzDate,
      signed.scope,
      previous,
      EMPTY_HASH,
      hex(chunk),
    ].join('\n');
    previous = hmac(signed.signingKey, stringToSign).toString('hex');
    parts.push(Buffer.from(`${chunk.length.toString(16)};chunk-signature=${previous}\r\n`), chunk);
    if (chunk.length > 0) {
      parts.push(Buffer.from('\r\n'));
    }
  }
  if (trailer === undefined) {
    parts.push(Buffer.from('\r\n'));
    return Buffer.concat(parts);
  }

  const trailerText = `${trailer.name}:${trailer.value}\n`;
  const stringToSign = [
    'AWS4-HMAC-SHA256-TRAILER',
    signed.amzDate,
    signed.scope,
    previous,
    hex(trailerText),
  ].join('\n');
  const trailerSignature = hmac(signed.signingKey, stringToSign).toString('hex');
  parts.push(
    Buffer.from(
      `${trailer.name}:${trailer.value}\r\nx-amz-trailer-signature:${trailerSignature}\r\n\r\n`,
    ),
  );
  return Buffer.concat(parts);
}
