import { STATUS_CODES } from 'node:http';

import type { Clock } from './clock';

/** Classified result of one ranged request to a URL that failed in the player. */
export type ProbeOutcome =
  | { kind: 'ok'; status: number }
  | { kind: 'expired'; status: number }
  | { kind: 'forbidden'; status: number }
  | { kind: 'not-found'; status: number }
  | { kind: 'server-error'; status: number }
  | { kind: 'other-status'; status: number }
  | { kind: 'unreachable'; detail: string };

/** Dependencies and facts of one probe. */
export interface ProbeRequest {
  url: string;
  /** Expiry the URL carries, in epoch ms, or null when it carries none. */
  expiresAt: number | null;
  /** Name of the server in clock log lines: `cloudfront` or `s3`. */
  source: string;
  clock: Clock;
  fetch: typeof fetch;
  timeoutMs: number;
}

/** Default time a probe may take before it counts as unreachable. */
export const DEFAULT_PROBE_TIMEOUT_MS = 10_000;

/**
 * Requests the first byte of `url` (`Range: bytes=0-0`), teaches the clock from the `Date` header
 * and classifies the result. A 403 counts as expired when the URL's own expiry has passed on the
 * clock corrected by that very response.
 */
export async function probeFailedUrl(request: ProbeRequest): Promise<ProbeOutcome> {
  let response: Response;
  try {
    response = await request.fetch(request.url, {
      headers: { Range: 'bytes=0-0' },
      signal: AbortSignal.timeout(request.timeoutMs),
    });
  } catch (error) {
    return { kind: 'unreachable', detail: describeFetchError(error) };
  }

  request.clock.observeServerDate(
    response.headers.get('date'),
    request.clock.local(),
    request.source,
  );
  await response.body?.cancel();

  const status = response.status;
  if (status >= 200 && status < 300) {
    return { kind: 'ok', status };
  }
  if (status === 403) {
    const expired = request.expiresAt !== null && request.expiresAt <= request.clock.now();
    return { kind: expired ? 'expired' : 'forbidden', status };
  }
  if (status === 404) {
    return { kind: 'not-found', status };
  }
  if (status >= 500) {
    return { kind: 'server-error', status };
  }
  return { kind: 'other-status', status };
}

/** Describes a probe outcome in words, e.g. "CloudFront answered 403 Forbidden". */
export function describeProbeOutcome(server: string, outcome: ProbeOutcome): string {
  if (outcome.kind === 'unreachable') {
    return `${server} could not be reached (${outcome.detail})`;
  }
  const reason = STATUS_CODES[outcome.status] ?? 'Unknown Status';
  return `${server} answered ${outcome.status} ${reason}`;
}

// Names the cause without the URL: undici puts the reason (ECONNREFUSED, a timeout) in `cause`.
function describeFetchError(error: unknown): string {
  if (error instanceof Error && error.name === 'TimeoutError') {
    return 'timed out';
  }
  const cause = error instanceof Error ? error.cause : undefined;
  if (
    typeof cause === 'object' &&
    cause !== null &&
    'code' in cause &&
    typeof cause.code === 'string'
  ) {
    return cause.code;
  }
  return error instanceof Error ? error.name : 'request failed';
}
