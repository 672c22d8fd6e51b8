import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Controller } from '../../../sandbox/controller/controller.ts';
import { readDebugLog } from '../../../sandbox/controller/debug-log.ts';
import { nextEvent, TestBed } from './test-charm.ts';

let bed: TestBed;
let controller: Controller | undefined;

beforeEach(async () => {
  bed = await TestBed.create();
});

afterEach(async () => {
  await controller?.stop();
  controller = undefined;
  await bed.cleanup();
});

describe('deploy', () => {
  it('runs Juju’s startup sequence on each unit, then joins the peers both ways', async () => {
    controller = await bed.open({ modelName: 'welcome' });
    expect(await bed.deploy(controller, 'a', 2)).toEqual(['a/0', 'a/1']);
    await controller.settled({ timeoutMs: 20_000 });

    // pebble-ready comes whenever the Pebble answers once install has run: it is no barrier.
    const withoutPebble = async (unit: string) => {
      const sequence = await bed.sequence(unit);
      expect(sequence.filter((h) => h === 'workload-pebble-ready')).toHaveLength(1);
      expect(sequence.indexOf('workload-pebble-ready')).toBeGreaterThan(sequence.indexOf('install'));
      return sequence.filter((h) => h !== 'workload-pebble-ready');
    };
    expect(await withoutPebble('a/0')).toEqual([
      'data-storage-attached',
      'install',
      'replicas-relation-created',
      'leader-elected',
      'config-changed',
      'start',
      'replicas-relation-joined(a/1)',
      'replicas-relation-changed(a/1)',
    ]);
    expect(await withoutPebble('a/1')).toEqual([
      'data-storage-attached',
      'install',
      'replicas-relation-created',
      'leader-settings-changed',
      'config-changed',
      'start',
      'replicas-relation-joined(a/0)',
      'replicas-relation-changed(a/0)',
    ]);

    const log0 = await bed.log('a/0');
    expect(log0.leader).toEqual(['True']);
    const byHook = Object.fromEntries(log0.hooks.map((h) => [h.hook, h]));
    const toolsDir = path.join(bed.stateDir, 'tools');
    const unitCharmDir = path.join(bed.stateDir, 'agents', 'unit-a-0', 'charm'); // the unit's own copy
    for (const h of log0.hooks) {
      expect(h).toMatchObject({ path: `hooks/${h.hook}`, model: 'welcome', cwd: unitCharmDir, charmDir: unitCharmDir, firstPath: toolsDir });
      expect(h.version).toMatch(/^3\.6\.\d+$/);
    }
    expect(byHook['data-storage-attached']).toMatchObject({ storage: 'data/0', relation: '' });
    expect(byHook['replicas-relation-created']).toMatchObject({ relation: 'replicas', relationId: 'replicas:0', remoteApp: 'a', remoteUnit: '' });
    expect(byHook['replicas-relation-joined']).toMatchObject({ relationId: 'replicas:0', remoteUnit: 'a/1', remoteApp: 'a' });
    expect(byHook['workload-pebble-ready']).toMatchObject({ workload: 'workload' });
    expect((await bed.log('a/1')).hooks[0]).toMatchObject({ storage: 'data/1' });

    const status = controller.status();
    expect(status.model.units['a/0']).toMatchObject({ agentStatus: { status: 'idle' }, workloadStatus: { status: 'active', message: 'started' } });
    expect(status.model.relations[0]?.scope.sort()).toEqual(['a/0', 'a/1']);
    expect(status.units['a/1']).toMatchObject({ phase: 'ready', queue: [], running: null });
  });

  it('makes whichever unit claims first the leader, not always unit 0 (seeded here)', async () => {
    controller = await bed.open({ leaderSeed: '0' }); // a/1 of [a/0, a/1]
    await bed.deploy(controller, 'a', 2);
    await controller.settled({ timeoutMs: 20_000 });
    expect(controller.status().model.applications['a']?.leader).toBe('a/1');
    expect(await bed.sequence('a/1')).toContain('leader-elected');
    expect(await bed.sequence('a/0')).toContain('leader-settings-changed');
    expect(await bed.sequence('a/0')).not.toContain('leader-elected');
    expect((await bed.log('a/1')).leader).toEqual(['True']);
  });

  it('files each dispatch’s output in the unit’s debug log', async () => {
    controller = await bed.open();
    await bed.deploy(controller, 'a');
    await controller.settled({ timeoutMs: 20_000 });
    await bed.failHook('a/0', 'config-changed');
    controller.setConfig('a', { greeting: 'hi' });
    await nextEvent(controller, (e) => e.unit === 'a/0' && e.type === 'failed' && e.hook === 'config-changed');
    await controller.debugLog.flush();
    const entries = await readDebugLog(path.join(bed.stateDir, 'logs'), 'a/0');
    expect(entries).toContainEqual(expect.objectContaining({ unit: 'a/0', hook: 'config-changed', stream: 'stderr', line: 'failing on purpose' }));
    await bed.failHook('a/0', 'config-changed', false);
    await controller.settled({ timeoutMs: 20_000 });
  });
});

describe('relations', () => {
  it('relate fires created/joined/changed on both sides, and relation-set fires relation-changed remotely', async () => {
    controller = await bed.open();
    await bed.deploy(controller, 'a');
    await bed.deploy(controller, 'b');
    await controller.settled({ timeoutMs: 20_000 });

    const id = controller.relate('a:db', 'b:backend');
    await controller.settled({ timeoutMs: 20_000 });
    const a0 = (await bed.sequence('a/0')).filter((h) => h.startsWith('db-'));
    const b0 = (await bed.sequence('b/0')).filter((h) => h.startsWith('backend-'));
    expect(a0).toEqual(['db-relation-created', 'db-relation-joined(b/0)', 'db-relation-changed(b/0)']);
    expect(b0[0]).toBe('backend-relation-created');
    expect(b0[1]).toBe('backend-relation-joined(a/0)');
    expect(b0.slice(2).every((h) => h === 'backend-relation-changed(a/0)')).toBe(true);
    const created = (await bed.log('b/0')).hooks.find((h) => h.hook === 'backend-relation-created');
    expect(created).toMatchObject({ relation: 'backend', relationId: `backend:${id}`, remoteApp: 'a', remoteUnit: '' });
    // Whatever b/0 read last is what a/0 committed in its joined hook.
    expect((await bed.log('b/0')).seen.at(-1)).toBe('hello from a/0');

    const before = (await bed.sequence('b/0')).length;
    const action = await controller.runAction('a/0', 'set-greeting', { value: 'changed!' });
    expect(action.status).toBe('completed');
    await controller.settled({ timeoutMs: 20_000 });
    expect((await bed.sequence('b/0')).slice(before)).toEqual(['backend-relation-changed(a/0)']);
    expect((await bed.log('b/0')).seen.at(-1)).toBe('changed!');
    // a/0 wrote its own bucket: it does not hear about its own change.
    expect((await bed.sequence('a/0')).slice(-2)).toEqual(['db-relation-changed(b/0)', 'actions/set-greeting']);
  });

  it('remove-relation fires departed on each side, then broken, and the relation leaves the model', async () => {
    controller = await bed.open();
    await bed.deploy(controller, 'a');
    await bed.deploy(controller, 'b');
    const id = controller.relate('a:db', 'b:backend');
    await controller.settled({ timeoutMs: 20_000 });
    const before = { a: (await bed.sequence('a/0')).length, b: (await bed.sequence('b/0')).length };

    controller.removeRelation(['b:backend', 'a']);
    await controller.settled({ timeoutMs: 20_000 });
    expect((await bed.sequence('a/0')).slice(before.a)).toEqual(['db-relation-departed(b/0)', 'db-relation-broken']);
    expect((await bed.sequence('b/0')).slice(before.b)).toEqual(['backend-relation-departed(a/0)', 'backend-relation-broken']);
    const departed = (await bed.log('a/0')).hooks.find((h) => h.hook === 'db-relation-departed');
    expect(departed).toMatchObject({ departingUnit: 'b/0', relationId: `db:${id}` });
    const broken = (await bed.log('a/0')).hooks.find((h) => h.hook === 'db-relation-broken');
    expect(broken).toMatchObject({ remoteUnit: '', remoteApp: 'b' });
    expect(controller.status().model.relations.map((r) => r.id)).not.toContain(id);
  });
});
