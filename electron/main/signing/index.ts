/** Signing of playable URLs: CloudFront signed URLs first, S3 presigned URLs as fallback. */
export { createClock } from './clock';
export type { Clock, ClockOptions } from './clock';
export { createSigner, DEFAULT_FALLBACK_COOLDOWN_MS } from './signer';
export type {
  CloudFrontConfig,
  Signer,
  SignerConfig,
  SignerDeps,
  UrlRequestOptions,
} from './signer';
