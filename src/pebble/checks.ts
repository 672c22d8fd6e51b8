import { decodeCheckInfo, list } from './decode.ts';
import type { PebbleTransport } from './transport.ts';
import type { CheckInfo } from './types.ts';

/** Health checks and the health endpoint (protocols.md C6). */

export interface CheckFilter {
  level?: 'alive' | 'ready';
  names?: readonly string[];
}

function filterQuery(filter: CheckFilter): Record<string, string | undefined> {
  return {
    level: filter.level,
    names: filter.names === undefined || filter.names.length === 0 ? undefined : filter.names.join(','),
  };
}

export async function checks(transport: PebbleTransport, filter: CheckFilter = {}): Promise<CheckInfo[]> {
  const envelope = await transport.json('GET', '/v1/checks', { query: filterQuery(filter) });
  return list(envelope.result, 'check list').map(decodeCheckInfo);
}

/** Starts or stops checks; returns the names whose state actually changed. */
export async function checkAction(transport: PebbleTransport, action: 'start' | 'stop', names: readonly string[]): Promise<string[]> {
  const envelope = await transport.json('POST', '/v1/checks', { body: { action, checks: names } });
  const changed = (envelope.result as { changed?: unknown } | null)?.changed;
  return list(changed, 'changed checks').map(String); // very old Pebble sent null
}

/** True when no matching check is down; Pebble answers 502 (still a normal envelope) when unhealthy. */
export async function health(transport: PebbleTransport, filter: CheckFilter = {}): Promise<boolean> {
  const envelope = await transport.json('GET', '/v1/health', { query: filterQuery(filter), acceptStatuses: [502] });
  return (envelope.result as { healthy?: unknown } | null)?.healthy === true;
}
