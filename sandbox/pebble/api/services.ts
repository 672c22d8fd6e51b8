/**
 * /v1/services and /v1/signals (canonical/pebble internals/daemon/api_services.go, api_signals.go).
 */
import { z } from 'zod';
import type { Daemon } from '../daemon.ts';
import { ApiError, badRequest, PebbleError, serverError } from '../errors.ts';
import { asyncReply, syncReply, type Reply } from '../http/envelope.ts';
import { commaList, decodeJson } from '../http/request.ts';
import type { RequestContext } from '../http/router.ts';
import type { Task } from '../state/change.ts';

const stringList = z.array(z.string()).nullish().transform((v) => v ?? []);
const servicesSchema = z.object({ action: z.string().nullish().transform((v) => v ?? ''), services: stringList });
const signalsSchema = z.object({ signal: z.string().nullish().transform((v) => v ?? ''), services: stringList });

export function getServices(d: Daemon, ctx: RequestContext): Reply {
  return syncReply(d.services.infos(commaList(ctx.query, 'names')));
}

const title = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);

function planTasks(d: Daemon, action: string, names: string[]): { tasks: Task[]; lanes: string[][]; summaryNames?: string[] } {
  const svc = d.services;
  switch (action) {
    case 'start':
    case 'autostart': {
      const lanes = svc.startOrder(names);
      return { tasks: svc.startTasks(lanes), lanes };
    }
    case 'stop': {
      const lanes = svc.stopOrder(names);
      return { tasks: svc.stopTasks(lanes), lanes };
    }
    case 'restart': {
      // Stop only the named services (in stop order), then start them and their requirements.
      const stopLanes = svc
        .stopOrder(names)
        .map((lane) => lane.filter((n) => names.includes(n)))
        .filter((lane) => lane.length > 0);
      const stopTasks = svc.stopTasks(stopLanes);
      const lanes = svc.startOrder(names);
      const startTasks = svc.startTasks(lanes);
      for (const start of startTasks) for (const stop of stopTasks) start.waitFor(stop);
      return { tasks: [...stopTasks, ...startTasks], lanes };
    }
    default: {
      const { stopLanes, startLanes } = svc.replan();
      const stopTasks = svc.stopTasks(stopLanes);
      const startTasks = svc.startTasks(startLanes);
      for (const start of startTasks) for (const stop of stopTasks) start.waitFor(stop);
      d.checks.replan();
      const summaryNames = [...new Set([...stopLanes.flat(), ...startLanes.flat()])].sort();
      return { tasks: [...stopTasks, ...startTasks], lanes: [], summaryNames };
    }
  }
}

export async function postServices(d: Daemon, ctx: RequestContext): Promise<Reply> {
  const payload = decodeJson(await ctx.body(), 'cannot decode data from request body', servicesSchema);
  const action = payload.action;
  let names = payload.services;
  if (action === 'replan' || action === 'autostart') {
    if (names.length !== 0) throw badRequest(`${action} accepts no service names`);
    if (action === 'autostart') {
      names = d.services.defaultServiceNames();
      if (names.length === 0) throw new ApiError(400, 'no default services', { kind: 'no-default-services' });
    }
  } else if (!['start', 'stop', 'restart'].includes(action)) {
    if (names.length === 0) throw badRequest(`must specify services for ${action} action`);
    throw badRequest(`invalid action ${JSON.stringify(action)}`);
  } else if (names.length === 0) {
    throw badRequest(`must specify services for ${action} action`);
  }

  let planned: ReturnType<typeof planTasks>;
  try {
    planned = planTasks(d, action, names);
  } catch (err) {
    if (err instanceof PebbleError) throw badRequest(`cannot ${action} services: ${err.message}`);
    throw err;
  }
  const summaryNames = planned.summaryNames ?? names;
  const count = planned.summaryNames ? planned.summaryNames.length : planned.lanes.flat().length;
  if (planned.tasks.length === 0) {
    const change = d.engine.newFinishedChange(action, `${title(action)} - no services`, 'Done');
    return asyncReply(change.id);
  }
  const first = JSON.stringify(summaryNames[0]);
  const summary = count === 1 ? `${title(action)} service ${first}` : `${title(action)} service ${first} and ${count - 1} more`;
  const change = d.engine.newChange(action, summary, planned.tasks);
  if (summaryNames.length > 0) change.attrs.set('service-names', summaryNames);
  return asyncReply(change.id);
}

export function notImplemented(): Reply {
  throw badRequest('not implemented');
}

export async function postSignals(d: Daemon, ctx: RequestContext): Promise<Reply> {
  const payload = decodeJson(await ctx.body(), 'cannot decode request body', signalsSchema);
  if (payload.services.length === 0) throw badRequest('must specify one or more services');
  try {
    d.services.sendSignal(payload.services, payload.signal);
  } catch (err) {
    throw serverError((err as Error).message);
  }
  return syncReply(true);
}
