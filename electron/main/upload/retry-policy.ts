/** How often and how patiently a failed upload is tried again. */
export interface RetryPolicy {
  /** Attempts per job, including the first. */
  maxAttempts: number;
  /** Upper bound of the first delay, in milliseconds; each further attempt doubles it. */
  baseDelayMs: number;
  /** Upper bound of any delay, in milliseconds. */
  maxDelayMs: number;
}

/** Retry policy used when the engine is given none. */
export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 5,
  baseDelayMs: 1_000,
  maxDelayMs: 30_000,
};

// S3 error codes for "try again later" and for bytes damaged on the way.
const RETRYABLE_CODES = new Set([
  'SlowDown',
  'ServiceUnavailable',
  'Throttling',
  'ThrottlingException',
  'RequestTimeout',
  'RequestTimeTooSkewed',
  'InternalError',
  'BadDigest',
  'TimeoutError',
]);

// Errors of Node's network stack for a connection that failed or broke.
const NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'EAI_AGAIN',
]);

/** Checks whether an S3 or network error is worth another attempt. */
export function isRetryableError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) {
    return false;
  }

  const name = 'name' in error ? String(error.name) : '';
  const code = 'code' in error ? String(error.code) : '';
  const awsCode = 'Code' in error ? String(error.Code) : '';
  if (name === 'AbortError') {
    return false;
  }
  if (RETRYABLE_CODES.has(name) || RETRYABLE_CODES.has(awsCode) || NETWORK_CODES.has(code)) {
    return true;
  }

  const status = statusOf(error);
  if (status !== null && (status >= 500 || status === 429)) {
    return true;
  }
  if (error instanceof Error && /socket hang up|premature close/i.test(error.message)) {
    return true;
  }
  return 'cause' in error && error.cause !== error && isRetryableError(error.cause);
}

/**
 * Returns the delay before attempt `attempt + 1`, in milliseconds: "full jitter" exponential
 * backoff, a uniform random value below min(maxDelayMs, baseDelayMs * 2^(attempt - 1)).
 */
export function backoffDelayMs(
  attempt: number,
  policy: RetryPolicy,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, attempt - 1));
  return Math.floor(random() * ceiling);
}

function statusOf(error: object): number | null {
  if (!('$metadata' in error) || typeof error.$metadata !== 'object' || error.$metadata === null) {
    return null;
  }
  const metadata = error.$metadata;
  return 'httpStatusCode' in metadata && typeof metadata.httpStatusCode === 'number'
    ? metadata.httpStatusCode
    : null;
}
