import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { GetObjectCommand, HeadBucketCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { startEmbeddedS3 } from '../../electron/main/storage/embedded-s3';
import type { EmbeddedS3Server } from '../../electron/main/storage/embedded-s3';
import { createS3Client } from '../../electron/main/storage/s3-client';
import type { StorageTarget } from '../../electron/main/storage/s3-client';
import { storageError } from '../../electron/main/storage/storage-errors';
import type { StorageDescription } from '../../electron/main/storage/storage-errors';
import type { CrateboxError } from '../../shared/errors';
import { startRedirectingS3 } from '../support/redirecting-s3';
import type { RedirectingS3 } from '../support/redirecting-s3';
import { createBucket, freePort, TEST_CREDENTIALS } from '../support/s3-servers';

const BUCKET = 'cratebox-library';
const CREDENTIALS_TEXT = 'the access key ID ending in -key from AWS_ACCESS_KEY_ID';

let dir: string;
let server: EmbeddedS3Server;
let euServer: EmbeddedS3Server;
let redirecting: RedirectingS3;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cratebox-storage-errors-'));
  server = await startEmbeddedS3({ dataDir: join(dir, 'us'), credentials: TEST_CREDENTIALS });
  euServer = await startEmbeddedS3({
    dataDir: join(dir, 'eu'),
    credentials: TEST_CREDENTIALS,
    region: 'eu-west-1',
  });
  redirecting = await startRedirectingS3('eu-west-2');
  await createBucket(server.endpoint, BUCKET);
});

afterAll(async () => {
  await redirecting?.close();
  await euServer?.close();
  await server?.close();
  await rm(dir, { recursive: true, force: true });
});

function where(
  endpoint: string | null,
  changes: Partial<StorageDescription> = {},
): StorageDescription {
  return {
    bucket: BUCKET,
    region: 'us-east-1',
    endpoint,
    profile: null,
    credentials: CREDENTIALS_TEXT,
    settings: {
      bucket: 'CRATEBOX_BUCKET',
      region: 'CRATEBOX_REGION',
      endpoint: 'CRATEBOX_S3_ENDPOINT',
    },
    ...changes,
  };
}

function clientFor(endpoint: string, changes: Partial<StorageTarget> = {}): S3Client {
  return createS3Client(
    {
      bucket: BUCKET,
      region: 'us-east-1',
      endpoint,
      forcePathStyle: true,
      credentials: TEST_CREDENTIALS,
      ...changes,
    },
    { maxAttempts: 1 },
  );
}

/** Sends a listing of `tracks/` and returns the translated error. */
async function listingError(
  client: S3Client,
  description: StorageDescription,
  bucket = BUCKET,
): Promise<CrateboxError | null> {
  try {
    await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'tracks/', MaxKeys: 1 }));
  } catch (error) {
    return storageError(error, description);
  } finally {
    client.destroy();
  }
  throw new Error('the listing succeeded');
}

describe('S3 errors in plain words', () => {
  it('missing bucket names bucket and region', async () => {
    const description = where(server.endpoint, { bucket: 'missing-bucket' });

    const error = await listingError(clientFor(server.endpoint), description, 'missing-bucket');

    expect(error?.name).toBe('BucketNotFound');
    expect(error?.message).toBe(
      `bucket "missing-bucket" does not exist in region us-east-1 at ${server.endpoint}; check CRATEBOX_BUCKET, or create the bucket`,
    );
  });

  it('wrong signing region names the right one', async () => {
    const error = await listingError(clientFor(euServer.endpoint), where(euServer.endpoint));

    expect(error?.name).toBe('WrongRegion');
    expect(error?.message).toBe(
      `bucket "${BUCKET}" is in region eu-west-1, not us-east-1; change CRATEBOX_REGION to eu-west-1`,
    );
  });

  it('permanent redirect names the region', async () => {
    const error = await listingError(clientFor(redirecting.endpoint), where(redirecting.endpoint));

    expect(error?.name).toBe('WrongRegion');
    expect(error?.message).toBe(
      `bucket "${BUCKET}" is in region eu-west-2, not us-east-1; change CRATEBOX_REGION to eu-west-2`,
    );
  });

  it('redirected HEAD names the region', async () => {
    const client = clientFor(redirecting.endpoint);
    let error: CrateboxError | null = null;
    try {
      await client.send(new HeadBucketCommand({ Bucket: BUCKET }));
    } catch (failure) {
      error = storageError(failure, where(redirecting.endpoint));
    } finally {
      client.destroy();
    }

    expect(error?.name).toBe('WrongRegion');
    expect(error?.message).toContain('is in region eu-west-2, not us-east-1');
  });

  it('unknown access key names the credentials', async () => {
    const client = clientFor(server.endpoint, {
      credentials: { accessKeyId: 'AKIAUNKNOWNKEY1234', secretAccessKey: 'unknown-secret-value' },
    });

    const error = await listingError(
      client,
      where(server.endpoint, { credentials: 'AWS profile "artist" from CRATEBOX_AWS_PROFILE' }),
    );

    expect(error?.name).toBe('CredentialsRejected');
    expect(error?.message).toBe(
      'S3 does not recognize the access key ID of AWS profile "artist" from CRATEBOX_AWS_PROFILE (access key ID ending in 1234); check that the key exists and is active, or use other credentials',
    );
    expect(error?.message).not.toContain('unknown-secret-value');
  });

  it('wrong secret key names the credentials', async () => {
    const secret = 'not-the-secret-0123456789';
    const client = clientFor(server.endpoint, {
      credentials: { accessKeyId: TEST_CREDENTIALS.accessKeyId, secretAccessKey: secret },
    });

    const error = await listingError(client, where(server.endpoint));

    expect(error?.name).toBe('CredentialsRejected');
    expect(error?.message).toBe(
      `S3 rejected the signature made with ${CREDENTIALS_TEXT}: the secret access key does not belong to the access key ID; check the secret access key`,
    );
    expect(error?.message).not.toContain(secret);
  });

  it('anonymous request is access denied', async () => {
    const client = clientFor(server.endpoint);
    client.middlewareStack.add(
      (next) => async (args) => {
        delete (args.request as { headers: Record<string, string> }).headers.authorization;
        return next(args);
      },
      { step: 'finalizeRequest', priority: 'low', name: 'dropAuthorization' },
    );

    const error = await listingError(client, where(server.endpoint));

    expect(error?.name).toBe('AccessDenied');
    expect(error?.message).toBe(
      `S3 denied ${CREDENTIALS_TEXT} access to bucket "${BUCKET}"; allow s3:ListBucket, s3:GetObject and s3:PutObject on the bucket for these credentials, or use other credentials (a bucket of another AWS account also denies access)`,
    );
  });

  it('closed port names the endpoint', async () => {
    const endpoint = `http://127.0.0.1:${await freePort()}`;

    const error = await listingError(clientFor(endpoint), where(endpoint));

    expect(error?.name).toBe('StorageUnavailable');
    expect(error?.message).toBe(
      `cannot reach the S3 endpoint ${endpoint} (connection refused); check CRATEBOX_S3_ENDPOINT and that the server is running`,
    );
  });

  it('missing object is left alone', async () => {
    const client = clientFor(server.endpoint);
    let error: unknown;
    try {
      await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'tracks/none.mp3' }));
    } catch (failure) {
      error = failure;
    } finally {
      client.destroy();
    }

    expect((error as Error).name).toBe('NoSuchKey');
    expect(storageError(error, where(server.endpoint))).toBeNull();
  });
});

// The AWS SDK reads these variables itself, so each test here sets them for the process.
const SDK_VARIABLES = [
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_PROFILE',
  'AWS_REGION',
  'AWS_DEFAULT_REGION',
  'AWS_CONFIG_FILE',
  'AWS_SHARED_CREDENTIALS_FILE',
  'AWS_EC2_METADATA_DISABLED',
  'AWS_WEB_IDENTITY_TOKEN_FILE',
  'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI',
  'AWS_CONTAINER_CREDENTIALS_FULL_URI',
];

describe('credentials and region from the SDK chain', () => {
  const saved = new Map<string, string | undefined>();
  let configFile: string;

  beforeEach(async () => {
    for (const name of SDK_VARIABLES) {
      saved.set(name, process.env[name]);
      Reflect.deleteProperty(process.env, name);
    }
    // An AWS config file with one profile, and no credentials file; the instance metadata
    // service stays off so the chain never leaves this machine.
    configFile = join(dir, 'aws-config');
    await writeFile(configFile, '[profile listener]\nregion = eu-west-1\n');
    process.env.AWS_CONFIG_FILE = configFile;
    process.env.AWS_SHARED_CREDENTIALS_FILE = join(dir, 'no-credentials');
    process.env.AWS_EC2_METADATA_DISABLED = 'true';
  });

  afterEach(() => {
    for (const [name, value] of saved) {
      if (value === undefined) {
        Reflect.deleteProperty(process.env, name);
      } else {
        process.env[name] = value;
      }
    }
  });

  it('no credentials names the variables', async () => {
    const client = clientFor(server.endpoint, { credentials: undefined });

    const error = await listingError(client, where(server.endpoint));

    expect(error?.name).toBe('CredentialsMissing');
    expect(error?.message).toBe(
      `no AWS credentials found for bucket "${BUCKET}"; set AWS_PROFILE to a profile in ~/.aws/config, or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or enter an access key in the desktop app's settings`,
    );
  });

  it('profile without keys names the profile', async () => {
    const client = clientFor(server.endpoint, { credentials: undefined, profile: 'listener' });

    const error = await listingError(client, where(server.endpoint, { profile: 'listener' }));

    expect(error?.name).toBe('CredentialsMissing');
    expect(error?.message).toMatch(/^AWS profile "listener" gave no credentials/);
    expect(error?.message).toContain(
      'check that ~/.aws/config or ~/.aws/credentials defines it, or run "aws sso login --profile listener" if it uses SSO',
    );
  });

  it('no region says where to set one', async () => {
    const client = clientFor(server.endpoint, { region: undefined });

    const error = await listingError(client, where(server.endpoint, { region: null }));

    expect(error?.name).toBe('RegionMissing');
    expect(error?.message).toBe(
      `no AWS region is set for bucket "${BUCKET}"; set CRATEBOX_REGION (or AWS_REGION), the region in the settings, or region in the AWS profile`,
    );
  });
});
