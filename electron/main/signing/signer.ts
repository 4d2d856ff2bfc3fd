import type { S3Client } from '@aws-sdk/client-s3';
import type { Logger } from 'pino';

import type { PlayableUrl } from '../../../shared/contract';
import { CrateboxError } from '../../../shared/errors';
import { trackKeyProblem, TRACKS_PREFIX } from '../../../shared/track-key';
import type { Clock } from './clock';
import { signCloudFrontUrl } from './cloudfront-signing';
import { cloudFrontOrigin, signedUrlExpiry } from './cloudfront-url';
import { DEFAULT_PROBE_TIMEOUT_MS, describeProbeOutcome, probeFailedUrl } from './failure-probe';
import type { ProbeOutcome } from './failure-probe';
import { KeyPairLoader } from './private-keys';
import type { LoadedKeyPair } from './private-keys';
import { presignedUrlExpiry, presignObjectUrl, syncClockWithBucket } from './s3-presign';
import { DEFAULT_CACHE_ENTRIES, PlayableUrlCache } from './url-cache';

/** Delivery settings the signer reads on every call, so changes apply without a restart. */
export interface SignerConfig {
  bucket: string;
  urlLifetimeSeconds: number;
  cloudfront: null | {
    /** Host name (https), or an origin with an explicit `http://` or `https://` scheme. */
    domain: string;
    /** Active and optional next key pair, as PEM text. */
    keyPairs: { id: string; privateKeyPem: string }[];
    activeKeyPairId: string;
    policy: 'canned' | 'custom';
    /** Custom policy resource such as `https://DOMAIN/tracks/*`; null signs the track URL. */
    resource: string | null;
    /** Custom policy source IP range (IPv4 CIDR); null for none. */
    ipRange: string | null;
  };
}

/** Dependencies and tuning of {@link createSigner}. */
export interface SignerDeps {
  s3: S3Client;
  config: () => SignerConfig;
  clock: Clock;
  logger: Logger;
  /** Used for the probe of a failed URL; the global `fetch` when absent. */
  fetch?: typeof fetch;
  /** Tracks whose URLs are cached; 0 disables the cache. */
  cacheEntries?: number;
  /** How long a track keeps playing from S3 after CloudFront failed it; 5 minutes when absent. */
  fallbackCooldownMs?: number;
  probeTimeoutMs?: number;
  /** Whether the first call sends a HEAD on the bucket to learn the server time; true when absent. */
  syncClockOnFirstUse?: boolean;
}

/** Options of one URL request. */
export interface UrlRequestOptions {
  /** URL the player failed to load; the signer probes it to choose the next URL. */
  failedUrl?: string;
}

/** Issues playable URLs for track keys: CloudFront signed URLs first, S3 presigned URLs as fallback. */
export interface Signer {
  /** Returns a URL for `key`, reusing a cached one while enough of its lifetime is left. */
  urlFor(key: string, options?: UrlRequestOptions): Promise<PlayableUrl>;
  /** Sends a HEAD on the bucket to learn the server time; failures are logged and ignored. */
  syncClock(): Promise<void>;
  /** Forgets cached URLs and cool-downs. */
  reset(): void;
}

/** Default time a track keeps playing from S3 after CloudFront failed it. */
export const DEFAULT_FALLBACK_COOLDOWN_MS = 5 * 60_000;

type CloudFrontConfig = NonNullable<SignerConfig['cloudfront']>;

interface Cooldown {
  until: number;
  reason: string;
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Creates a signer; see {@link Signer}. */
export function createSigner(deps: SignerDeps): Signer {
  const { s3, clock, logger } = deps;
  const fetchImpl = deps.fetch ?? fetch;
  const cooldownMs = deps.fallbackCooldownMs ?? DEFAULT_FALLBACK_COOLDOWN_MS;
  const probeTimeoutMs = deps.probeTimeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS;
  const cache = new PlayableUrlCache(deps.cacheEntries ?? DEFAULT_CACHE_ENTRIES);
  const cooldowns = new Map<string, Cooldown>();
  const reportedProblems = new Set<string>();
  const keyLoader = new KeyPairLoader((id, problem) => {
    logger.error({ keyPairId: id, problem }, 'CloudFront private key is invalid');
  });
  let clockSync: Promise<void> | null =
    deps.syncClockOnFirstUse === false ? Promise.resolve() : null;

  async function syncClock(): Promise<void> {
    const bucket = deps.config().bucket;
    try {
      await syncClockWithBucket(s3, bucket, clock);
    } catch (error) {
      logger.warn(
        { bucket, error: errorMessage(error) },
        'could not read the S3 server time; signing with the local clock',
      );
    }
  }

  // Logs a configuration problem once, although every request falls back because of it.
  function reportOnce(problem: string): void {
    if (!reportedProblems.has(problem)) {
      reportedProblems.add(problem);
      logger.warn({ reason: problem }, 'CloudFront is configured but unusable; playing from S3');
    }
  }

  async function s3Url(
    key: string,
    config: SignerConfig,
    reason: string | null,
  ): Promise<PlayableUrl> {
    const variant = `s3\n${config.bucket}\n${config.urlLifetimeSeconds}\n${reason ?? ''}`;
    const cached = cache.get(key, variant, clock.now());
    if (cached !== null) {
      return cached;
    }

    const issuedAt = clock.now();
    let url: string;
    try {
      url = await presignObjectUrl(s3, config.bucket, key, config.urlLifetimeSeconds, clock);
    } catch (error) {
      logger.error({ key, via: 's3', error: errorMessage(error) }, 'S3 presigning failed');
      throw new CrateboxError('SigningFailed', `could not presign ${key}: ${errorMessage(error)}`, {
        cause: error,
      });
    }

    const expiresAt = Math.floor(issuedAt / 1000) * 1000 + config.urlLifetimeSeconds * 1000;
    const playable = {
      key,
      url,
      expiresAt: new Date(expiresAt).toISOString(),
      via: 's3',
      fallbackReason: reason,
    } as const;
    logger.debug(
      { key, via: 's3', expiresInSeconds: config.urlLifetimeSeconds },
      'presigned S3 URL',
    );
    cache.set(key, variant, playable, issuedAt);
    return playable;
  }

  function cloudFrontUrl(
    key: string,
    config: SignerConfig,
    cloudfront: CloudFrontConfig,
    origin: string,
    keyPair: LoadedKeyPair,
  ): PlayableUrl | string {
    const { policy, resource, ipRange } = cloudfront;
    const variant = [
      'cloudfront',
      keyPair.id,
      origin,
      policy,
      resource,
      ipRange,
      config.urlLifetimeSeconds,
    ].join('\n');
    const cached = cache.get(key, variant, clock.now());
    if (cached !== null) {
      return cached;
    }

    const issuedAt = clock.now();
    const expiresEpochSeconds = Math.floor(issuedAt / 1000) + config.urlLifetimeSeconds;
    let url: string;
    try {
      url = signCloudFrontUrl({
        origin,
        key,
        keyPair,
        policy,
        resource,
        ipRange,
        expiresEpochSeconds,
      });
    } catch (error) {
      logger.error(
        { key, via: 'cloudfront', keyPairId: keyPair.id, error: errorMessage(error) },
        'CloudFront signing failed',
      );
      return `CloudFront signing failed (${errorMessage(error)})`;
    }

    const playable = {
      key,
      url,
      expiresAt: new Date(expiresEpochSeconds * 1000).toISOString(),
      via: 'cloudfront',
      fallbackReason: null,
    } as const;
    logger.debug(
      {
        key,
        via: 'cloudfront',
        keyPairId: keyPair.id,
        policy,
        expiresInSeconds: config.urlLifetimeSeconds,
      },
      'signed CloudFront URL',
    );
    cache.set(key, variant, playable, issuedAt);
    return playable;
  }

  // Resolves the CloudFront origin and active key, or returns why CloudFront cannot sign.
  function cloudFrontSetup(
    cloudfront: CloudFrontConfig,
  ): { origin: string; keyPair: LoadedKeyPair } | string {
    let origin: string;
    try {
      origin = cloudFrontOrigin(cloudfront.domain);
    } catch (error) {
      return errorMessage(error);
    }
    const load = keyLoader.loadActive(cloudfront.keyPairs, cloudfront.activeKeyPairId);
    return load.ok ? { origin, keyPair: load.keyPair } : load.problem;
  }

  async function issue(key: string, config: SignerConfig): Promise<PlayableUrl> {
    const cloudfront = config.cloudfront;
    if (cloudfront === null) {
      return s3Url(key, config, null);
    }

    const cooldown = cooldowns.get(key);
    if (cooldown !== undefined) {
      if (cooldown.until > clock.now()) {
        return s3Url(key, config, cooldown.reason);
      }
      cooldowns.delete(key);
      logger.debug({ key }, 'S3 cool-down over; trying CloudFront again');
    }

    const setup = cloudFrontSetup(cloudfront);
    if (typeof setup === 'string') {
      const reason = `${setup}; playing from S3`;
      reportOnce(reason);
      return s3Url(key, config, reason);
    }

    const signed = cloudFrontUrl(key, config, cloudfront, setup.origin, setup.keyPair);
    if (typeof signed === 'string') {
      return s3Url(key, config, `${signed}; playing from S3`);
    }
    return signed;
  }

  async function recover(key: string, failedUrl: URL, config: SignerConfig): Promise<PlayableUrl> {
    cache.delete(key);
    const cloudfront = config.cloudfront;
    const setup = cloudfront === null ? null : cloudFrontSetup(cloudfront);
    const onCloudFront =
      setup !== null && typeof setup !== 'string' && failedUrl.origin === setup.origin;

    if (onCloudFront) {
      const outcome = await probe(failedUrl, signedUrlExpiry(failedUrl), 'cloudfront');
      if (outcome.kind === 'ok' || outcome.kind === 'expired') {
        logger.debug(
          { key, via: 'cloudfront', outcome: outcome.kind },
          'signing a fresh URL after a failed play',
        );
        return issue(key, config);
      }
      return startCooldown(
        key,
        config,
        `${describeProbeOutcome('CloudFront', outcome)}; playing from S3`,
      );
    }

    // Probe only URLs on this bucket's S3 endpoint, so the renderer cannot make the main process fetch other hosts.
    const s3Origin = new URL(await presignObjectUrl(s3, config.bucket, key, 60, clock)).origin;
    if (failedUrl.origin !== s3Origin) {
      logger.warn(
        { key },
        'failed URL is on neither CloudFront nor S3; issuing a fresh URL without a probe',
      );
      return issue(key, config);
    }

    const offsetBefore = clock.offsetMs();
    const outcome = await probe(failedUrl, presignedUrlExpiry(failedUrl), 's3');
    if (outcome.kind === 'not-found') {
      throw new CrateboxError('NotFound', `track ${key} is not in bucket ${config.bucket}`);
    }
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
    return issue(key, config);
  }

  function startCooldown(key: string, config: SignerConfig, reason: string): Promise<PlayableUrl> {
    const existing = cooldowns.get(key);
    if (existing !== undefined && existing.until > clock.now()) {
      return s3Url(key, config, existing.reason);
    }
    cooldowns.set(key, { until: clock.now() + cooldownMs, reason });
    logger.warn(
      { key, via: 's3', reason, cooldownSeconds: Math.round(cooldownMs / 1000) },
      'CloudFront failed a track; playing it from S3',
    );
    return s3Url(key, config, reason);
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

  return {
    async urlFor(key, options = {}) {
      checkKey(key);
      clockSync ??= syncClock();
      await clockSync;

      const config = deps.config();
      if (options.failedUrl === undefined) {
        return issue(key, config);
      }
      let failedUrl: URL;
      try {
        failedUrl = new URL(options.failedUrl);
      } catch {
        return issue(key, config);
      }
      return recover(key, failedUrl, config);
    },
    syncClock,
    reset() {
      cache.clear();
      cooldowns.clear();
    },
  };
}

function checkKey(key: string): void {
  const problem = trackKeyProblem(key);
  if (problem !== null) {
    throw new CrateboxError(
      key.startsWith(TRACKS_PREFIX) ? 'InvalidRequest' : 'KeyOutsideTracks',
      problem,
    );
  }
  if (LONE_SURROGATE.test(key)) {
    throw new CrateboxError('InvalidRequest', `key "${key}" is not valid Unicode`);
  }
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
