import { charmMetaFromYaml } from '../../../sandbox/juju/charm-meta.ts';
import { createHookContext, type HookContext, type HookEnv } from '../../../sandbox/juju/engine/index.ts';
import { addApplication, addRelation, addUnit, createModel, enterScope, getRelation, setLeader, type Model } from '../../../sandbox/juju/model.ts';
import { createInMemoryToolRunner } from '../../../sandbox/juju/runner.ts';
import { HookTools } from '../../../src/juju/hook-tools.ts';

/**
 * A model with a requirer application and a provider application related on one interface, for
 * the partner charms' libraries: each hook is the sandbox's in-memory hook-tool engine behind a
 * real HookTools, committed when the callback returns (as a hook that exits 0).
 */
export interface TwoApps {
  model: Model;
  relationId: number;
  /** Run `body` as one hook of `unit`; its writes are committed afterwards. */
  hook<T>(unit: string, env: Omit<HookEnv, 'unit'>, body: (tools: HookTools) => Promise<T>): Promise<T>;
  /** A bag as stored (committed) in the model. */
  appBag(app: string): Record<string, string>;
  unitBag(unit: string): Record<string, string>;
}

export function twoApps(options: {
  requirer: { app: string; endpoint: string; units?: number };
  provider: { app: string; endpoint: string; units?: number };
  interfaceName: string;
}): TwoApps {
  const model = createModel({ name: 'test', uuid: '7a1e2f3c-4d5e-4f60-8a9b-0c1d2e3f4a5b' });
  const meta = (name: string, role: 'requires' | 'provides', endpoint: string) =>
    charmMetaFromYaml({ metadata: `name: ${name}\n${role}:\n  ${endpoint}:\n    interface: ${options.interfaceName}\n` });
  addApplication(model, { name: options.requirer.app, charm: meta(options.requirer.app, 'requires', options.requirer.endpoint) });
  addApplication(model, { name: options.provider.app, charm: meta(options.provider.app, 'provides', options.provider.endpoint) });
  let address = 10;
  for (const side of [options.requirer, options.provider]) {
    for (let i = 0; i < (side.units ?? 1); i++) addUnit(model, side.app, { address: `10.1.0.${address++}` });
    setLeader(model, side.app, `${side.app}/0`);
  }
  const relation = addRelation(model, `${options.requirer.app}:${options.requirer.endpoint}`, `${options.provider.app}:${options.provider.endpoint}`);
  for (const unit of Object.keys(model.units)) enterScope(model, relation.id, unit);
  return {
    model,
    relationId: relation.id,
    async hook(unit, env, body) {
      const context: HookContext = createHookContext(model, { unit, ...env });
      const tools = new HookTools(createInMemoryToolRunner(context), { unitName: unit, modelUuid: model.uuid });
      const result = await body(tools);
      context.commit();
      return result;
    },
    appBag: (app) => ({ ...getRelation(model, relation.id).appData[app] }),
    unitBag: (unit) => ({ ...getRelation(model, relation.id).unitData[unit] }),
  };
}
