import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { charmMetaFromYaml } from '../../sandbox/juju/charm-meta.ts';
import { createHookContext, type HookContext, type HookEnv } from '../../sandbox/juju/engine/index.ts';
import { addApplication, addUnit, createModel, enterScope, type Model } from '../../sandbox/juju/model.ts';
import { createInMemoryToolRunner } from '../../sandbox/juju/runner.ts';
import { HookTools } from '../../src/juju/hook-tools.ts';

const REPO = join(import.meta.dirname, '../..');

let parsedMeta: { key: string; meta: ReturnType<typeof charmMetaFromYaml> } | undefined;

/**
 * Our charm's own metadata/config/actions, as the sandbox deploys it. Parsing the YAML is most of
 * a scenario hook's cost, so the parse is kept while the files stay the same; each caller gets its
 * own copy.
 */
export function charmMeta() {
  const read = (file: string) => readFileSync(join(REPO, file), 'utf8');
  const files = { metadata: read('metadata.yaml'), config: read('config.yaml'), actions: read('actions.yaml') };
  const key = `${files.metadata}\0${files.config}\0${files.actions}`;
  if (parsedMeta?.key !== key) parsedMeta = { key, meta: charmMetaFromYaml(files) };
  return structuredClone(parsedMeta.meta);
}

export interface Harness {
  model: Model;
  app: string;
  /** A hook for `unit`: HookTools over the sandbox engine, and the context to commit or discard. */
  hook(unit: string, env?: Omit<HookEnv, 'unit'>): { tools: HookTools; context: HookContext };
}

/**
 * A model with one application of this charm and `units` units, all in scope of the peer
 * relations: the unit-test ground for anything that talks to Juju through HookTools.
 */
export function charmHarness(options: { units?: number; app?: string; config?: Record<string, string | number | boolean> } = {}): Harness {
  const app = options.app ?? 'postgresql-k8s';
  const model = createModel({ name: 'test', uuid: '7a1e2f3c-4d5e-4f60-8a9b-0c1d2e3f4a5b' });
  addApplication(model, { name: app, charm: charmMeta(), ...(options.config ? { config: options.config } : {}) });
  const units = Array.from({ length: options.units ?? 1 }, (_, i) => addUnit(model, app, { address: `10.1.0.${10 + i}` }).name);
  for (const relation of model.relations) {
    for (const unit of units) enterScope(model, relation.id, unit);
  }
  return {
    model,
    app,
    hook(unit, env = {}) {
      const context = createHookContext(model, { unit, ...env });
      const tools = new HookTools(createInMemoryToolRunner(context), { unitName: unit, modelUuid: model.uuid });
      return { tools, context };
    },
  };
}
