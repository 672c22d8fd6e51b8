import { setTimeout as sleep } from 'node:timers/promises';
import { decodeChange } from './decode.ts';
import { PebbleApiError, PebbleTimeoutError } from './errors.ts';
import { formatDuration } from './format.ts';
import type { PebbleTransport } from './transport.ts';
import type { Change } from './types.ts';

/** How long service actions wait for their change unless told otherwise (ops's default). */
export const DEFAULT_CHANGE_TIMEOUT_MS = 30_000;

export interface WaitChangeOptions {
  /** Overall deadline in ms (default 30 s); `Infinity` waits for as long as it takes. */
  timeoutMs?: number;
  /** Delay between polls when the server lacks `/wait` (default 100 ms). */
  pollDelayMs?: number;
}

function changePath(id: string): string {
  return `/v1/changes/${encodeURIComponent(id)}`;
}

export async function getChange(transport: PebbleTransport, id: string): Promise<Change> {
  const envelope = await transport.json('GET', changePath(id));
  return decodeChange(envelope.result);
}

/**
 * Waits until a change is ready and returns it, whether it succeeded or not (callers decide
 * what `err` means). ops's algorithm (ops/pebble.py `Client.wait_change`): long-poll `/wait` in slices that fit inside the
 * per-request socket timeout (server timeout = socket timeout − 1 s, at least 1 s), treat 504
 * as "not yet", and fall back to polling `GET /v1/changes/{id}` when `/wait` answers 404.
 */
export async function waitChange(transport: PebbleTransport, id: string, options: WaitChangeOptions = {}): Promise<Change> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_CHANGE_TIMEOUT_MS;
  const deadline = Date.now() + timeoutMs;
  const slice = Math.max(transport.timeoutMs - 1000, 1000);
  for (;;) {
    const remaining = deadline - Date.now();
    if (remaining <= 0) throw timedOut(id, timeoutMs);
    // Never send "0.000s": Pebble reads a zero timeout as "wait forever".
    const serverTimeout = Math.max(1, Math.ceil(Math.min(remaining, slice)));
    try {
      const envelope = await transport.json('GET', `${changePath(id)}/wait`, {
        query: { timeout: formatDuration(serverTimeout) },
        timeoutMs: serverTimeout + 1000,
      });
      return decodeChange(envelope.result);
    } catch (error) {
      if (error instanceof PebbleApiError && error.status === 504) continue;
      if (error instanceof PebbleApiError && error.status === 404) {
        return pollChange(transport, id, deadline, timeoutMs, options.pollDelayMs ?? 100);
      }
      throw error;
    }
  }
}

async function pollChange(
  transport: PebbleTransport,
  id: string,
  deadline: number,
  timeoutMs: number,
  delayMs: number,
): Promise<Change> {
  for (;;) {
    const change = await getChange(transport, id);
    if (change.ready) return change;
    if (Date.now() + delayMs > deadline) throw timedOut(id, timeoutMs);
    await sleep(delayMs);
  }
}

function timedOut(id: string, timeoutMs: number): PebbleTimeoutError {
  return new PebbleTimeoutError(`timed out waiting for change ${id} (${timeoutMs} ms)`);
}
