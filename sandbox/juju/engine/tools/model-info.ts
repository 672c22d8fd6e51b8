import { compareUnitNames } from '../../model/names.ts';
import { localEndpoint, remoteApplication } from '../../model/topology.ts';
import type { HookTool } from '../command.ts';
import { HookToolRunError, HookToolUsageError } from '../errors.ts';
import { checkEmpty } from '../flags.ts';

/** goal-state, resource-get and credential-get: what the model says about the unit's world. */

/** common.FormatTime(t, true): UTC as `2006-01-02 15:04:05Z`. */
function formatSince(iso: string): string {
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}Z`;
}

export const goalState: HookTool = {
  name: 'goal-state',
  formats: ['yaml', 'json'],
  run(inv) {
    checkEmpty(inv.args);
    const { ctx } = inv;
    const { model } = ctx;
    // Juju 3.6's UniterAPI.goalStateUnits (apiserver/facades/agent/uniter/uniter.go): each
    // unit's workload status and its since, "dying" for a dying unit.
    const unitGoal = (name: string) => {
      const unit = model.units[name]!;
      return { status: unit.life === 'dying' ? 'dying' : unit.workloadStatus.status, since: formatSince(unit.workloadStatus.since) };
    };
    const unitsOf = (app: string) => Object.keys(model.units).filter((u) => model.units[u]!.app === app).sort(compareUnitNames);
    const units = Object.fromEntries(unitsOf(ctx.unit.app).map((u) => [u, unitGoal(u)]));
    const relations: Record<string, Record<string, unknown>> = {};
    for (const relation of ctx.relations()) {
      if (relation.endpoints.length === 1) continue; // peers show up under `units`
      const endpoint = localEndpoint(relation, ctx.unit.app)!.name;
      const remote = remoteApplication(relation, ctx.unit.app);
      const entry = (relations[endpoint] ??= {});
      // goalStateRelations: under the local endpoint, the remote application with the relation's
      // status (joining until a unit joins, then joined) and its since, then the remote units.
      const status = relation.life === 'dying' ? 'dying' : relation.joinedAt === null ? 'joining' : 'joined';
      entry[remote] = { status, since: formatSince(relation.joinedAt ?? relation.createdAt) };
      for (const unit of unitsOf(remote)) entry[unit] = unitGoal(unit);
    }
    inv.write({ units, relations });
  },
};

export const resourceGet: HookTool = {
  name: 'resource-get',
  run(inv) {
    const [name, ...rest] = inv.args;
    if (name === undefined) throw new HookToolUsageError('missing required resource name');
    checkEmpty(rest);
    // The sandbox stores no resource files; OCI images are the Pebble side's business.
    throw new HookToolRunError(`could not download resource: resource#${inv.ctx.unit.app}/${name} not found`);
  },
};

export const credentialGet: HookTool = {
  name: 'credential-get',
  formats: ['smart', 'yaml', 'json'],
  run(inv) {
    checkEmpty(inv.args);
    throw new HookToolRunError(`credential-get on a ${JSON.stringify(inv.ctx.model.type)} model not supported`);
  },
};
