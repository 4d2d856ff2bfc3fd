import { S3Error } from './s3-error';
import {
  ALGORITHM,
  MAX_CLOCK_SKEW_MS,
  canonicalRequest,
  checkAccessKey,
  checkSignature,
  deriveSigningKey,
  formatAmzDate,
  parseAmzDate,
  parseCredential,
  parseExpires,
  requestStringToSign,
  type SignedRequest,
  type VerifiedSignature,
  type VerifierSettings,
} from './sigv4';
import { queryValue } from './uri';

function headerValue(request: SignedRequest, name: string): string | undefined {
  for (let i = 0; i + 1 < request.rawHeaders.length; i += 2) {
    if (request.rawHeaders[i]?.toLowerCase() === name) {
      return request.rawHeaders[i + 1];
    }
  }
  return undefined;
}

function headerMalformed(message: string): S3Error {
  return new S3Error(
    400,
    'AuthorizationHeaderMalformed',
    `The authorization header is malformed; ${message}`,
  );
}

function queryMalformed(message: string): S3Error {
  return new S3Error(400, 'AuthorizationQueryParametersError', message);
}

function checkRegion(
  region: string,
  expected: string,
  malformed: (message: string) => S3Error,
): void {
  if (region !== expected) {
    const error = malformed(`the region '${region}' is wrong; expecting '${expected}'`);
    throw new S3Error(error.status, error.code, error.message, { Region: expected });
  }
}

const PAYLOAD_MODES = new Set([
  'UNSIGNED-PAYLOAD',
  'STREAMING-UNSIGNED-PAYLOAD-TRAILER',
  'STREAMING-AWS4-HMAC-SHA256-PAYLOAD',
  'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER',
]);

function checkPayloadHash(value: string | undefined): string {
  if (value === undefined) {
    throw new S3Error(
      400,
      'InvalidRequest',
      'Missing required header for this request: x-amz-content-sha256',
    );
  }
  if (value.startsWith('STREAMING-AWS4-ECDSA')) {
    throw new S3Error(
      501,
      'NotImplemented',
      `x-amz-content-sha256 ${value} (SigV4a) is not supported.`,
    );
  }
  if (!PAYLOAD_MODES.has(value) && !/^[0-9a-f]{64}$/.test(value)) {
    throw new S3Error(
      400,
      'InvalidArgument',
      'x-amz-content-sha256 must be UNSIGNED-PAYLOAD, a STREAMING-* value, or a valid sha256 value.',
      { ArgumentName: 'x-amz-content-sha256', ArgumentValue: value },
    );
  }
  return value;
}

function checkSignedHeaders(list: string, malformed: (message: string) => S3Error): string[] {
  const names = list.split(';');
  if (!names.includes('host')) {
    throw malformed('the signed headers must include host.');
  }
  return names;
}

function verifyHeaderSignature(
  request: SignedRequest,
  authorization: string,
  settings: VerifierSettings,
): VerifiedSignature {
  if (!authorization.startsWith(`${ALGORITHM} `)) {
    throw new S3Error(
      400,
      'InvalidRequest',
      'The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.',
    );
  }
  const fields = new Map<string, string>();
  for (const field of authorization.slice(ALGORITHM.length + 1).split(',')) {
    const equals = field.indexOf('=');
    fields.set(field.slice(0, equals).trim(), field.slice(equals + 1).trim());
  }
  const credential = fields.get('Credential');
  const signedHeaderList = fields.get('SignedHeaders');
  const signature = fields.get('Signature');
  if (credential === undefined || signedHeaderList === undefined || signature === undefined) {
    throw headerMalformed('it must contain Credential, SignedHeaders and Signature.');
  }

  const scope = parseCredential(credential, headerMalformed);
  checkAccessKey(scope.accessKeyId, settings.credentials);
  checkRegion(scope.region, settings.region, headerMalformed);

  const amzDateHeader = headerValue(request, 'x-amz-date');
  const dateHeader = headerValue(request, 'date');
  const requestTime =
    amzDateHeader !== undefined ? parseAmzDate(amzDateHeader) : Date.parse(dateHeader ?? '');
  if (Number.isNaN(requestTime)) {
    throw new S3Error(
      403,
      'AccessDenied',
      'AWS authentication requires a valid Date or x-amz-date header',
    );
  }
  const amzDate = amzDateHeader ?? formatAmzDate(requestTime);
  if (amzDate.slice(0, 8) !== scope.date) {
    throw headerMalformed('Invalid credential date. Date is not the same as X-Amz-Date.');
  }
  if (Math.abs(requestTime - settings.nowMs) > MAX_CLOCK_SKEW_MS) {
    throw new S3Error(
      403,
      'RequestTimeTooSkewed',
      'The difference between the request time and the current time is too large.',
      {
        RequestTime: amzDateHeader ?? dateHeader ?? '',
        ServerTime: new Date(settings.nowMs).toISOString(),
        MaxAllowedSkewMilliseconds: String(MAX_CLOCK_SKEW_MS),
      },
    );
  }

  const payloadHash = checkPayloadHash(headerValue(request, 'x-amz-content-sha256'));
  const signedHeaders = checkSignedHeaders(signedHeaderList, headerMalformed);
  const canonical = canonicalRequest(request, signedHeaders, payloadHash);
  const stringToSign = requestStringToSign(amzDate, scope.scope, canonical);
  const signingKey = deriveSigningKey(
    settings.credentials.secretAccessKey,
    scope.date,
    scope.region,
  );
  checkSignature(signingKey, stringToSign, canonical, signature, scope.accessKeyId);

  return {
    payloadHash,
    presigned: false,
    signing: { signingKey, amzDate, scope: scope.scope, seedSignature: signature },
  };
}

function verifyPresignedUrl(request: SignedRequest, settings: VerifierSettings): VerifiedSignature {
  const parameter = (name: string): string => {
    const value = queryValue(request.query, name);
    if (value === undefined) {
      throw queryMalformed(
        'Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.',
      );
    }
    return value;
  };
  if (parameter('X-Amz-Algorithm') !== ALGORITHM) {
    throw queryMalformed(`X-Amz-Algorithm only supports "${ALGORITHM}"`);
  }
  const scope = parseCredential(parameter('X-Amz-Credential'), queryMalformed);
  const amzDate = parameter('X-Amz-Date');
  const signedAt = parseAmzDate(amzDate);
  const expiresSeconds = parseExpires(parameter('X-Amz-Expires'), queryMalformed);
  const signature = parameter('X-Amz-Signature');
  const signedHeaders = checkSignedHeaders(parameter('X-Amz-SignedHeaders'), queryMalformed);
  if (Number.isNaN(signedAt)) {
    throw queryMalformed(`X-Amz-Date must be in the ISO8601 Long Format "yyyyMMdd'T'HHmmss'Z'"`);
  }
  if (amzDate.slice(0, 8) !== scope.date) {
    throw queryMalformed('Invalid credential date. Date is not the same as X-Amz-Date.');
  }
  checkAccessKey(scope.accessKeyId, settings.credentials);
  checkRegion(scope.region, settings.region, queryMalformed);

  const expiresAt = signedAt + expiresSeconds * 1000;
  if (settings.nowMs > expiresAt) {
    throw new S3Error(403, 'AccessDenied', 'Request has expired', {
      'X-Amz-Expires': String(expiresSeconds),
      Expires: new Date(expiresAt).toISOString(),
      ServerTime: new Date(settings.nowMs).toISOString(),
    });
  }
  if (signedAt - settings.nowMs > MAX_CLOCK_SKEW_MS) {
    throw new S3Error(403, 'AccessDenied', 'Request is not valid yet');
  }

  const payloadHash =
    queryValue(request.query, 'X-Amz-Content-Sha256') ??
    headerValue(request, 'x-amz-content-sha256') ??
    'UNSIGNED-PAYLOAD';
  const canonical = canonicalRequest(request, signedHeaders, payloadHash, 'X-Amz-Signature');
  const stringToSign = requestStringToSign(amzDate, scope.scope, canonical);
  const signingKey = deriveSigningKey(
    settings.credentials.secretAccessKey,
    scope.date,
    scope.region,
  );
  checkSignature(signingKey, stringToSign, canonical, signature, scope.accessKeyId);

  return {
    payloadHash: checkPayloadHash(payloadHash),
    presigned: true,
    signing: { signingKey, amzDate, scope: scope.scope, seedSignature: signature },
  };
}

/**
 * Verifies the Signature Version 4 of a request, signed in the Authorization header or in a
 * presigned query string. Throws the S3 error for anonymous, malformed, expired, skewed or
 * wrongly signed requests.
 */
export function authenticate(
  request: SignedRequest,
  settings: VerifierSettings,
): VerifiedSignature {
  const authorization = headerValue(request, 'authorization');
  if (authorization !== undefined) {
    return verifyHeaderSignature(request, authorization, settings);
  }
  if (queryValue(request.query, 'X-Amz-Signature') !== undefined) {
    return verifyPresignedUrl(request, settings);
  }
  if (queryValue(request.query, 'Signature') !== undefined) {
    throw new S3Error(
      400,
      'InvalidRequest',
      'The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.',
    );
  }
  throw new S3Error(403, 'AccessDenied', 'Access Denied');
}
