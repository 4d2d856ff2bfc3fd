import { normalizeIpv4Cidr } from '../../../shared/settings-rules';

/**
 * Returns the origin (scheme, host and port) of a CloudFront domain setting: a bare host name
 * means https, and an explicit `http://` or `https://` prefix is kept (a local test edge uses http).
 * Throws when the setting has a path, query or credentials.
 */
export function cloudFrontOrigin(domain: string): string {
  const withScheme = /^https?:\/\//i.test(domain) ? domain : `https://${domain}`;
  let parsed: URL;
  try {
    parsed = new URL(withScheme);
  } catch {
    throw new Error(
      `CloudFront domain "${domain}" is not a host name; use e.g. d111111abcdef8.cloudfront.net`,
    );
  }

  const hasExtras = parsed.pathname !== '/' || parsed.search !== '' || parsed.hash !== '';
  if (hasExtras || parsed.username !== '' || parsed.password !== '') {
    throw new Error(
      `CloudFront domain "${domain}" must be a host name only, without a path or query`,
    );
  }
  return parsed.origin;
}

/**
 * Percent-encodes each `/`-separated segment of an object key with `encodeURIComponent`.
 * The URL parsers of browsers and Node re-encode nothing in the result. The path encoding of
 * `@aws-sdk/cloudfront-signer` 3.1166 (decode, then `encodeURIComponent`, per segment) leaves it
 * unchanged too, so the URL on the wire is the resource that was signed.
 */
export function encodeKeyPath(key: string): string {
  return key.split('/').map(encodeURIComponent).join('/');
}

/** Builds the unsigned CloudFront URL of an object key. */
export function cloudFrontObjectUrl(origin: string, key: string): string {
  return `${origin}/${encodeKeyPath(key)}`;
}

/** Custom policy conditions: expiry and an optional source IP range. */
export interface CustomPolicyInput {
  resource: string;
  expiresEpochSeconds: number;
  ipRange: string | null;
}

/** Builds the JSON text of a one-statement CloudFront custom policy. */
export function customPolicyJson(input: CustomPolicyInput): string {
  const condition: Record<string, Record<string, string | number>> = {
    DateLessThan: { 'AWS:EpochTime': input.expiresEpochSeconds },
  };
  if (input.ipRange !== null) {
    condition.IpAddress = { 'AWS:SourceIp': normalizeCidr(input.ipRange) };
  }
  return JSON.stringify({ Statement: [{ Resource: input.resource, Condition: condition }] });
}

/** Returns an IPv4 CIDR with an explicit prefix length, or throws when it is not one. */
export function normalizeCidr(cidr: string): string {
  const normalized = normalizeIpv4Cidr(cidr);
  if (normalized === null) {
    throw new Error(`IP range "${cidr}" is not an IPv4 CIDR such as 203.0.113.0/24`);
  }
  return normalized;
}

/**
 * Reads the expiry of a CloudFront signed URL from its `Expires` parameter (canned policy) or
 * from the `DateLessThan` of its `Policy` parameter (custom policy). Returns milliseconds since
 * the epoch, or null when the URL carries neither.
 */
export function signedUrlExpiry(url: URL): number | null {
  const expires = url.searchParams.get('Expires');
  if (expires !== null && /^\d+$/.test(expires)) {
    return Number(expires) * 1000;
  }

  const policy = url.searchParams.get('Policy');
  if (policy === null) {
    return null;
  }
  try {
    const json = Buffer.from(fromCloudFrontBase64(policy), 'base64').toString('utf8');
    const parsed: unknown = JSON.parse(json);
    const epoch = readDateLessThan(parsed);
    return epoch === null ? null : epoch * 1000;
  } catch {
    return null;
  }
}

/** Turns CloudFront's URL-safe base64 (`-`, `_`, `~` for `+`, `=`, `/`) back into standard base64. */
export function fromCloudFrontBase64(text: string): string {
  return text.replace(/-/g, '+').replace(/_/g, '=').replace(/~/g, '/');
}

function readDateLessThan(policy: unknown): number | null {
  if (typeof policy !== 'object' || policy === null || !('Statement' in policy)) {
    return null;
  }
  const statements = policy.Statement;
  if (!Array.isArray(statements)) {
    return null;
  }
  const statement: unknown = statements[0];
  if (typeof statement !== 'object' || statement === null || !('Condition' in statement)) {
    return null;
  }
  const condition = statement.Condition as {
    DateLessThan?: { 'AWS:EpochTime'?: unknown } | null;
  } | null;
  const epoch = condition?.DateLessThan?.['AWS:EpochTime'];
  return typeof epoch === 'number' ? epoch : null;
}
