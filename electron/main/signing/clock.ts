import type { Logger } from 'pino';

/** Corrected wall clock: local time plus the offset learned from servers' `Date` headers. */
export interface Clock {
  /** Corrected time in milliseconds since the Unix epoch. */
  now(): number;
  /** Uncorrected local time in milliseconds, the reference for `observeServerDate`. */
  local(): number;
  /** Offset in milliseconds currently added to the local time. */
  offsetMs(): number;
  /**
   * Learns from a server's `Date` header read when the response arrived at `receivedAt`, a
   * reading of `local()`. Headers that cannot be parsed are ignored.
   */
  observeServerDate(
    dateHeader: string | null | undefined,
    receivedAt: number,
    source: string,
  ): void;
}

/** Options of {@link createClock}. */
export interface ClockOptions {
  logger: Logger;
  /** Local time source in milliseconds; `Date.now` when absent. */
  localNow?: () => number;
  /** Differences up to this many milliseconds are ignored; 5000 when absent. */
  toleranceMs?: number;
  /** Whether server dates change the offset; false keeps the local time uncorrected. */
  learn?: boolean;
}

/** Default tolerance: `Date` headers have a one-second resolution and requests take time. */
export const DEFAULT_CLOCK_TOLERANCE_MS = 5000;

/** Creates a clock that follows servers' time once it differs from the local one by more than the tolerance. */
export function createClock(options: ClockOptions): Clock {
  const localNow = options.localNow ?? Date.now;
  const toleranceMs = options.toleranceMs ?? DEFAULT_CLOCK_TOLERANCE_MS;
  const learn = options.learn ?? true;
  let offset = 0;

  return {
    now: () => localNow() + offset,
    local: localNow,
    offsetMs: () => offset,
    observeServerDate(dateHeader, receivedAt, source) {
      if (!learn || !dateHeader) {
        return;
      }
      const serverMs = Date.parse(dateHeader);
      if (Number.isNaN(serverMs)) {
        return;
      }

      // A Date header is truncated to the second, so the server's time lies within the next second.
      const estimatedServerMs = serverMs + 500;
      const difference = estimatedServerMs - (receivedAt + offset);
      if (Math.abs(difference) <= toleranceMs) {
        return;
      }

      const learned = estimatedServerMs - receivedAt;
      const previous = offset;
      offset = Math.abs(learned) <= toleranceMs ? 0 : learned;
      options.logger.warn(
        {
          source,
          offsetSeconds: Math.round(offset / 1000),
          previousOffsetSeconds: Math.round(previous / 1000),
        },
        'local clock differs from the server clock; signing with the server time',
      );
    },
  };
}
