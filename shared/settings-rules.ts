// Checks of single settings values, shared by the settings screen and the main process. Each
// returns a problem that reads after the field's label ("Endpoint: use an http://…"), or null.
// No problem repeats the value, because a value typed into the wrong field can be a secret.

import { looksLikeKeyMaterial } from './key-material';

const ENDPOINT_EXAMPLE = 'https://s3.example.com:9000';
const DOMAIN_EXAMPLE = 'd111111abcdef8.cloudfront.net';

/** Checks a custom S3 endpoint: an http(s) URL with a host, and no credentials or query. */
export function endpointProblem(text: string): string | null {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return `enter a URL such as ${ENDPOINT_EXAMPLE}`;
  }

  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return `use an http:// or https:// URL such as ${ENDPOINT_EXAMPLE}`;
  }
  if (url.hostname === '') {
    return `enter a URL with a host name, such as ${ENDPOINT_EXAMPLE}`;
  }
  if (url.username !== '' || url.password !== '') {
    return 'remove the user name and password from the URL; credentials come from an AWS profile or an access key';
  }
  if (url.search !== '' || url.hash !== '') {
    return 'remove the query (?…) and fragment (#…) from the URL';
  }
  return null;
}

/**
 * Removes what people paste around a CloudFront domain: spaces, an `https://` prefix (bare host
 * names mean https) and trailing slashes. An `http://` prefix stays, for a local test edge.
 */
export function normalizeCloudFrontDomain(text: string): string {
  return text
    .trim()
    .replace(/^https:\/\//i, '')
    .replace(/\/+$/, '');
}

/**
 * Checks a CloudFront domain after {@link normalizeCloudFrontDomain}: a host name, with an
 * optional port and an optional `http://` prefix.
 */
export function cloudFrontDomainProblem(domain: string): string | null {
  if (domain === '') {
    return `enter the distribution's domain, such as ${DOMAIN_EXAMPLE}`;
  }
  const hostAndPort = domain.replace(/^http:\/\//i, '');
  if (/[/?#@]/.test(hostAndPort)) {
    return `enter the host name alone, without a path, such as ${DOMAIN_EXAMPLE}`;
  }

  const match = /^([^:]+)(?::(\d{1,5}))?$/.exec(hostAndPort);
  const host = match?.[1];
  const port = match?.[2];
  if (host === undefined || !isHostName(host)) {
    return `enter a host name such as ${DOMAIN_EXAMPLE}`;
  }
  if (port !== undefined && (Number(port) < 1 || Number(port) > 65_535)) {
    return 'a port is a number from 1 to 65535';
  }
  return null;
}

// A DNS name of at least two labels (or localhost) or a dotted IPv4 address.
function isHostName(host: string): boolean {
  if (host.length > 253) {
    return false;
  }
  if (host === 'localhost') {
    return true;
  }
  if (/^[\d.]+$/.test(host)) {
    return normalizeIpv4Cidr(host) !== null;
  }
  const labels = host.split('.');
  const validLabel = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/i;
  return labels.length >= 2 && labels.every((label) => validLabel.test(label));
}

/**
 * Checks a CloudFront public key ID, such as `K2JCJMDEHXQW5F`, or a legacy key pair ID, such as
 * `APKAEIBAERJR2EXAMPLE`. Both kinds are capital letters and digits.
 */
export function keyPairIdProblem(id: string): string | null {
  if (id === '') {
    return 'enter the ID that CloudFront shows for the public key';
  }
  if (!/^[A-Z0-9]{1,64}$/.test(id)) {
    return 'a public key ID has up to 64 capital letters and digits, such as K2JCJMDEHXQW5F';
  }
  return null;
}

/** Checks a private key file path, and rejects PEM text or a bare key typed in its place. */
export function privateKeyPathProblem(path: string): string | null {
  if (looksLikeKeyMaterial(path)) {
    return (
      'this field takes the path of the key file, not the key itself: save the key to a file ' +
      '(chmod 600) and enter its path'
    );
  }
  if (path === '') {
    return 'enter the path of the private key file (PEM)';
  }
  if (/[\r\n]/.test(path)) {
    return 'a file path is one line; enter the path of the private key file (PEM)';
  }
  return null;
}

/**
 * Checks an AWS access key ID, such as `AKIAIOSFODNN7EXAMPLE`. A secret access key is 40 base64
 * characters and usually contains `/` or `+`, so this catches most secrets typed into the ID field.
 */
export function accessKeyIdProblem(id: string): string | null {
  if (id.length < 16 || id.length > 128) {
    return 'an access key ID has 16 to 128 characters, such as AKIAIOSFODNN7EXAMPLE';
  }
  if (!/^[\w.-]+$/.test(id)) {
    return (
      'an access key ID has only letters, digits, underscores, dots and hyphens, such as ' +
      'AKIAIOSFODNN7EXAMPLE; the secret access key has its own field'
    );
  }
  return null;
}

/** Returns an IPv4 CIDR with an explicit prefix length (`/32` when absent), or null for other text. */
export function normalizeIpv4Cidr(text: string): string | null {
  const match = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(?:\/(\d{1,2}))?$/.exec(text.trim());
  if (match === null) {
    return null;
  }
  const octets = match.slice(1, 5).map(Number);
  const prefix = match[5] === undefined ? 32 : Number(match[5]);
  if (octets.some((octet) => octet > 255) || prefix > 32) {
    return null;
  }
  return `${octets.join('.')}/${prefix}`;
}
