import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Controller } from '../../../sandbox/controller/controller.ts';
import { isCharmError } from '../../../src/errors.ts';
import { groupMembers, killGroup, nextEvent, TestBed, waitFor } from './test-charm.ts';

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

describe('a failing hook', () => {
  it('discards its relation-set, puts the unit in error, is retried, and blocks the unit until it succeeds', async () => {
    controller = await bed.open();
    await bed.deploy(controller, 'a');
    await bed.deploy(controller, 'b');
    await controller.settled({ timeoutMs: 20_000 });
    await bed.failHook('a/0', 'db-relation-joined');

    const id = controller.relate('a:db', 'b:backend');
    const failedTwice = (e: { unit: string; type: string; hook?: string; attempt?: number }) =>
      e.unit === 'a/0' && e.type === 'failed' && e.hook === 'db-relation-joined' && e.attempt === 2;
    await nextEvent(controller, failedTwice);

    const status = controller.status();
    const relation = status.model.relations.find((r) => r.id === id)!;
    // Only what Juju put there on entering the scope: the relation-set before exit 1 was discarded.
    const address = status.model.units['a/0']!.address;
    const addresses = { 'private-address': address, 'ingress-address': address, 'egress-subnets': `${address}/32` };
    expect(relation.unitData['a/0']).toEqual(addresses);
    expect(status.model.units['a/0']?.agentStatus).toMatchObject({ status: 'error', message: 'hook failed: "db-relation-joined"' });
    expect(status.model.units['a/0']?.workloadStatus).toMatchObject({ status: 'blocked', message: 'about to fail' }); // status-set is immediate
    expect(status.units['a/0']?.queue).toEqual(['db-relation-joined (b/0)', 'db-relation-changed (b/0)']);
    expect(status.units['a/0']?.failedAttempts).toBe(2);
    const attempts = (await bed.sequence('a/0')).filter((h) => h.startsWith('db-'));
    expect(attempts.slice(0, 3)).toEqual(['db-relation-created', 'db-relation-joined(b/0)', 'db-relation-joined(b/0)']);
    expect(attempts).not.toContain('db-relation-changed(b/0)');
    expect((await bed.log('b/0')).seen).not.toContain('hello from a/0');

    // Actions still run while the unit waits for its retry, and leave the agent in error. It is
    // read as the action ends: under load the retry may already be running once the caller hears.
    let agentAfterAction: string | undefined;
    const unsubscribe = controller.subscribe((e) => {
      if (e.unit === 'a/0' && e.action === 'echo' && e.type === 'succeeded') agentAfterAction = controller!.status().model.units['a/0']?.agentStatus.status;
    });
    const echoed = await controller.runAction('a/0', 'echo', { text: 'still here' }, { timeoutMs: 10_000 });
    unsubscribe();
    expect(echoed.status).toBe('completed');
    expect(agentAfterAction).toBe('error');

    await bed.failHook('a/0', 'db-relation-joined', false);
    await controller.settled({ timeoutMs: 20_000 });
    const after = controller.status();
    expect(after.model.units['a/0']?.agentStatus).toMatchObject({ status: 'idle' });
    expect(after.model.relations.find((r) => r.id === id)?.unitData['a/0']).toEqual({ ...addresses, greeting: 'hello from a/0' });
    const sequence = (await bed.sequence('a/0')).filter((h) => h.startsWith('db-'));
    expect(sequence.at(-2)).toBe('db-relation-joined(b/0)');
    expect(sequence.at(-1)).toBe('db-relation-changed(b/0)');
    expect((await bed.log('b/0')).seen.at(-1)).toBe('hello from a/0');
  });

  it('is never killed for taking long (Juju has no hook timeout): the unit stays executing, resolve has nothing to act on, remove-unit --force ends it', async () => {
    controller = await bed.open();
    await bed.deploy(controller, 'a', 2);
    await controller.settled({ timeoutMs: 20_000 });
    await bed.hangHook('a/1', 'config-changed');
    controller.setConfig('a', { greeting: 'slow' });
    const hung = await bed.hungPid('a/1', 'config-changed');
    try {
      // Well past what a hook timeout of the old sandbox (or any short one) would allow.
      await new Promise((resolve) => setTimeout(resolve, 2_500));
      expect(await groupMembers(hung)).not.toEqual([]);
      const status = controller.status();
      expect(status.model.units['a/1']?.agentStatus).toMatchObject({ status: 'executing', message: 'running config-changed hook' });
      expect(status.units['a/1']?.running).toBe('config-changed');
      expect(controller.events().some((e) => e.unit === 'a/1' && e.type === 'failed')).toBe(false);
      // `juju resolved` acts on a unit in error only; a hook that runs is not one.
      expect(controller.resolve('a/1')).toBe(false);
      expect(controller.resolve('a/1', { retry: false })).toBe(false);
      await controller.removeUnit('a/1', { force: true });
      await waitFor(async () => (await groupMembers(hung)).length === 0, 10_000);
      expect(controller.status().model.units['a/1']).toBeUndefined();
    } finally {
      await killGroup(hung, bed.marker);
    }
    await controller.settled({ timeoutMs: 20_000 });
    expect(controller.status().model.units['a/0']?.agentStatus.status).toBe('idle');
  });

  it('can be skipped with resolve --no-retry, letting the queue move on', async () => {
    controller = await bed.open({ retry: { initialMs: 60_000, maxMs: 60_000 } });
    await bed.deploy(controller, 'a');
    await controller.settled({ timeoutMs: 20_000 });
    await bed.failHook('a/0', 'config-changed');
    controller.setConfig('a', { greeting: 'x' });
    await nextEvent(controller, (e) => e.unit === 'a/0' && e.type === 'failed' && e.hook === 'config-changed');
    expect(controller.resolve('a/0', { retry: false })).toBe(true);
    await controller.settled({ timeoutMs: 5_000 });
    expect((await bed.sequence('a/0')).filter((h) => h === 'config-changed')).toHaveLength(2);
  });
});

describe('remove-relation while a joined hook fails', () => {
  it('waits for the failed joined to be resolved, then runs it, changed, departed and broken', async () => {
    controller = await bed.open({ retry: { initialMs: 60_000, maxMs: 60_000 } });
    await bed.deploy(controller, 'a');
    await bed.deploy(controller, 'b');
    await controller.settled({ timeoutMs: 20_000 });
    await bed.failHook('b/0', 'backend-relation-joined');
    const id = controller.relate('a:db', 'b:backend');
    await nextEvent(controller, (e) => e.unit === 'b/0' && e.type === 'failed' && e.hook === 'backend-relation-joined');
    const before = (await bed.sequence('b/0')).length;
    controller.removeRelation(id);
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect((await bed.sequence('b/0')).slice(before)).toEqual([]); // no broken while it is in error
    expect(controller.status().model.relations.map((r) => r.id)).toContain(id);

    await bed.failHook('b/0', 'backend-relation-joined', false);
    expect(controller.resolve('b/0')).toBe(true);
    await controller.settled({ timeoutMs: 20_000 });
    expect((await bed.sequence('b/0')).slice(before)).toEqual([
      'backend-relation-joined(a/0)',
      'backend-relation-changed(a/0)',
      'backend-relation-departed(a/0)',
      'backend-relation-broken',
    ]);
    expect(controller.status().model.relations.map((r) => r.id)).not.toContain(id);
  });

  it('resolve --no-retry commits the skipped start, so the unit goes on to join its peers', async () => {
    controller = await bed.open({ retry: { initialMs: 60_000, maxMs: 60_000 } });
    await bed.failHook('a/1', 'start');
    await bed.deploy(controller, 'a', 2);
    await nextEvent(controller, (e) => e.unit === 'a/1' && e.type === 'failed' && e.hook === 'start');
    expect(controller.resolve('a/1', { retry: false })).toBe(true);
    expect(controller.resolve('a/1', { retry: false })).toBe(false); // not in error any more
    await controller.settled({ timeoutMs: 20_000 });
    expect(await bed.sequence('a/1')).toContain('replicas-relation-joined(a/0)');
    expect(controller.status().model.units['a/1']?.agentStatus.status).toBe('idle');
  });
});

describe('actions', () => {
  it('return their results, output and exit code; a failed action does not block the unit', async () => {
    controller = await bed.open();
    await bed.deploy(controller, 'a');
    await controller.settled({ timeoutMs: 20_000 });

    const echo = await controller.runAction('a/0', 'echo', { text: 'hi' });
    expect(echo).toMatchObject({
      status: 'completed',
      unit: 'a/0',
      results: { echoed: 'hi', stdout: 'said hi\n', stderr: 'to stderr\n', 'return-code': '0' },
    });
    const hookLog = (await bed.log('a/0')).hooks.at(-1);
    expect(hookLog).toMatchObject({ path: 'actions/echo', hook: '', action: 'echo' });

    const failed = await controller.runAction('a/0', 'fail');
    expect(failed).toMatchObject({ status: 'failed', message: 'asked to fail', results: { 'return-code': '3' } });
    expect(controller.status().model.units['a/0']?.agentStatus.status).toBe('idle');

    controller.setConfig('a', { greeting: 'after the failed action' });
    await controller.settled({ timeoutMs: 20_000 });
    expect((await bed.sequence('a/0')).at(-1)).toBe('config-changed');

    let error: unknown;
    try {
      controller.enqueueAction('a/0', 'echo', {});
    } catch (e) {
      error = e;
    }
    expect(isCharmError(error, 'sandbox-model-invalid')).toBe(true);
  });

  it('run after install, ahead of config-changed and start, as Juju’s resolver orders them', async () => {
    controller = await bed.open();
    await bed.deploy(controller, 'a');
    const action = controller.enqueueAction('a/0', 'echo', { text: 'early' });
    const done = await controller.waitForAction(action.id, { timeoutMs: 20_000 });
    expect(done.status).toBe('completed');
    await waitFor(() => controller!.status().units['a/0']?.phase === 'ready');
    const sequence = await bed.sequence('a/0');
    // Queued while the unit was deploying: the actions resolver comes before nextOp's
    // config-changed (juju/juju internal/worker/uniter/resolver.go), but nothing but storage
    // runs before install.
    expect(sequence.indexOf('actions/echo')).toBeGreaterThan(sequence.indexOf('install'));
    expect(sequence.indexOf('actions/echo')).toBeLessThan(sequence.indexOf('config-changed'));
  });
});
