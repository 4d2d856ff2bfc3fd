import type { S3Client } from '@aws-sdk/client-s3';
import type { Logger } from 'pino';

import type { PlayableUrl } from '../../../shared/contract';
import { CrateboxError } from '../../../shared/errors';
import { trackKeyProblem, TRACKS_PREFIX } from '../../../shared/track-key';
import type { Clock } from './clock';
import { signedUrlExpiry } from './cloudfront-url';
import { DEFAULT_PROBE_TIMEOUT_MS, describeProbeOutcome, probeFailedUrl } from './failure-probe';
import type { ProbeOutcome } from './failure-probe';
import { presignedUrlExpiry, presignObjectUrl, syncClockWithBucket } from './s3-presign';
import type { SignerConfig } from './signer-config';
import { DEFAULT_CACHE_ENTRIES } from './url-cache';
import { errorMessage, UrlIssuer } from './url-issuer';

export type { CloudFrontConfig, SignerConfig } from './signer-config';

/** Dependencies and tuning of {@link createSigner}. */
export interface SignerDeps {
  s3: S3Client;
  /** Read on every call, so a new active key or lifetime applies without a restart. */
  config: () => SignerConfig;
  clock: Clock;
  logger: Logger;
  /** Used for the probe of a failed URL; the global `fetch` when absent. */
  fetch?: typeof fetch;
  /** Tracks whose URLs are cached; 0 disables the cache. */
  cacheEntries?: number;
  /** How long a track keeps playing from S3 after CloudFront failed it; 5 minutes when absent. */
  fallbackCooldownMs?: number;
  /** Time limit of a probe or of the HEAD that reads the server time; 10 s when absent. */
  probeTimeoutMs?: number;
  /** Whether the first call sends a HEAD on the bucket to learn the server time; true when absent. */
  syncClockOnFirstUse?: boolean;
  /** Translates an S3 error into one that names the bucket and credentials; none when absent. */
  describeError?: (error: unknown) => CrateboxError | null;
}

/** Options of one URL request. */
export interface UrlRequestOptions {
  /** URL the player failed to load; the signer probes it to choose the next URL. */
  failedUrl?: string;
}

/** Issues playable URLs for track keys: CloudFront signed URLs first, S3 presigned URLs as fallback. */
export interface Signer {
  /**
   * Returns a URL for `key`, reusing a cached one while enough of its lifetime is left.
   * With `failedUrl`, probes that URL first. When it expired or works again, the result is a
   * fresh URL on the same path. After a CloudFront 403, 404, 5xx or network error, the track
   * plays from S3 for the fallback cool-down.
   * Throws a CrateboxError: `InvalidRequest` or `KeyOutsideTracks` for a bad key, `NotFound`
   * when S3 has no such object, `StorageUnavailable` or `SigningFailed` when S3 fails.
   */
  urlFor(key: string, options?: UrlRequestOptions): Promise<PlayableUrl>;
  /** Sends a HEAD on the bucket to learn the server time; failures are logged and ignored. */
  syncClock(): Promise<void>;
  /**
   * Returns why configured CloudFront delivery cannot sign URLs (an invalid domain or private key),
   * so every track plays from S3; null when CloudFront is usable or not configured.
   */
  cloudFrontProblem(): string | null;
  /** Forgets cached URLs and cool-downs. */
  reset(): void;
}

/** Default time a track keeps playing from S3 after CloudFront failed it. */
export const DEFAULT_FALLBACK_COOLDOWN_MS = 5 * 60_000;

// Seconds a presigned URL made only to read the S3 endpoint's origin stays valid.
const ORIGIN_PROBE_LIFETIME_SECONDS = 60;

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Creates a signer; see {@link Signer}. */
export function createSigner(deps: SignerDeps): Signer {
  const { s3, clock, logger } = deps;
  const fetchImpl = deps.fetch ?? fetch;
  const probeTimeoutMs = deps.probeTimeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS;
  const issuer = new UrlIssuer({
    s3,
    clock,
    logger,
    cacheEntries: deps.cacheEntries ?? DEFAULT_CACHE_ENTRIES,
    fallbackCooldownMs: deps.fallbackCooldownMs ?? DEFAULT_FALLBACK_COOLDOWN_MS,
    describeError: deps.describeError ?? (() => null),
  });
  let clockSync: Promise<void> | null =
    deps.syncClockOnFirstUse === false ? Promise.resolve() : null;

  async function syncClock(): Promise<void> {
    const bucket = deps.config().bucket;
    try {
      await syncClockWithBucket(s3, bucket, clock, probeTimeoutMs);
    } catch (error) {
      logger.warn(
        { bucket, error: deps.describeError?.(error)?.message ?? errorMessage(error) },
        'could not read the S3 server time; signing with the local clock',
      );
    }
  }

  function probe(url: URL, expiresAt: number | null, source: string): Promise<ProbeOutcome> {
    return probeFailedUrl({
      url: url.href,
      expiresAt,
      source,
      clock,
      fetch: fetchImpl,
      timeoutMs: probeTimeoutMs,
    });
  }

  async function recover(key: string, failedUrl: URL, config: SignerConfig): Promise<PlayableUrl> {
    issuer.forget(key);
    const setup = config.cloudfront === null ? null : issuer.cloudFrontSetup(config.cloudfront);
    const onCloudFront =
      setup !== null && typeof setup !== 'string' && failedUrl.origin === setup.origin;

    if (onCloudFront) {
      const outcome = await probe(failedUrl, signedUrlExpiry(failedUrl), 'cloudfront');
      if (outcome.kind === 'ok' || outcome.kind === 'expired') {
        logger.debug({ key, via: 'cloudfront', outcome: outcome.kind }, 'signing a fresh URL');
        return issuer.issue(key, config);
      }
      const reason = `${describeProbeOutcome('CloudFront', outcome)}; playing from S3`;
      return issuer.startCooldown(key, config, reason);
    }

    // Only URLs on CloudFront or this bucket's S3 endpoint are probed, so the renderer cannot
    // make the main process send requests to other hosts.
    const s3Origin = new URL(
      await presignObjectUrl(s3, config.bucket, key, ORIGIN_PROBE_LIFETIME_SECONDS, new Date()),
    ).origin;
    if (failedUrl.origin !== s3Origin) {
      logger.warn({ key }, 'failed URL is on neither CloudFront nor S3; issuing a fresh URL');
      return issuer.issue(key, config);
    }

    const offsetBefore = clock.offsetMs();
    const outcome = await probe(failedUrl, presignedUrlExpiry(failedUrl), 's3');
    if (outcome.kind === 'not-found') {
      throw new CrateboxError(
        'NotFound',
        `track ${key} is not in bucket ${config.bucket}; refresh the library`,
      );
    }
    // A new clock offset explains a 403 on a presigned URL, so a URL signed now can work.
    const retryable =
      outcome.kind === 'ok' || outcome.kind === 'expired' || clock.offsetMs() !== offsetBefore;
    if (!retryable) {
      const problem = describeProbeOutcome('S3', outcome);
      logger.error({ key, via: 's3', problem }, 'S3 URL failed');
      throw new CrateboxError(
        'StorageUnavailable',
        `${problem} for ${key}; check the bucket and its credentials`,
      );
    }
    return issuer.issue(key, config);
  }

  return {
    async urlFor(key, options = {}) {
      checkKey(key);
      clockSync ??= syncClock();
      await clockSync;

      const config = deps.config();
      if (options.failedUrl === undefined) {
        return issuer.issue(key, config);
      }
      let failedUrl: URL;
      try {
        failedUrl = new URL(options.failedUrl);
      } catch {
        return issuer.issue(key, config);
      }
      return recover(key, failedUrl, config);
    },
    syncClock,
    cloudFrontProblem() {
      const cloudfront = deps.config().cloudfront;
      if (cloudfront === null) {
        return null;
      }
      const setup = issuer.cloudFrontSetup(cloudfront);
      return typeof setup === 'string' ? setup : null;
    },
    reset() {
      issuer.reset();
    },
  };
}

function checkKey(key: string): void {
  const problem = trackKeyProblem(key);
  if (problem !== null) {
    const name = key.startsWith(TRACKS_PREFIX) ? 'InvalidRequest' : 'KeyOutsideTracks';
    throw new CrateboxError(name, problem);
  }
  if (LONE_SURROGATE.test(key)) {
    throw new CrateboxError('InvalidRequest', `key "${key}" is not valid Unicode`);
  }
}
