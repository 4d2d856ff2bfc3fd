import type { KeyObject } from 'node:crypto';

/** Result of checking one signed request, with the CloudFront-like error to send when denied. */
export interface AccessDecision {
  outcome:
    | 'allowed'
    | 'missing-key-pair-id'
    | 'missing-signature'
    | 'unknown-key'
    | 'malformed-policy'
    | 'bad-signature'
    | 'expired'
    | 'not-yet-valid'
    | 'resource-mismatch'
    | 'ip-denied';
  code: string;
  message: string;
  keyPairId: string | null;
  /** Raw request path, without the query. */
  path: string;
}

/** Request facts and trust settings that {@link checkSignedRequest} needs. */
export interface SignedRequest {
  scheme: 'http' | 'https';
  host: string;
  /** Request target exactly as received. */
  rawUrl: string;
  sourceIp: string;
  now: number;
  publicKeyFor(keyPairId: string): KeyObject | null;
  verify(policy: string, signature: Buffer, publicKey: KeyObject): boolean;
}

const SIGNING_PARAMETERS = new Set(['Expires', 'Policy', 'Signature', 'Key-Pair-Id']);

/**
 * Checks a request the way CloudFront checks signed URLs. The signature must cover the canned
 * policy rebuilt from the request URL, or the custom policy the URL carries. Then expiry, start
 * time, resource (`*` and `?` wildcards) and source IP are checked against the edge clock and
 * the connection.
 */
export function checkSignedRequest(request: SignedRequest): AccessDecision {
  const queryStart = request.rawUrl.indexOf('?');
  const path = queryStart === -1 ? request.rawUrl : request.rawUrl.slice(0, queryStart);
  const query = queryStart === -1 ? '' : request.rawUrl.slice(queryStart + 1);

  const signing = new Map<string, string>();
  const kept: string[] = [];
  for (const pair of query.split('&').filter((part) => part !== '')) {
    const equals = pair.indexOf('=');
    const name = equals === -1 ? pair : pair.slice(0, equals);
    if (SIGNING_PARAMETERS.has(name)) {
      signing.set(name, safeDecode(equals === -1 ? '' : pair.slice(equals + 1)));
    } else {
      kept.push(pair);
    }
  }
  const resourceUrl = `${request.scheme}://${request.host}${path}${kept.length > 0 ? `?${kept.join('&')}` : ''}`;

  const keyPairId = signing.get('Key-Pair-Id') ?? null;
  const deny = (
    outcome: AccessDecision['outcome'],
    code: string,
    message: string,
  ): AccessDecision => ({
    outcome,
    code,
    message,
    keyPairId,
    path,
  });

  if (keyPairId === null) {
    return deny(
      'missing-key-pair-id',
      'MissingKey',
      'Missing Key-Pair-Id query parameter or cookie value',
    );
  }
  const signature = signing.get('Signature');
  if (signature === undefined) {
    return deny(
      'missing-signature',
      'MissingKey',
      'Missing Signature query parameter or cookie value',
    );
  }
  const publicKey = request.publicKeyFor(keyPairId);
  if (publicKey === null) {
    return deny('unknown-key', 'InvalidKey', 'Unknown Key');
  }

  const customPolicy = signing.get('Policy');
  const expires = signing.get('Expires');
  let policyText: string;
  if (customPolicy !== undefined) {
    policyText = Buffer.from(fromUrlSafeBase64(customPolicy), 'base64').toString('utf8');
  } else if (expires !== undefined && /^\d+$/.test(expires)) {
    policyText = JSON.stringify({
      Statement: [
        {
          Resource: resourceUrl,
          Condition: { DateLessThan: { 'AWS:EpochTime': Number(expires) } },
        },
      ],
    });
  } else {
    return deny('malformed-policy', 'MalformedPolicy', 'Missing Policy or Expires query parameter');
  }

  const signatureBytes = Buffer.from(fromUrlSafeBase64(signature), 'base64');
  if (!request.verify(policyText, signatureBytes, publicKey)) {
    return deny('bad-signature', 'AccessDenied', 'Access denied');
  }

  const statement = parseStatement(policyText);
  if (statement === null) {
    return deny('malformed-policy', 'MalformedPolicy', 'Malformed Policy');
  }
  const nowSeconds = Math.floor(request.now / 1000);
  if (nowSeconds >= statement.dateLessThan) {
    return deny('expired', 'AccessDenied', 'Access denied');
  }
  if (statement.dateGreaterThan !== null && nowSeconds < statement.dateGreaterThan) {
    return deny('not-yet-valid', 'AccessDenied', 'Access denied');
  }
  if (statement.resource !== null && !wildcardMatches(statement.resource, resourceUrl)) {
    return deny('resource-mismatch', 'AccessDenied', 'Access denied');
  }
  if (statement.sourceIp !== null && !ipInRange(request.sourceIp, statement.sourceIp)) {
    return deny('ip-denied', 'AccessDenied', 'Access denied');
  }
  return { outcome: 'allowed', code: '', message: '', keyPairId, path };
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** Turns CloudFront's URL-safe base64 back into standard base64. */
export function fromUrlSafeBase64(text: string): string {
  return text.replace(/-/g, '+').replace(/_/g, '=').replace(/~/g, '/');
}

/** Matches a policy resource against a URL: `*` is any run of characters, `?` exactly one. */
export function wildcardMatches(pattern: string, url: string): boolean {
  const source = [...pattern]
    .map((character) => {
      if (character === '*') {
        return '.*';
      }
      if (character === '?') {
        return '.';
      }
      return character.replace(/[.+^${}()|[\]\\]/g, '\\$&');
    })
    .join('');
  return new RegExp(`^${source}$`, 'su').test(url);
}

/** Checks an IPv4 address (IPv4-mapped IPv6 accepted) against an IPv4 CIDR. */
export function ipInRange(address: string, cidr: string): boolean {
  const ip = ipv4ToNumber(address.replace(/^::ffff:/i, ''));
  const [base = '', prefixText = '32'] = cidr.split('/');
  const network = ipv4ToNumber(base);
  const prefix = Number(prefixText);
  if (ip === null || network === null || !Number.isInteger(prefix) || prefix < 0 || prefix > 32) {
    return false;
  }
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  return (ip & mask) >>> 0 === (network & mask) >>> 0;
}

function ipv4ToNumber(text: string): number | null {
  const parts = text.split('.');
  if (parts.length !== 4 || parts.some((part) => !/^\d{1,3}$/.test(part) || Number(part) > 255)) {
    return null;
  }
  return parts.reduce((value, part) => value * 256 + Number(part), 0);
}

interface Statement {
  resource: string | null;
  dateLessThan: number;
  dateGreaterThan: number | null;
  sourceIp: string | null;
}

function parseStatement(policyText: string): Statement | null {
  let policy: unknown;
  try {
    policy = JSON.parse(policyText);
  } catch {
    return null;
  }
  const statement = (policy as { Statement?: unknown[] } | null)?.Statement?.[0] as
    | {
        Resource?: unknown;
        Condition?: {
          DateLessThan?: { 'AWS:EpochTime'?: unknown };
          DateGreaterThan?: { 'AWS:EpochTime'?: unknown };
          IpAddress?: { 'AWS:SourceIp'?: unknown };
        };
      }
    | undefined;
  const dateLessThan = statement?.Condition?.DateLessThan?.['AWS:EpochTime'];
  if (typeof dateLessThan !== 'number') {
    return null;
  }
  const dateGreaterThan = statement?.Condition?.DateGreaterThan?.['AWS:EpochTime'];
  const sourceIp = statement?.Condition?.IpAddress?.['AWS:SourceIp'];
  return {
    resource: typeof statement?.Resource === 'string' ? statement.Resource : null,
    dateLessThan,
    dateGreaterThan: typeof dateGreaterThan === 'number' ? dateGreaterThan : null,
    sourceIp: typeof sourceIp === 'string' ? sourceIp : null,
  };
}
