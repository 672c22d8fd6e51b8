import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Controller } from '../../../sandbox/controller/controller.ts';
import { ControllerStateSchema } from '../../../sandbox/controller/controller-state.ts';
import { FakeProbe, nextEvent, TestBed, waitFor } from './test-charm.ts';

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

describe('remove-unit', () => {
  it('detaches storage, departs the peers last without breaking the peer relation, then stop and remove; a new leader is elected', async () => {
    controller = await bed.open();
    await bed.deploy(controller, 'a', 2);
    await controller.settled({ timeoutMs: 20_000 });
    const before = { a0: (await bed.sequence('a/0')).length, a1: (await bed.sequence('a/1')).length };

    await controller.removeUnit('a/0');
    await controller.settled({ timeoutMs: 20_000 });

    expect((await bed.sequence('a/0')).slice(before.a0)).toEqual(['data-storage-detaching', 'replicas-relation-departed(a/1)', 'stop', 'remove']);
    expect((await bed.sequence('a/1')).slice(before.a1)).toEqual(['replicas-relation-departed(a/0)', 'leader-elected']);
    const departedOnA1 = (await bed.log('a/1')).hooks.find((h) => h.hook === 'replicas-relation-departed');
    expect(departedOnA1).toMatchObject({ remoteUnit: 'a/0', departingUnit: 'a/0' });
    const departedOnA0 = (await bed.log('a/0')).hooks.find((h) => h.hook === 'replicas-relation-departed');
    expect(departedOnA0).toMatchObject({ remoteUnit: 'a/1', departingUnit: 'a/0' });
    expect((await bed.log('a/1')).leader).toEqual(['True']);

    const status = controller.status();
    expect(Object.keys(status.model.units)).toEqual(['a/1']);
    expect(status.model.applications['a']?.leader).toBe('a/1');
    expect(status.model.relations[0]?.scope).toEqual(['a/1']);
    expect(status.units['a/0']).toBeUndefined();
  });
});

describe('leadership moving away from a live leader', () => {
  it('runs leader-elected on the new leader and nothing on the old one: Juju 3.6 runs no leader-deposed', async () => {
    controller = await bed.open();
    await bed.deploy(controller, 'a', 3);
    await controller.settled({ timeoutMs: 20_000 });
    expect(controller.model.applications['a']?.leader).toBe('a/0');
    const before = { a0: (await bed.sequence('a/0')).length, a1: (await bed.sequence('a/1')).length, a2: (await bed.sequence('a/2')).length };

    expect(controller.moveLeadership('a', 'a/2')).toBe('a/2');
    await controller.settled({ timeoutMs: 20_000 });

    expect((await bed.sequence('a/2')).slice(before.a2)).toEqual(['leader-elected']);
    expect((await bed.log('a/2')).leader.at(-1)).toBe('True');
    expect((await bed.sequence('a/0')).slice(before.a0)).toEqual([]);
    expect((await bed.sequence('a/1')).slice(before.a1)).toEqual([]);
    expect(controller.events().some((e) => e.hook === 'leader-deposed')).toBe(false);
    expect(controller.model.applications['a']?.leader).toBe('a/2');
    expect(() => controller!.moveLeadership('a', 'a/2')).toThrow(/no other live unit/);

    // Removing the (new) leader later: again leader-elected on whichever unit claims, nothing else.
    await controller.removeUnit('a/2');
    await controller.settled({ timeoutMs: 20_000 });
    const next = controller.model.applications['a']!.leader!;
    expect(['a/0', 'a/1']).toContain(next);
    expect((await bed.sequence(next)).filter((h) => h.startsWith('leader-'))).toEqual(next === 'a/0' ? ['leader-elected', 'leader-elected'] : ['leader-elected']);
    expect(controller.events().some((e) => e.hook === 'leader-deposed')).toBe(false);
  });
});

describe('remove-unit with a client relation', () => {
  it('departs and breaks the non-peer relation before departing the peers; the client sees it depart at once', async () => {
    controller = await bed.open();
    await bed.deploy(controller, 'a', 2);
    await bed.deploy(controller, 'b');
    controller.relate('a:db', 'b:backend');
    await controller.settled({ timeoutMs: 20_000 });
    const before = { a0: (await bed.sequence('a/0')).length, b0: (await bed.sequence('b/0')).length };

    await controller.removeUnit('a/0');
    await controller.settled({ timeoutMs: 20_000 });
    expect((await bed.sequence('a/0')).slice(before.a0)).toEqual([
      'data-storage-detaching',
      'db-relation-departed(b/0)',
      'db-relation-broken',
      'replicas-relation-departed(a/1)',
      'stop',
      'remove',
    ]);
    expect((await bed.sequence('b/0')).slice(before.b0)).toEqual(['backend-relation-departed(a/0)']);
  });
});

describe('pebble-ready', () => {
  it('is no barrier: it runs when the agent is idle, between leader-elected and config-changed', async () => {
    const probe = new FakeProbe();
    probe.ready = false;
    controller = await bed.open({ probe, probeIntervalMs: 50, retry: { initialMs: 60_000, maxMs: 60_000 } });
    await bed.failHook('a/0', 'install');
    await bed.deploy(controller, 'a');
    await nextEvent(controller, (e) => e.unit === 'a/0' && e.type === 'failed' && e.hook === 'install');
    probe.ready = true;
    await waitFor(() => (controller!.status().units['a/0']?.queue ?? []).some((q) => q.includes('pebble-ready')));
    await bed.failHook('a/0', 'install', false);
    expect(controller.resolve('a/0')).toBe(true);
    await controller.settled({ timeoutMs: 20_000 });
    expect((await bed.sequence('a/0')).slice(-6)).toEqual([
      'install',
      'replicas-relation-created',
      'leader-elected',
      'workload-pebble-ready',
      'config-changed',
      'start',
    ]);
  });

  it('does not hold joins back: units join their peers while their workloads are still down', async () => {
    const probe = new FakeProbe();
    probe.ready = false;
    controller = await bed.open({ probe });
    await bed.deploy(controller, 'a', 2);
    await waitFor(async () => (await bed.sequence('a/0')).includes('replicas-relation-changed(a/1)'), 20_000);
    expect(await bed.sequence('a/0')).not.toContain('workload-pebble-ready');
    expect(controller.status().units['a/0']?.phase).toBe('awaiting-workload');
  });
});

describe('a unit joining a relation whose remote application bag holds data', () => {
  it('first gets relation-changed with no remote unit, then the joins', async () => {
    controller = await bed.open();
    await bed.deploy(controller, 'a');
    await controller.settled({ timeoutMs: 20_000 });
    await controller.runAction('a/0', 'set-peer-app', { value: 'one' }, { timeoutMs: 10_000 });
    await controller.settled({ timeoutMs: 20_000 });
    await controller.addUnit('a');
    await controller.settled({ timeoutMs: 20_000 });
    const relationHooks = (await bed.log('a/1')).hooks.filter((h) => /^replicas-relation-(changed|joined)$/.test(h.hook)).map((h) => `${h.hook}(${h.remoteUnit})`);
    expect(relationHooks).toEqual(['replicas-relation-changed()', 'replicas-relation-joined(a/0)', 'replicas-relation-changed(a/0)']);
  });
});

describe('update-status', () => {
  it('fires periodically on idle, started units', async () => {
    controller = await bed.open({ updateStatusIntervalMs: 150 });
    await bed.deploy(controller, 'a');
    await controller.settled({ timeoutMs: 20_000 });
    await waitFor(async () => (await bed.sequence('a/0')).filter((h) => h === 'update-status').length >= 3);
    const sequence = await bed.sequence('a/0');
    expect(sequence.indexOf('update-status')).toBeGreaterThan(sequence.indexOf('start'));
  });
});

describe('config', () => {
  it('fires config-changed on every unit once per change, and not at all for no change', async () => {
    controller = await bed.open();
    await bed.deploy(controller, 'a', 2);
    await controller.settled({ timeoutMs: 20_000 });
    expect(controller.setConfig('a', { greeting: 'hello' })).toEqual([]); // the default: no change
    expect(controller.setConfig('a', { greeting: 'bonjour' })).toEqual(['greeting']);
    await controller.settled({ timeoutMs: 20_000 });
    for (const unit of ['a/0', 'a/1']) expect((await bed.sequence(unit)).filter((h) => h === 'config-changed')).toHaveLength(2);
  });
});

describe('restart', () => {
  it('resumes from the state dir: lifecycles, queues and failed hooks carry over', async () => {
    const probe = new FakeProbe();
    probe.ready = false;
    controller = await bed.open({ probe });
    await bed.deploy(controller, 'a', 2);
    await waitFor(() => Object.values(controller!.status().units).every((u) => u.phase === 'awaiting-workload' && u.queue.length === 0));
    await controller.stop();

    // The peers joined without waiting for the workloads. A new controller on the same dir: the
    // workloads come up; nothing re-installs or joins again.
    controller = await bed.open();
    await controller.settled({ timeoutMs: 20_000 });
    for (const [unit, other] of [['a/0', 'a/1'], ['a/1', 'a/0']] as const) {
      const sequence = await bed.sequence(unit);
      expect(sequence.filter((h) => h === 'install')).toHaveLength(1);
      expect(sequence.filter((h) => h === `replicas-relation-joined(${other})`)).toHaveLength(1);
      expect(sequence.at(-1)).toBe('workload-pebble-ready');
    }

    // A hook that keeps failing stays queued across a restart, and runs once fixed.
    await bed.failHook('a/1', 'config-changed');
    controller.setConfig('a', { greeting: 'again' });
    await nextEvent(controller, (e) => e.unit === 'a/1' && e.type === 'failed' && e.hook === 'config-changed');
    await controller.stop();
    const saved = ControllerStateSchema.parse(JSON.parse(await readFile(path.join(bed.stateDir, 'controller.json'), 'utf8')));
    expect(saved.queues['a/1']?.[0]).toMatchObject({ event: { hook: 'config-changed' }, attempts: expect.any(Number) });
    expect(saved.queues['a/1']?.[0]?.attempts).toBeGreaterThan(0);

    await bed.failHook('a/1', 'config-changed', false);
    controller = await bed.open();
    expect(controller.status().model.applications['a']?.config).toEqual({ greeting: 'again' });
    await controller.settled({ timeoutMs: 20_000 });
    expect(controller.status().model.units['a/1']?.agentStatus.status).toBe('idle');
    expect((await bed.sequence('a/1')).at(-1)).toBe('config-changed');
  });
});
