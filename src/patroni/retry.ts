import { setTimeout as sleep } from 'node:timers/promises';
import { PatroniApiError, PatroniUnreachableError } from './errors.ts';

/**
 * How often and how patiently one operation is retried. Policies are plain data so each
 * operation's behaviour is visible at a glance and tests can shrink the delays.
 */
export interface RetryPolicy {
  /** Total tries including the first one (1 = no retry). */
  readonly attempts: number;
  /** Wait before the second try; later waits grow by `multiplier` up to `maxDelayMs`. */
  readonly initialDelayMs: number;
  readonly multiplier: number;
  readonly maxDelayMs: number;
  /** Whether a failure is worth another try. Final answers (4xx, TLS) must return false. */
  readonly retryOn: (error: unknown) => boolean;
}

/** The waits between tries, e.g. attempts 3, 2 s ×2 → [2000, 4000]. */
export function backoffDelays(policy: RetryPolicy): number[] {
  const delays: number[] = [];
  let delay = policy.initialDelayMs;
  for (let i = 1; i < policy.attempts; i++) {
    delays.push(Math.min(delay, policy.maxDelayMs));
    delay *= policy.multiplier;
  }
  return delays;
}

export interface RetryHooks {
  onRetry?: (info: { attempt: number; delayMs: number; error: unknown }) => void;
}

/** Run `operation` under `policy`; the last error is rethrown unchanged. */
export async function withRetry<T>(
  policy: RetryPolicy,
  operation: (attempt: number) => Promise<T>,
  hooks: RetryHooks = {},
): Promise<T> {
  const delays = backoffDelays(policy);
  for (let attempt = 1; ; attempt++) {
    try {
      return await operation(attempt);
    } catch (error) {
      const delayMs = delays[attempt - 1];
      if (delayMs === undefined || !policy.retryOn(error)) throw error;
      hooks.onRetry?.({ attempt, delayMs, error });
      await sleep(delayMs);
    }
  }
}

/** No answer, but not because of a certificate problem (retrying cannot fix TLS). */
export function isTransientUnreachable(error: unknown): boolean {
  return error instanceof PatroniUnreachableError && error.reason !== 'tls' && error.reason !== 'aborted';
}

/** The request certainly never reached Patroni, so even a non-idempotent call may be resent. */
export function isConnectionRefused(error: unknown): boolean {
  return error instanceof PatroniUnreachableError && error.reason === 'refused';
}

/** Patroni answered with a server-side failure (5xx) that may clear up on its own. */
export function isServerError(error: unknown): boolean {
  return error instanceof PatroniApiError && error.status >= 500;
}

export const NO_RETRY: RetryPolicy = {
  attempts: 1,
  initialDelayMs: 0,
  multiplier: 1,
  maxDelayMs: 0,
  retryOn: () => false,
};

/** The policies the client uses per kind of operation (see PatroniClient for which is which). */
export interface PatroniRetryPolicies {
  /** Idempotent GETs: brief waits, a hook should not stall long on a read. */
  read: RetryPolicy;
  /** PATCH /config (a merge, idempotent): the reference's 3 tries with 2..10 s exponential waits. */
  configWrite: RetryPolicy;
  /** POST /restart: 3 tries, 2..10 s, like the reference, on lost connections only. */
  action: RetryPolicy;
  /** POST /switchover: resent only when the connection was refused (never delivered). */
  switchover: RetryPolicy;
}

export const DEFAULT_RETRY_POLICIES: PatroniRetryPolicies = {
  read: {
    attempts: 3,
    initialDelayMs: 500,
    multiplier: 2,
    maxDelayMs: 2_000,
    retryOn: (error) => isTransientUnreachable(error) || isServerError(error),
  },
  configWrite: {
    attempts: 3,
    initialDelayMs: 2_000,
    multiplier: 2,
    maxDelayMs: 10_000,
    // 409: Patroni lost a compare-and-set race writing the DCS config key; the merge is safe to redo.
    retryOn: (error) =>
      isTransientUnreachable(error) || isServerError(error) || (error instanceof PatroniApiError && error.status === 409),
  },
  action: {
    attempts: 3,
    initialDelayMs: 2_000,
    multiplier: 2,
    maxDelayMs: 10_000,
    retryOn: isTransientUnreachable,
  },
  switchover: {
    attempts: 3,
    initialDelayMs: 3_000,
    multiplier: 1,
    maxDelayMs: 3_000,
    retryOn: isConnectionRefused,
  },
};
