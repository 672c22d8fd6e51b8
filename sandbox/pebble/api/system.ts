/** System info, exec start, and the plain-GET fallback of the task websocket path. */
import type { Daemon } from '../daemon.ts';
import { PEBBLE_VERSION } from '../daemon.ts';
import { asyncReply, syncReply, type Reply } from '../http/envelope.ts';
import { decodeJson } from '../http/request.ts';
import type { RequestContext } from '../http/router.ts';
import { execPayloadSchema } from '../exec/setup.ts';

export function getSystemInfo(d: Daemon): Reply {
  return syncReply({ 'boot-id': d.bootId, version: PEBBLE_VERSION });
}

export async function postExec(d: Daemon, ctx: RequestContext): Promise<Reply> {
  const payload = decodeJson(await ctx.body(), 'cannot decode request body', execPayloadSchema);
  const started = d.execs.start(payload, d.plans.plan());
  return asyncReply(started.changeId, started.result);
}

export function getTaskWebsocket(d: Daemon, ctx: RequestContext): Reply {
  throw d.execs.notUpgrade(ctx.params['task-id'] ?? '', ctx.params['websocket-id'] ?? '');
}

export function getIdentities(): Reply {
  // Identities are not modelled: every local connection is admin (see http/router.ts).
  return syncReply({});
}
