import type { PlayableUrl } from '../../../shared/contract';

/** Share of a URL's lifetime left at which the cache signs a new one. */
export const REFRESH_FRACTION = 0.1;

/** Minimum time left, in milliseconds, below which the cache signs a new URL. */
export const MIN_REFRESH_MARGIN_MS = 60_000;

/** Default number of tracks whose URLs are kept. */
export const DEFAULT_CACHE_ENTRIES = 5000;

interface Entry {
  /** Delivery path, key pair and settings the URL was signed with. */
  variant: string;
  url: PlayableUrl;
  issuedAt: number;
  expiresAt: number;
}

/**
 * Returns how long before expiry a URL stops being reused: the larger of 10% of its lifetime and
 * 60 s, so a track started on a reused URL has time to play before the URL expires.
 */
export function refreshMarginMs(lifetimeMs: number): number {
  return Math.max(lifetimeMs * REFRESH_FRACTION, MIN_REFRESH_MARGIN_MS);
}

/**
 * Signed URLs by track key, least recently used evicted first. An entry is returned only for the
 * same variant (path, active key pair id and settings) and while enough of its lifetime is left.
 */
export class PlayableUrlCache {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly maxEntries: number = DEFAULT_CACHE_ENTRIES) {}

  /** Returns the cached URL of `key` for `variant`, or null when absent or close to expiry. */
  get(key: string, variant: string, now: number): PlayableUrl | null {
    const entry = this.entries.get(key);
    if (entry === undefined || entry.variant !== variant) {
      return null;
    }
    const margin = refreshMarginMs(entry.expiresAt - entry.issuedAt);
    if (entry.expiresAt - now < margin) {
      return null;
    }

    this.entries.delete(key);
    this.entries.set(key, entry);
    return entry.url;
  }

  /** Stores a URL signed at `issuedAt`. */
  set(key: string, variant: string, url: PlayableUrl, issuedAt: number): void {
    if (this.maxEntries <= 0) {
      return;
    }
    this.entries.delete(key);
    this.entries.set(key, { variant, url, issuedAt, expiresAt: Date.parse(url.expiresAt) });

    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (oldest.done === true) {
        break;
      }
      this.entries.delete(oldest.value);
    }
  }

  /** Forgets the URL of one track key. */
  delete(key: string): void {
    this.entries.delete(key);
  }

  /** Forgets every URL. */
  clear(): void {
    this.entries.clear();
  }

  /** Number of tracks with a cached URL. */
  get size(): number {
    return this.entries.size;
  }
}
