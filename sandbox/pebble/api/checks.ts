/**
 * /v1/checks, /v1/checks/refresh and /v1/health (canonical/pebble internals/daemon/api_checks.go,
 * api_health.go).
 */
import { z } from 'zod';
import type { Daemon } from '../daemon.ts';
import { badRequest, notFound } from '../errors.ts';
import { syncReply, type Reply } from '../http/envelope.ts';
import { commaList, decodeJson } from '../http/request.ts';
import type { RequestContext } from '../http/router.ts';

const checksSchema = z.object({
  action: z.string().nullish().transform((v) => v ?? ''),
  checks: z.array(z.string()).nullish().transform((v) => v ?? []),
});
const refreshSchema = z.object({ name: z.string().nullish().transform((v) => v ?? '') });

function levelParam(ctx: RequestContext): string {
  const level = ctx.query.get('level') ?? '';
  if (!['', 'alive', 'ready'].includes(level)) throw badRequest('level must be "alive" or "ready"');
  return level;
}

export function getChecks(d: Daemon, ctx: RequestContext): Reply {
  const level = levelParam(ctx);
  const names = commaList(ctx.query, 'names');
  return syncReply(
    d.checks.infos().filter((c) => (level === '' || c.level === level) && (names.length === 0 || names.includes(c.name))),
  );
}

export async function postChecks(d: Daemon, ctx: RequestContext): Promise<Reply> {
  const payload = decodeJson(await ctx.body(), 'cannot decode data from request body', checksSchema);
  if (payload.checks.length === 0) throw badRequest(`must specify checks for ${payload.action} action`);
  let changed: string[];
  if (payload.action === 'start') changed = d.checks.startChecks(payload.checks);
  else if (payload.action === 'stop') changed = d.checks.stopChecks(payload.checks);
  else throw badRequest(`invalid action ${JSON.stringify(payload.action)}`);
  return syncReply({ changed });
}

export async function postChecksRefresh(d: Daemon, ctx: RequestContext): Promise<Reply> {
  const payload = decodeJson(await ctx.body(), 'cannot decode data from request body', refreshSchema);
  if (payload.name === '') throw badRequest('must specify check name');
  if (!d.plans.plan().checks[payload.name]) throw notFound(`cannot find check with name ${JSON.stringify(payload.name)}`);
  const { info, error } = await d.checks.refresh(payload.name, ctx.signal);
  const result: Record<string, unknown> = { info: info ?? { name: payload.name } };
  if (error) result['error'] = error;
  return syncReply(result);
}

/** Open access; 502 (still a sync envelope) when a matching check is down. */
export function getHealth(d: Daemon, ctx: RequestContext): Reply {
  const level = levelParam(ctx);
  const names = commaList(ctx.query, 'names');
  let healthy = true;
  for (const check of d.checks.infos()) {
    const levelMatch = level === '' || level === check.level || (level === 'ready' && check.level === 'alive');
    const nameMatch = names.length === 0 || names.includes(check.name);
    if (levelMatch && nameMatch && check.status === 'down') healthy = false;
  }
  return syncReply({ healthy }, healthy ? 200 : 502);
}
