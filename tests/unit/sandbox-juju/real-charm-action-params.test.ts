import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { addApplication, addUnit, createModel, enqueueAction, SandboxModelError } from '../../../sandbox/juju/model.ts';
import { charmMetaFromYaml } from '../../../sandbox/juju/charm-meta.ts';

const read = (file: string) => readFileSync(new URL(`../../../${file}`, import.meta.url), 'utf8');

/** The sandbox model with this charm's own metadata.yaml, config.yaml and actions.yaml, as `juju deploy` loads them. */
function modelWithThisCharm() {
  const now = new Date('2026-01-01T00:00:00Z');
  const model = createModel({ name: 'sandbox', uuid: '11111111-2222-4333-8444-555555555555' });
  const charm = charmMetaFromYaml({ metadata: read('metadata.yaml'), config: read('config.yaml'), actions: read('actions.yaml') });
  addApplication(model, { name: 'postgresql-k8s', charm }, now);
  addUnit(model, 'postgresql-k8s', { address: '10.0.0.1' }, now);
  return { model, charm };
}

describe("the sandbox's juju run with this charm's actions.yaml", () => {
  it('refuses an unknown parameter of every action by name, before queueing it (as Juju does when additionalProperties is false)', () => {
    const { model, charm } = modelWithThisCharm();
    const names = Object.keys(charm.actions);
    expect(names.length).toBe(11);
    for (const name of names) {
      expect(() => enqueueAction(model, 'postgresql-k8s/0', name, { 'user-name': 'operator' }), name).toThrow(SandboxModelError);
      expect(() => enqueueAction(model, 'postgresql-k8s/0', name, { 'user-name': 'operator' }), name).toThrow(
        `action "${name}": additional property "user-name" is not allowed`,
      );
    }
    expect(Object.values(model.actions)).toEqual([]);
  });

  it('still queues the parameters actions.yaml declares', () => {
    const { model } = modelWithThisCharm();
    expect(enqueueAction(model, 'postgresql-k8s/0', 'set-password', { username: 'monitoring', password: 'p w' }).params).toEqual({
      username: 'monitoring',
      password: 'p w',
    });
    expect(enqueueAction(model, 'postgresql-k8s/0', 'create-replication').params).toEqual({ name: 'default' });
  });
});
