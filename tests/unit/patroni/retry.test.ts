import { describe, expect, it } from 'vitest';
import {
  backoffDelays,
  DEFAULT_RETRY_POLICIES,
  isConnectionRefused,
  isServerError,
  isTransientUnreachable,
  PatroniApiError,
  PatroniAuthError,
  PatroniUnreachableError,
  withRetry,
  type RetryPolicy,
} from '../../../src/patroni/index.ts';

const refused = () => new PatroniUnreachableError('http://x:8008/cluster', 'refused');

describe('backoffDelays', () => {
  it('grows by the multiplier and is capped', () => {
    expect(backoffDelays({ ...DEFAULT_RETRY_POLICIES.action })).toEqual([2_000, 4_000]);
    expect(backoffDelays({ ...DEFAULT_RETRY_POLICIES.action, attempts: 5 })).toEqual([2_000, 4_000, 8_000, 10_000]);
    expect(backoffDelays({ ...DEFAULT_RETRY_POLICIES.read, attempts: 1 })).toEqual([]);
  });
});

describe('withRetry', () => {
  const fast: RetryPolicy = { attempts: 3, initialDelayMs: 20, multiplier: 2, maxDelayMs: 1_000, retryOn: isTransientUnreachable };

  it('retries retryable failures and returns the first success', async () => {
    let calls = 0;
    const retries: number[] = [];
    const result = await withRetry(
      fast,
      async (attempt) => {
        calls++;
        if (attempt < 3) throw refused();
        return 'ok';
      },
      { onRetry: (info) => retries.push(info.delayMs) },
    );
    expect(result).toBe('ok');
    expect(calls).toBe(3);
    expect(retries).toEqual([20, 40]);
  });

  it('rethrows the last error once attempts run out, after waiting between tries', async () => {
    let calls = 0;
    const started = Date.now();
    const last = refused();
    await expect(
      withRetry(fast, async () => {
        calls++;
        throw calls === 3 ? last : refused();
      }),
    ).rejects.toBe(last);
    expect(calls).toBe(3);
    expect(Date.now() - started).toBeGreaterThanOrEqual(55);
  });

  it('does not retry a final answer', async () => {
    let calls = 0;
    const auth = new PatroniAuthError('http://x:8008/reload', 'no auth header received');
    await expect(
      withRetry({ ...fast, retryOn: (e) => isTransientUnreachable(e) || isServerError(e) }, async () => {
        calls++;
        throw auth;
      }),
    ).rejects.toBe(auth);
    expect(calls).toBe(1);
  });
});

describe('retry predicates', () => {
  it('never retries TLS failures or cancelled requests', () => {
    expect(isTransientUnreachable(new PatroniUnreachableError('u', 'tls'))).toBe(false);
    expect(isTransientUnreachable(new PatroniUnreachableError('u', 'aborted'))).toBe(false);
    expect(isTransientUnreachable(new PatroniUnreachableError('u', 'timeout'))).toBe(true);
    expect(isTransientUnreachable(new Error('boom'))).toBe(false);
  });

  it('resends switchovers only when the connection was refused', () => {
    const policy = DEFAULT_RETRY_POLICIES.switchover;
    expect(policy.retryOn(refused())).toBe(true);
    expect(isConnectionRefused(new PatroniUnreachableError('u', 'timeout'))).toBe(false);
    expect(policy.retryOn(new PatroniUnreachableError('u', 'timeout'))).toBe(false);
    expect(policy.retryOn(new PatroniApiError('u', 503, 'Switchover failed'))).toBe(false);
  });

  it('treats 5xx as transient for reads and config writes but not 4xx', () => {
    const { read, configWrite } = DEFAULT_RETRY_POLICIES;
    expect(read.retryOn(new PatroniApiError('u', 502, ''))).toBe(true);
    expect(read.retryOn(new PatroniApiError('u', 404, ''))).toBe(false);
    expect(read.retryOn(new PatroniAuthError('u', ''))).toBe(false);
    expect(configWrite.retryOn(new PatroniApiError('u', 409, ''))).toBe(true);
    expect(configWrite.retryOn(new PatroniApiError('u', 400, ''))).toBe(false);
  });
});
