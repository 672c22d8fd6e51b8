/** GET /v1/plan and POST /v1/layers (canonical/pebble internals/daemon/api_plan.go). */
import { z } from 'zod';
import type { Daemon } from '../daemon.ts';
import { badRequest, LabelExistsError, PlanFormatError, serverError } from '../errors.ts';
import { syncReply, type Reply } from '../http/envelope.ts';
import { decodeJson } from '../http/request.ts';
import type { RequestContext } from '../http/router.ts';
import { parseLayer } from '../plan/layer.ts';
import { marshalPlan } from '../plan/marshal.ts';

const str = z.string().nullish().transform((v) => v ?? '');
const bool = z.boolean().nullish().transform((v) => v ?? false);
const layersSchema = z.object({ action: str, combine: bool, inner: bool, label: str, format: str, layer: str });

export function getPlan(d: Daemon, ctx: RequestContext): Reply {
  const format = ctx.query.get('format') ?? '';
  if (format !== 'yaml') throw badRequest(`invalid format ${JSON.stringify(format)}`);
  return syncReply(marshalPlan(d.plans.plan()));
}

export async function postLayers(d: Daemon, ctx: RequestContext): Promise<Reply> {
  const payload = decodeJson(await ctx.body(), 'cannot decode request body', layersSchema);
  if (payload.action !== 'add') throw badRequest(`invalid action ${JSON.stringify(payload.action)}`);
  if (payload.label === '') throw badRequest('label must be set');
  if (payload.format !== 'yaml') throw badRequest(`invalid format ${JSON.stringify(payload.format)}`);
  let layer;
  try {
    layer = parseLayer(0, payload.label, payload.layer);
  } catch (err) {
    throw badRequest(`cannot parse layer YAML: ${(err as Error).message}`);
  }
  d.logger.info({ label: payload.label, combine: payload.combine }, 'adding layer');
  try {
    if (payload.combine) d.plans.combineLayer(layer, payload.inner);
    else d.plans.appendLayer(layer, payload.inner);
  } catch (err) {
    if (err instanceof LabelExistsError || err instanceof PlanFormatError) throw badRequest(err.message);
    throw serverError((err as Error).message);
  }
  return syncReply(true);
}
