import { DEFAULT_CHANGE_TIMEOUT_MS, waitChange } from './changes.ts';
import { decodeServiceInfo, list } from './decode.ts';
import { ChangeError } from './errors.ts';
import { signalName } from './format.ts';
import type { PebbleTransport } from './transport.ts';
import type { ServiceInfo } from './types.ts';

/** Services and signals (canonical/pebble internals/daemon/api_services.go, api_signals.go). */

export type ServiceActionName = 'stop' | 'restart' | 'replan';

export interface ServiceActionOptions {
  /** How long to wait for the change, in ms (default 30 s); 0 returns without waiting. */
  timeoutMs?: number;
}

export async function services(transport: PebbleTransport, names?: readonly string[]): Promise<ServiceInfo[]> {
  // One comma-joined value, as ops sends it; Pebble splits every occurrence on commas.
  const query = names === undefined || names.length === 0 ? undefined : { names: names.join(',') };
  const envelope = await transport.json('GET', '/v1/services', query === undefined ? {} : { query });
  return list(envelope.result, 'service list').map(decodeServiceInfo);
}

/**
 * Posts a service action and, unless `timeoutMs` is 0, waits for its change. Returns the change
 * id; a change that ends with `err` becomes a ChangeError (e.g. a service that exited quickly).
 */
export async function serviceAction(
  transport: PebbleTransport,
  action: ServiceActionName,
  names: readonly string[],
  options: ServiceActionOptions = {},
): Promise<string> {
  const envelope = await transport.json('POST', '/v1/services', { body: { action, services: names }, expect: 'async' });
  const changeId = envelope.change!; // an async envelope always names its change
  const timeoutMs = options.timeoutMs ?? DEFAULT_CHANGE_TIMEOUT_MS;
  if (timeoutMs === 0) return changeId;
  const change = await waitChange(transport, changeId, { timeoutMs });
  if (change.err !== undefined) throw new ChangeError(change);
  return change.id;
}

export async function sendSignal(transport: PebbleTransport, signal: string | number, names: readonly string[]): Promise<void> {
  await transport.json('POST', '/v1/signals', { body: { signal: signalName(signal), services: names } });
}
