/**
 * /v1/notices (canonical/pebble internals/daemon/api_notices.go). Every connection counts as admin
 * (see http/router.ts); its UID — which Node cannot read from the socket — is taken to be this
 * process's own.
 */
import { z } from 'zod';
import type { Daemon } from '../daemon.ts';
import { badRequest, notFound } from '../errors.ts';
import { syncReply, type Reply } from '../http/envelope.ts';
import { commaList, decodeJson } from '../http/request.ts';
import type { RequestContext } from '../http/router.ts';
import { NOTICE_TYPES, noticeToJson, type NoticeFilter, type NoticeType } from '../state/notices.ts';
import { parseOptionalDuration } from '../util/go-duration.ts';
import { parseRfc3339 } from '../util/go-time.ts';

const KEY_PATTERN = /^[a-z0-9]+(-[a-z0-9]+)*(\.[a-z0-9]+(-[a-z0-9]+)*)+(\/[a-z0-9]+(-[a-z0-9]+)*)+$/;
const MAX_KEY_LENGTH = 256;
const MAX_DATA_SIZE = 4096;

const callerUid = (): number => process.getuid?.() ?? 0;

const str = z.string().nullish().transform((v) => v ?? '');
const addSchema = z.object({ action: str, type: str, key: str, 'repeat-after': str, data: z.unknown().optional() });

export function getNotices(d: Daemon, ctx: RequestContext): Promise<Reply> | Reply {
  const q = ctx.query;
  let userId: number | undefined = callerUid();
  if (q.getAll('user-id').length > 0) {
    const ids = commaList(q, 'user-id');
    if (ids.length !== 1) throw badRequest('invalid "user-id" filter: must only include one "user-id"');
    const n = Number(ids[0]);
    if (!/^-?\d+$/.test(ids[0] as string)) throw badRequest(`invalid "user-id" filter: strconv.ParseInt: parsing ${JSON.stringify(ids[0])}: invalid syntax`);
    if (n < 0 || n > 0xffffffff) throw badRequest(`invalid "user-id" filter: user ID is not a valid uint32: ${n}`);
    userId = n;
  }
  if (q.getAll('users').length > 0) {
    if (q.getAll('user-id').length > 0) throw badRequest('cannot use both "users" and "user-id" parameters');
    if (q.get('users') !== 'all') throw badRequest('invalid "users" filter: must be "all"');
    userId = undefined;
  }
  const requestedTypes = commaList(q, 'types');
  const types = [...new Set(requestedTypes.filter((t): t is NoticeType => (NOTICE_TYPES as readonly string[]).includes(t)))];
  if (requestedTypes.length > 0 && types.length === 0) return syncReply([]);
  let after: bigint | undefined;
  const afterText = q.get('after') ?? '';
  if (afterText !== '') {
    try {
      after = parseRfc3339(afterText);
    } catch (err) {
      throw badRequest(`invalid "after" timestamp: ${(err as Error).message}`);
    }
  }
  let timeoutNs: number;
  try {
    timeoutNs = parseOptionalDuration(q.get('timeout'));
  } catch (err) {
    throw badRequest(`invalid timeout: ${(err as Error).message}`);
  }
  const filter: NoticeFilter = { userId, types, keys: commaList(q, 'keys'), after };
  if (timeoutNs === 0) return syncReply(d.notices.list(filter).map(noticeToJson));
  return d.notices.wait(filter, timeoutNs / 1e6, ctx.signal).then((notices) => {
    if (ctx.signal.aborted) throw badRequest('request canceled');
    return syncReply(notices.map(noticeToJson));
  });
}

export async function postNotices(d: Daemon, ctx: RequestContext): Promise<Reply> {
  const body = await ctx.body();
  const payload = decodeJson(body, 'cannot decode request body', addSchema);
  if (payload.action !== 'add') throw badRequest(`invalid action ${JSON.stringify(payload.action)}`);
  if (payload.type !== 'custom') throw badRequest(`invalid type ${JSON.stringify(payload.type)} (can only add "custom" notices)`);
  if (!KEY_PATTERN.test(payload.key)) throw badRequest(`invalid key ${JSON.stringify(payload.key)} (must be in "example.com/path" format)`);
  if (Buffer.byteLength(payload.key) > MAX_KEY_LENGTH) throw badRequest(`key must be ${MAX_KEY_LENGTH} bytes or less`);
  let repeatAfterNs: number;
  try {
    repeatAfterNs = parseOptionalDuration(payload['repeat-after']);
  } catch (err) {
    throw badRequest(`invalid repeat-after: ${(err as Error).message}`);
  }
  let data: Record<string, string> | undefined;
  if (payload.data !== undefined && payload.data !== null) {
    if (Buffer.byteLength(JSON.stringify(payload.data)) > MAX_DATA_SIZE) {
      throw badRequest(`total size of data must be ${MAX_DATA_SIZE} bytes or less`);
    }
    const parsed = z.record(z.string(), z.string()).safeParse(payload.data);
    if (!parsed.success) throw badRequest('cannot decode notice data: json: cannot unmarshal value into Go value of type string');
    data = parsed.data;
  }
  const id = d.notices.add(callerUid(), 'custom', payload.key, { data, repeatAfterNs });
  return syncReply({ id });
}

export function getNotice(d: Daemon, ctx: RequestContext): Reply {
  const id = ctx.params['id'] ?? '';
  const notice = d.notices.get(id);
  if (!notice) throw notFound(`cannot find notice with ID ${JSON.stringify(id)}`);
  return syncReply(noticeToJson(notice));
}
