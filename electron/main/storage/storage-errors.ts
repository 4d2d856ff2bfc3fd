import { CrateboxError } from '../../../shared/errors';

/** Storage target as error messages describe it: bucket, region, endpoint, credentials, settings. */
export interface StorageDescription {
  bucket: string;
  /** Region requests are signed for; null when no setting or profile gives one. */
  region: string | null;
  /** Custom endpoint; null for AWS S3. */
  endpoint: string | null;
  /** Named AWS profile in use; null when none is. */
  profile: string | null;
  /** Credentials in use without any secret, e.g. `AWS profile "artist"`. */
  credentials: string;
  /** Setting that chooses each value, as a person would change it, e.g. `CRATEBOX_BUCKET`. */
  settings: { bucket: string; region: string; endpoint: string };
}

/** Facts read from an AWS SDK or Node.js network error; string fields are empty when absent. */
interface ErrorFacts {
  name: string;
  /** S3 error code from the response body, e.g. `NoSuchBucket`. */
  awsCode: string;
  /** Node.js system error code, e.g. `ECONNREFUSED`, from the error or its causes. */
  systemCode: string;
  status: number | null;
  message: string;
  /** Region S3 names in the `Region` element, the `x-amz-bucket-region` header or the redirect. */
  bucketRegion: string;
  redirectEndpoint: string;
  accessKeyId: string;
  hostname: string;
}

const NETWORK_REASONS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  ENOTFOUND: 'host name not found',
  EAI_AGAIN: 'DNS lookup failed',
  ETIMEDOUT: 'timed out',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ENETDOWN: 'network down',
  TimeoutError: 'timed out',
};

const REJECTED_TOKEN_CODES = new Set([
  'ExpiredToken',
  'InvalidToken',
  'TokenRefreshRequired',
  'InvalidClientTokenId',
]);

/**
 * Translates an S3 or network error into a {@link CrateboxError} whose message states what was
 * wrong, with the bucket, region, endpoint or credentials involved, and what to change. Returns
 * null for errors that are not about reaching or signing in to the storage.
 */
export function storageError(error: unknown, where: StorageDescription): CrateboxError | null {
  if (error instanceof CrateboxError || typeof error !== 'object' || error === null) {
    return null;
  }
  const facts = readFacts(error);
  const code = facts.awsCode || facts.name;
  const make = (name: ConstructorParameters<typeof CrateboxError>[0], message: string) =>
    new CrateboxError(name, message, { cause: error });

  if (facts.name === 'CredentialsProviderError') {
    return make('CredentialsMissing', missingCredentials(facts, where));
  }
  if (facts.message === 'Region is missing') {
    return make(
      'RegionMissing',
      `no AWS region is set for bucket "${where.bucket}"; set CRATEBOX_REGION (or AWS_REGION), ` +
        'the region in the settings, or region in the AWS profile',
    );
  }

  const networkReason = NETWORK_REASONS[facts.systemCode] ?? NETWORK_REASONS[facts.name];
  if (networkReason !== undefined) {
    return make('StorageUnavailable', unreachable(networkReason, facts, where));
  }
  if (isWrongRegion(code, facts, where)) {
    return make('WrongRegion', wrongRegion(facts, where));
  }
  if (code === 'NoSuchBucket') {
    const endpoint = where.endpoint === null ? '' : ` at ${where.endpoint}`;
    return make(
      'BucketNotFound',
      `bucket "${where.bucket}" does not exist in region ${where.region ?? '(none set)'}${endpoint}; ` +
        `check ${where.settings.bucket}, or create the bucket`,
    );
  }
  return rejectedCredentials(code, facts, where, make);
}

type MakeError = (
  name: ConstructorParameters<typeof CrateboxError>[0],
  message: string,
) => CrateboxError;

function rejectedCredentials(
  code: string,
  facts: ErrorFacts,
  where: StorageDescription,
  make: MakeError,
): CrateboxError | null {
  const credentials = credentialsWithKey(facts, where);
  if (code === 'InvalidAccessKeyId') {
    return make(
      'CredentialsRejected',
      `S3 does not recognize the access key ID of ${credentials}; check that the key exists ` +
        'and is active, or use other credentials',
    );
  }
  if (code === 'SignatureDoesNotMatch') {
    return make(
      'CredentialsRejected',
      `S3 rejected the signature made with ${credentials}: the secret access key does not ` +
        'belong to the access key ID; check the secret access key',
    );
  }
  if (REJECTED_TOKEN_CODES.has(code)) {
    return make(
      'CredentialsRejected',
      `the session token of ${credentials} has expired or is invalid; refresh the credentials ` +
        '(for an SSO profile, run "aws sso login") and try again',
    );
  }
  // A 403 response to HEAD has no body, so the SDK names it Unknown or Forbidden.
  const bareForbidden = facts.status === 403 && (code === 'Unknown' || code === 'Forbidden');
  if (code === 'AccessDenied' || code === 'AllAccessDisabled' || bareForbidden) {
    return make(
      'AccessDenied',
      `S3 denied ${credentials} access to bucket "${where.bucket}"; allow s3:ListBucket, ` +
        's3:GetObject and s3:PutObject on the bucket for these credentials, or use other ' +
        'credentials (a bucket of another AWS account also denies access)',
    );
  }
  return null;
}

function missingCredentials(facts: ErrorFacts, where: StorageDescription): string {
  if (where.profile !== null) {
    const detail = facts.message.startsWith('Could not load credentials')
      ? ''
      : ` (${facts.message})`;
    return (
      `AWS profile "${where.profile}" gave no credentials${detail}; check that ~/.aws/config ` +
      `or ~/.aws/credentials defines it, or run "aws sso login --profile ${where.profile}" ` +
      'if it uses SSO'
    );
  }
  return (
    `no AWS credentials found for bucket "${where.bucket}"; set AWS_PROFILE to a profile in ` +
    '~/.aws/config, or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or enter an access key ' +
    "in the desktop app's settings"
  );
}

function unreachable(reason: string, facts: ErrorFacts, where: StorageDescription): string {
  if (where.endpoint !== null) {
    return (
      `cannot reach the S3 endpoint ${where.endpoint} (${reason}); check ` +
      `${where.settings.endpoint} and that the server is running`
    );
  }
  const host = facts.hostname || `S3 in region ${where.region ?? '(none set)'}`;
  return `cannot reach ${host} (${reason}); check the network connection and try again`;
}

// S3 responds to a request signed for the wrong region with 301 PermanentRedirect (regional
// endpoints) or 400 AuthorizationHeaderMalformed naming the expected region (global endpoint).
function isWrongRegion(code: string, facts: ErrorFacts, where: StorageDescription): boolean {
  if (code === 'PermanentRedirect' || code === 'IllegalLocationConstraintException') {
    return true;
  }
  if (facts.status === 301) {
    return true;
  }
  if (code === 'AuthorizationHeaderMalformed' && facts.bucketRegion !== '') {
    return true;
  }
  return facts.status === 400 && facts.bucketRegion !== '' && facts.bucketRegion !== where.region;
}

function wrongRegion(facts: ErrorFacts, where: StorageDescription): string {
  const current = where.region ?? '(none set)';
  if (facts.bucketRegion !== '' && facts.bucketRegion !== where.region) {
    return (
      `bucket "${where.bucket}" is in region ${facts.bucketRegion}, not ${current}; ` +
      `change ${where.settings.region} to ${facts.bucketRegion}`
    );
  }
  const redirect = facts.redirectEndpoint === '' ? '' : ` to ${facts.redirectEndpoint}`;
  return (
    `bucket "${where.bucket}" is not in region ${current} (S3 redirected the request${redirect}); ` +
    `change ${where.settings.region} to the bucket's region`
  );
}

// An access key ID is not a secret, but its last four characters identify it well enough.
function credentialsWithKey(facts: ErrorFacts, where: StorageDescription): string {
  if (facts.accessKeyId === '' || where.credentials.includes('access key ID')) {
    return where.credentials;
  }
  return `${where.credentials} (access key ID ending in ${facts.accessKeyId.slice(-4)})`;
}

function readFacts(error: object): ErrorFacts {
  const field = (name: string): string => {
    const value = (error as Record<string, unknown>)[name];
    return typeof value === 'string' ? value : '';
  };
  const metadata = (error as { $metadata?: { httpStatusCode?: unknown } }).$metadata;
  const headers = (error as { $response?: { headers?: Record<string, string> } }).$response
    ?.headers;
  const redirectEndpoint = field('Endpoint');

  return {
    name: field('name'),
    awsCode: field('Code'),
    systemCode: systemCodeOf(error),
    status: typeof metadata?.httpStatusCode === 'number' ? metadata.httpStatusCode : null,
    message: field('message'),
    bucketRegion:
      field('Region') || headers?.['x-amz-bucket-region'] || regionOfEndpoint(redirectEndpoint),
    redirectEndpoint,
    accessKeyId: field('AWSAccessKeyId'),
    hostname: field('hostname'),
  };
}

function systemCodeOf(error: object): string {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && typeof current === 'object' && current !== null; depth += 1) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && code in NETWORK_REASONS) {
      return code;
    }
    current = (current as { cause?: unknown }).cause;
  }
  return '';
}

// A redirect endpoint such as `music.s3.eu-west-2.amazonaws.com` names the bucket's region.
function regionOfEndpoint(endpoint: string): string {
  const match = /(?:^|\.)s3[.-]([a-z]{2}(?:-[a-z]+)+-\d+)\.amazonaws\.com/.exec(endpoint);
  return match?.[1] ?? '';
}
