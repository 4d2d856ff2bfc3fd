import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';

import { S3Client } from '@aws-sdk/client-s3';
import type { S3ClientConfig } from '@aws-sdk/client-s3';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import { NodeHttpHandler } from '@smithy/node-http-handler';

/** Location of the library and how to reach it, for AWS and the embedded store alike. */
export interface StorageTarget {
  bucket: string;
  /** Undefined lets the SDK read the region from the environment or the profile. */
  region: string | undefined;
  /** Named profile in ~/.aws/config and ~/.aws/credentials, for credentials and region. */
  profile?: string | null;
  /** Custom endpoint (the embedded store or another S3-compatible server); null for AWS. */
  endpoint: string | null;
  /**
   * Resolves the endpoint before each request, in place of `endpoint`, for a server that can
   * move: the embedded store when another process takes it over.
   */
  resolveEndpoint?: () => Promise<string>;
  forcePathStyle: boolean;
  /** Credentials or a provider; undefined uses the AWS SDK's default chain (env, profile, SSO). */
  credentials: AwsCredentialIdentity | AwsCredentialIdentityProvider | undefined;
}

/** Options of {@link createS3Client} that differ between callers. */
export interface S3ClientOptions {
  /** Attempts per request, including the first; the SDK backs off between them. */
  maxAttempts?: number;
  requestHandler?: NodeHttpHandler;
}

/** Creates a connection pool sized for parallel part uploads. */
export function createHttpHandler(): NodeHttpHandler {
  return new NodeHttpHandler({
    connectionTimeout: 10_000,
    requestTimeout: 120_000,
    httpAgent: new HttpAgent({ keepAlive: true, maxSockets: 64 }),
    httpsAgent: new HttpsAgent({ keepAlive: true, maxSockets: 64 }),
  });
}

/** Builds the S3 client for a storage target. */
export function createS3Client(target: StorageTarget, options: S3ClientOptions = {}): S3Client {
  silenceNodeVersionWarning();
  return new S3Client({
    region: target.region,
    ...(target.profile == null ? {} : { profile: target.profile }),
    ...endpointConfig(target),
    forcePathStyle: target.forcePathStyle,
    credentials: target.credentials,
    maxAttempts: options.maxAttempts ?? 5,
    requestHandler: options.requestHandler ?? createHttpHandler(),
    // Uploads ask for SHA-256 checksums explicitly, because Cratebox verifies them. The SDK's
    // automatic CRC32 framing stays off, so any S3-compatible server works.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

/**
 * Turns off the NodeVersionSupportWarning that AWS SDK v3 clients print once per process on
 * Node.js below 22, which Cratebox supports from 20.19 (`engines` in package.json). The SDK reads
 * this variable when a client is built (emitWarningIfUnsupportedVersion in @aws-sdk/core), and its
 * announcement of the change names it as the way to silence that warning alone:
 * https://github.com/aws/aws-sdk-js-v3/issues/7983. A value the user set is kept.
 */
function silenceNodeVersionWarning(): void {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
}

// The SDK calls an endpoint provider when it builds each request, but its own retries resend the
// built request, so a moved endpoint is picked up by the next command or the engine's next attempt.
function endpointConfig(target: StorageTarget): Pick<S3ClientConfig, 'endpoint'> {
  const { resolveEndpoint } = target;
  if (resolveEndpoint !== undefined) {
    return { endpoint: async () => ({ url: new URL(await resolveEndpoint()) }) };
  }
  return target.endpoint === null ? {} : { endpoint: target.endpoint };
}
