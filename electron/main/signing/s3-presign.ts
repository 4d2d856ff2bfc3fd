import { GetObjectCommand, HeadBucketCommand } from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';

import type { Clock } from './clock';

/** Presigns a GET of `key` in `bucket`, signed at `signingDate` and valid for `lifetimeSeconds`. */
export async function presignObjectUrl(
  s3: S3Client,
  bucket: string,
  key: string,
  lifetimeSeconds: number,
  signingDate: Date,
): Promise<string> {
  const command = new GetObjectCommand({ Bucket: bucket, Key: key });
  return getSignedUrl(s3, command, { expiresIn: lifetimeSeconds, signingDate });
}

/**
 * Sends a HEAD on the bucket and passes the `Date` header of the response to the clock. Error
 * replies (403, 404) count too, because S3 dates them as well. Returns whether a `Date` header
 * was read, and throws when no response arrived within `timeoutMs`.
 */
export async function syncClockWithBucket(
  s3: S3Client,
  bucket: string,
  clock: Clock,
  timeoutMs: number,
): Promise<boolean> {
  const command = new HeadBucketCommand({ Bucket: bucket });
  let dateHeader: string | undefined;
  let receivedAt = 0;

  // Placed after the deserializer in its step, this reads every attempt's raw HTTP response
  // before the SDK turns it into output or an error.
  command.middlewareStack.add(
    (next) => async (args) => {
      const result = await next(args);
      const header = readDateHeader(result.response);
      if (header !== undefined) {
        dateHeader = header;
        receivedAt = clock.local();
      }
      return result;
    },
    { step: 'deserialize', name: 'crateboxReadServerDate', priority: 'low' },
  );

  try {
    await s3.send(command, { abortSignal: AbortSignal.timeout(timeoutMs) });
  } catch (error) {
    // An S3 error reply (403, 404) still dated the response; only a failed request did not.
    if (dateHeader === undefined) {
      throw error;
    }
  }

  if (dateHeader === undefined) {
    return false;
  }
  clock.observeServerDate(dateHeader, receivedAt, 's3');
  return true;
}

function readDateHeader(response: unknown): string | undefined {
  if (typeof response !== 'object' || response === null || !('headers' in response)) {
    return undefined;
  }
  const headers = response.headers as Record<string, string | undefined>;
  return headers.date ?? headers.Date;
}

/** Reads the expiry of an S3 presigned URL from `X-Amz-Date` and `X-Amz-Expires`, in epoch ms. */
export function presignedUrlExpiry(url: URL): number | null {
  const date = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(
    url.searchParams.get('X-Amz-Date') ?? '',
  );
  const lifetime = url.searchParams.get('X-Amz-Expires');
  if (date === null || lifetime === null || !/^\d+$/.test(lifetime)) {
    return null;
  }
  const [, year, month, day, hour, minute, second] = date.map(Number);
  const signedAt = Date.UTC(year ?? 0, (month ?? 1) - 1, day, hour, minute, second);
  return signedAt + Number(lifetime) * 1000;
}
