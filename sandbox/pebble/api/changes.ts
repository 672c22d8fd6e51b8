/** /v1/changes endpoints (canonical/pebble internals/daemon/api_changes.go). */
import { z } from 'zod';
import type { Daemon } from '../daemon.ts';
import { ApiError, badRequest, notFound } from '../errors.ts';
import { errorReply, syncReply, type Reply } from '../http/envelope.ts';
import { decodeJson } from '../http/request.ts';
import type { RequestContext } from '../http/router.ts';
import type { Change } from '../state/change.ts';
import { formatGoDuration, parseOptionalDuration } from '../util/go-duration.ts';

const actionSchema = z.object({ action: z.string().nullish().transform((v) => v ?? '') });

function findChange(d: Daemon, id: string): Change {
  const change = d.engine.change(id);
  if (!change) throw notFound(`cannot find change with id "${id}"`);
  return change;
}

export function getChanges(d: Daemon, ctx: RequestContext): Reply {
  const select = ctx.query.get('select') || 'in-progress';
  let filter: (c: Change) => boolean;
  if (select === 'all') filter = () => true;
  else if (select === 'in-progress') filter = (c) => !c.isReady();
  else if (select === 'ready') filter = (c) => c.isReady();
  else throw badRequest('select should be one of: all,in-progress,ready');
  const wanted = ctx.query.get('for') ?? '';
  const changes = d.engine.changes().filter((c) => {
    if (!filter(c)) return false;
    if (wanted === '') return true;
    const names = c.attrs.get('service-names');
    return Array.isArray(names) && names.includes(wanted);
  });
  return syncReply(changes.map((c) => c.toJSON()));
}

export function getChange(d: Daemon, ctx: RequestContext): Reply {
  return syncReply(findChange(d, ctx.params['id'] ?? '').toJSON());
}

export async function waitChange(d: Daemon, ctx: RequestContext): Promise<Reply> {
  const change = findChange(d, ctx.params['id'] ?? '');
  let timeoutNs: number;
  try {
    timeoutNs = parseOptionalDuration(ctx.query.get('timeout'));
  } catch (err) {
    throw badRequest(`invalid timeout: ${(err as Error).message}`);
  }
  const ready = await change.waitReady(timeoutNs !== 0 ? timeoutNs / 1e6 : undefined, ctx.signal);
  if (!ready) {
    if (ctx.signal.aborted) return errorReply(500, 'request cancelled');
    return errorReply(504, `timed out waiting for change after ${formatGoDuration(timeoutNs)}`);
  }
  return syncReply(change.toJSON());
}

export async function postChange(d: Daemon, ctx: RequestContext): Promise<Reply> {
  const change = findChange(d, ctx.params['id'] ?? '');
  const payload = decodeJson(await ctx.body(), 'cannot decode data from request body', actionSchema);
  if (payload.action !== 'abort') throw badRequest(`invalid action ${JSON.stringify(payload.action)}`);
  if (change.isReady()) throw new ApiError(400, `cannot abort change ${change.id} with nothing pending`);
  d.engine.abortChange(change);
  return syncReply(change.toJSON());
}
