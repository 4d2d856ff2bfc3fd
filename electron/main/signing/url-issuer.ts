import type { S3Client } from '@aws-sdk/client-s3';
import type { Logger } from 'pino';

import type { PlayableUrl } from '../../../shared/contract';
import { CrateboxError } from '../../../shared/errors';
import type { Clock } from './clock';
import { signCloudFrontUrl } from './cloudfront-signing';
import { cloudFrontOrigin, normalizeCidr } from './cloudfront-url';
import { KeyPairLoader } from './private-keys';
import type { LoadedKeyPair } from './private-keys';
import { presignObjectUrl } from './s3-presign';
import type { CloudFrontConfig, SignerConfig } from './signer-config';
import { PlayableUrlCache } from './url-cache';

/** Dependencies of {@link UrlIssuer}. */
export interface UrlIssuerDeps {
  s3: S3Client;
  clock: Clock;
  logger: Logger;
  cacheEntries: number;
  fallbackCooldownMs: number;
  /** Translates an S3 error into one that names the bucket and credentials, or returns null. */
  describeError: (error: unknown) => CrateboxError | null;
}

/** CloudFront origin and active key pair, ready to sign. */
export interface CloudFrontSetup {
  origin: string;
  keyPair: LoadedKeyPair;
}

interface Cooldown {
  until: number;
  reason: string;
}

/**
 * Issues URLs on the path the configuration and the per-track cool-downs select, through the URL
 * cache. Configuration problems are logged once each, not on every play.
 */
export class UrlIssuer {
  private readonly cache: PlayableUrlCache;
  private readonly cooldowns = new Map<string, Cooldown>();
  private readonly reportedProblems = new Set<string>();
  private readonly keyLoader: KeyPairLoader;

  constructor(private readonly deps: UrlIssuerDeps) {
    this.cache = new PlayableUrlCache(deps.cacheEntries);
    this.keyLoader = new KeyPairLoader((id, problem) => {
      deps.logger.error({ keyPairId: id, problem }, 'CloudFront private key is invalid');
    });
  }

  /** Returns a CloudFront URL, or an S3 URL with the reason when CloudFront cannot be used. */
  async issue(key: string, config: SignerConfig): Promise<PlayableUrl> {
    const cloudfront = config.cloudfront;
    if (cloudfront === null) {
      return this.s3Url(key, config, null);
    }

    const cooldown = this.cooldowns.get(key);
    if (cooldown !== undefined) {
      if (cooldown.until > this.deps.clock.now()) {
        return this.s3Url(key, config, cooldown.reason);
      }
      this.cooldowns.delete(key);
      this.deps.logger.debug({ key }, 'S3 cool-down over; trying CloudFront again');
    }

    const setup = this.cloudFrontSetup(cloudfront);
    const signed =
      typeof setup === 'string' ? setup : this.cloudFrontUrl(key, config, cloudfront, setup);
    if (typeof signed !== 'string') {
      return signed;
    }
    const reason = `${signed}; playing from S3`;
    this.reportOnce('warn', reason);
    return this.s3Url(key, config, reason);
  }

  /** Plays `key` from S3 for the cool-down, logging the warning only when a cool-down starts. */
  startCooldown(key: string, config: SignerConfig, reason: string): Promise<PlayableUrl> {
    const now = this.deps.clock.now();
    const existing = this.cooldowns.get(key);
    if (existing !== undefined && existing.until > now) {
      return this.s3Url(key, config, existing.reason);
    }

    this.cooldowns.set(key, { until: now + this.deps.fallbackCooldownMs, reason });
    this.deps.logger.warn(
      { key, via: 's3', reason, cooldownSeconds: Math.round(this.deps.fallbackCooldownMs / 1000) },
      'CloudFront failed a track; playing it from S3',
    );
    return this.s3Url(key, config, reason);
  }

  /** Resolves the CloudFront origin and active key pair, or returns why CloudFront cannot sign. */
  cloudFrontSetup(cloudfront: CloudFrontConfig): CloudFrontSetup | string {
    let origin: string;
    try {
      origin = cloudFrontOrigin(cloudfront.domain);
      if (cloudfront.policy === 'custom' && cloudfront.ipRange !== null) {
        normalizeCidr(cloudfront.ipRange);
      }
    } catch (error) {
      return errorMessage(error);
    }
    const load = this.keyLoader.loadActive(cloudfront.keyPairs, cloudfront.activeKeyPairId);
    return load.ok ? { origin, keyPair: load.keyPair } : load.problem;
  }

  /** Forgets the cached URL of one track. */
  forget(key: string): void {
    this.cache.delete(key);
  }

  /** Forgets cached URLs and cool-downs. */
  reset(): void {
    this.cache.clear();
    this.cooldowns.clear();
  }

  private async s3Url(
    key: string,
    config: SignerConfig,
    reason: string | null,
  ): Promise<PlayableUrl> {
    const { clock, logger, s3 } = this.deps;
    const variant = ['s3', config.bucket, config.urlLifetimeSeconds, reason ?? ''].join('\n');
    const cached = this.cache.get(key, variant, clock.now());
    if (cached !== null) {
      return cached;
    }

    // S3 signing dates have a one-second resolution, so expiry counts from the whole second.
    const issuedAt = clock.now();
    const signingDate = new Date(Math.floor(issuedAt / 1000) * 1000);
    let url: string;
    try {
      url = await presignObjectUrl(s3, config.bucket, key, config.urlLifetimeSeconds, signingDate);
    } catch (error) {
      // Presigning sends no request to S3, so it fails when credentials or the region are missing.
      const translated = this.deps.describeError(error);
      const message = translated?.message ?? errorMessage(error);
      logger.error({ key, via: 's3', error: message }, 'S3 presigning failed');
      throw (
        translated ??
        new CrateboxError('SigningFailed', `could not presign ${key}: ${message}`, {
          cause: error,
        })
      );
    }

    const expiresAt = signingDate.getTime() + config.urlLifetimeSeconds * 1000;
    const playable: PlayableUrl = {
      key,
      url,
      expiresAt: new Date(expiresAt).toISOString(),
      via: 's3',
      fallbackReason: reason,
    };
    logger.debug(
      { key, via: 's3', expiresInSeconds: config.urlLifetimeSeconds },
      'presigned S3 URL',
    );
    this.cache.set(key, variant, playable, issuedAt);
    return playable;
  }

  // Returns the signed URL, or why signing failed.
  private cloudFrontUrl(
    key: string,
    config: SignerConfig,
    cloudfront: CloudFrontConfig,
    { origin, keyPair }: CloudFrontSetup,
  ): PlayableUrl | string {
    const { clock, logger } = this.deps;
    const { policy, resource, ipRange } = cloudfront;
    const lifetime = config.urlLifetimeSeconds;
    const variant = ['cloudfront', keyPair.id, origin, policy, resource, ipRange, lifetime].join(
      '\n',
    );
    const cached = this.cache.get(key, variant, clock.now());
    if (cached !== null) {
      return cached;
    }

    const issuedAt = clock.now();
    const expiresEpochSeconds = Math.floor(issuedAt / 1000) + lifetime;
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
      const problem = `CloudFront signing failed (${errorMessage(error)})`;
      this.reportOnce('error', problem, { key, keyPairId: keyPair.id });
      return problem;
    }

    const playable: PlayableUrl = {
      key,
      url,
      expiresAt: new Date(expiresEpochSeconds * 1000).toISOString(),
      via: 'cloudfront',
      fallbackReason: null,
    };
    logger.debug(
      { key, via: 'cloudfront', keyPairId: keyPair.id, policy, expiresInSeconds: lifetime },
      'signed CloudFront URL',
    );
    this.cache.set(key, variant, playable, issuedAt);
    return playable;
  }

  // Every play repeats a configuration problem, so each distinct one is logged once.
  private reportOnce(level: 'warn' | 'error', problem: string, fields: object = {}): void {
    if (this.reportedProblems.has(problem)) {
      return;
    }
    this.reportedProblems.add(problem);
    const message =
      level === 'error' ? 'CloudFront signing failed' : 'CloudFront is unusable; playing from S3';
    this.deps.logger[level]({ ...fields, problem }, message);
  }
}

/** Returns an error's message, or the value as text when it is not an Error. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
