import { decodeNotice, list } from './decode.ts';
import { PebbleProtocolError } from './errors.ts';
import { formatDuration } from './format.ts';
import type { Query, PebbleTransport } from './transport.ts';
import type { Notice } from './types.ts';

/** Notices (protocols.md C7). */

export interface NoticeFilter {
  types?: readonly string[];
  keys?: readonly string[];
  /** Notices of this user (admin only); not together with `users`. */
  userId?: number;
  /** `all` = every user's notices (admin only). */
  users?: 'all';
  /** Only notices repeated strictly after this time. */
  after?: Date | string;
  /** Long-poll up to this many ms for a matching notice. */
  timeoutMs?: number;
}

export interface NotifyOptions {
  data?: Record<string, string>;
  /** Don't bump `last-repeated` again until this many ms have passed. */
  repeatAfterMs?: number;
}

export async function notices(transport: PebbleTransport, filter: NoticeFilter = {}): Promise<Notice[]> {
  const query: Query = {
    types: filter.types?.join(','),
    keys: filter.keys?.join(','),
    'user-id': filter.userId,
    users: filter.users,
    after: filter.after instanceof Date ? filter.after.toISOString() : filter.after,
    timeout: filter.timeoutMs === undefined ? undefined : formatDuration(filter.timeoutMs),
  };
  // A long poll must not trip the per-request socket timeout.
  const timeoutMs = filter.timeoutMs === undefined ? undefined : filter.timeoutMs + transport.timeoutMs;
  const envelope = await transport.json('GET', '/v1/notices', { query, ...(timeoutMs === undefined ? {} : { timeoutMs }) });
  return list(envelope.result, 'notice list').map(decodeNotice);
}

export async function notice(transport: PebbleTransport, id: string): Promise<Notice> {
  const envelope = await transport.json('GET', `/v1/notices/${encodeURIComponent(id)}`);
  return decodeNotice(envelope.result);
}

/** Records a custom notice (or a repeat of one); returns its id. */
export async function notify(transport: PebbleTransport, type: string, key: string, options: NotifyOptions = {}): Promise<string> {
  const body: Record<string, unknown> = { action: 'add', type, key };
  if (options.data !== undefined) body['data'] = options.data;
  if (options.repeatAfterMs !== undefined) body['repeat-after'] = formatDuration(options.repeatAfterMs);
  const envelope = await transport.json('POST', '/v1/notices', { body });
  const id = (envelope.result as { id?: unknown } | null)?.id;
  if (typeof id !== 'string') throw new PebbleProtocolError('Pebble answered notify without a notice id');
  return id;
}
