import { afterEach, describe, expect, it } from 'vitest';
import type { DispatchOutcome } from '../../../sandbox/controller/dispatch-runner.ts';
import { isCharmError } from '../../../src/errors.ts';
import { hookEvent, type QueuedEvent } from '../../../sandbox/controller/queued-event.ts';
import { Scheduler, type SchedulerOptions } from '../../../sandbox/controller/scheduler.ts';

/**
 * The scheduler with a scripted `run`: which events run, in which order, how many at a time,
 * without any processes.
 */

interface Script {
  /** Names of events to fail, and how many more times each should fail. */
  failures: Map<string, number>;
  /** Resolves a running event's promise by hand when set. */
  hold: Set<string>;
}

function label(event: QueuedEvent): string {
  return event.kind === 'hook' ? `${event.unit}:${event.hook}${event.remoteUnit ? `(${event.remoteUnit})` : ''}` : `${event.unit}:action:${event.name}`;
}

function outcome(ok: boolean, aborted = false): DispatchOutcome {
  return { ok, aborted, exitCode: ok ? 0 : aborted ? null : 1, signal: null, events: [], durationMs: 1 };
}

let schedulers: Scheduler[] = [];

afterEach(async () => {
  for (const s of schedulers) await s.stop(100);
  schedulers = [];
});

function makeScheduler(options: Partial<SchedulerOptions> = {}) {
  const ran: string[] = [];
  const script: Script = { failures: new Map(), hold: new Set() };
  let running = 0;
  let maxPerUnit = 0;
  let maxOverall = 0;
  const perUnit = new Map<string, number>();
  const releases = new Map<string, () => void>();
  const scheduler = new Scheduler({
    run: async (event, abort) => {
      const name = label(event);
      running += 1;
      perUnit.set(event.unit, (perUnit.get(event.unit) ?? 0) + 1);
      maxOverall = Math.max(maxOverall, running);
      maxPerUnit = Math.max(maxPerUnit, perUnit.get(event.unit)!);
      ran.push(name);
      let aborted = false;
      if (script.hold.has(name)) {
        await new Promise<void>((resolve) => {
          releases.set(name, resolve);
          abort.addEventListener('abort', () => {
            aborted = true;
            resolve();
          });
        });
      } else {
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      running -= 1;
      perUnit.set(event.unit, perUnit.get(event.unit)! - 1);
      if (aborted) return outcome(false, true);
      const left = script.failures.get(name) ?? 0;
      if (left > 0) {
        script.failures.set(name, left - 1);
        return outcome(false);
      }
      return outcome(true);
    },
    periodicUnits: () => [],
    retry: { initialMs: 20, maxMs: 40 },
    updateStatusIntervalMs: 3_600_000,
    ...options,
  });
  schedulers.push(scheduler);
  return { scheduler, ran, script, releases, stats: () => ({ maxPerUnit, maxOverall }) };
}

describe('Scheduler', () => {
  it('runs one event at a time per unit, in FIFO order, and units in parallel', async () => {
    const { scheduler, ran, stats } = makeScheduler();
    for (const unit of ['a/0', 'a/1']) {
      for (const hook of ['install', 'config-changed', 'start']) scheduler.enqueue(hookEvent(unit, hook));
    }
    scheduler.start();
    await scheduler.settled({ timeoutMs: 5_000 });
    expect(ran.filter((r) => r.startsWith('a/0'))).toEqual(['a/0:install', 'a/0:config-changed', 'a/0:start']);
    expect(ran.filter((r) => r.startsWith('a/1'))).toEqual(['a/1:install', 'a/1:config-changed', 'a/1:start']);
    expect(stats()).toEqual({ maxPerUnit: 1, maxOverall: 2 });
  });

  it('coalesces pending hooks Juju coalesces, and only those', async () => {
    const { scheduler, ran } = makeScheduler();
    const changed = (remote: string) => hookEvent('a/0', 'db-relation-changed', { relationId: 1, relationName: 'db', remoteUnit: remote, remoteApp: 'b' });
    expect(scheduler.enqueue(hookEvent('a/0', 'config-changed'))).toBe(true);
    expect(scheduler.enqueue(hookEvent('a/0', 'config-changed'))).toBe(false);
    expect(scheduler.enqueue(changed('b/0'))).toBe(true);
    expect(scheduler.enqueue(changed('b/0'))).toBe(false);
    expect(scheduler.enqueue(changed('b/1'))).toBe(true);
    expect(scheduler.enqueue(hookEvent('a/0', 'start'))).toBe(true);
    expect(scheduler.enqueue(hookEvent('a/0', 'start'))).toBe(true);
    scheduler.start();
    await scheduler.settled({ timeoutMs: 5_000 });
    // start (a queued hook) before relation hooks, as Juju's resolver orders them.
    expect(ran).toEqual(['a/0:config-changed', 'a/0:start', 'a/0:start', 'a/0:db-relation-changed(b/0)', 'a/0:db-relation-changed(b/1)']);
    expect(scheduler.log.since().filter((e) => e.type === 'coalesced')).toHaveLength(2);
  });

  it('picks the next event in the order of Juju 3.6’s resolver, storage alone ahead of install', async () => {
    const { scheduler, ran } = makeScheduler();
    const rel = (hook: string, remote?: string) => hookEvent('a/0', hook, { relationId: 1, relationName: 'db', remoteApp: 'b', ...(remote ? { remoteUnit: remote } : {}) });
    for (const event of [
      hookEvent('a/0', 'install'),
      rel('db-relation-joined', 'b/0'),
      hookEvent('a/0', 'update-status'),
      hookEvent('a/0', 'config-changed'),
      hookEvent('a/0', 'secret-changed', { secretId: 'secret:x' }),
      hookEvent('a/0', 'workload-pebble-ready', { workloadName: 'workload' }),
      hookEvent('a/0', 'data-storage-attached', { storageId: 'data/0' }),
      hookEvent('a/0', 'leader-elected'),
      rel('db-relation-created'),
      { kind: 'action', unit: 'a/0', actionId: '1', name: 'echo' } as const,
      hookEvent('a/0', 'start'),
    ]) {
      scheduler.enqueue(event);
    }
    scheduler.start();
    await scheduler.settled({ timeoutMs: 5_000 });
    expect(ran).toEqual([
      'a/0:data-storage-attached',
      'a/0:install',
      'a/0:db-relation-created',
      'a/0:leader-elected',
      'a/0:workload-pebble-ready',
      'a/0:secret-changed',
      'a/0:action:echo',
      'a/0:config-changed',
      'a/0:start',
      'a/0:db-relation-joined(b/0)',
      'a/0:update-status',
    ]);
  });

  it('runs a dying unit’s storage-detaching first and stop/remove after its relation hooks', async () => {
    const { scheduler, ran } = makeScheduler();
    for (const event of [
      hookEvent('a/0', 'db-relation-departed', { relationId: 1, remoteUnit: 'b/0', remoteApp: 'b', departingUnit: 'a/0' }),
      hookEvent('a/0', 'db-relation-broken', { relationId: 1, remoteApp: 'b' }),
      hookEvent('a/0', 'stop'),
      hookEvent('a/0', 'remove'),
      hookEvent('a/0', 'data-storage-detaching', { storageId: 'data/0' }),
    ]) {
      scheduler.enqueue(event);
    }
    scheduler.start();
    await scheduler.settled({ timeoutMs: 5_000 });
    expect(ran).toEqual(['a/0:data-storage-detaching', 'a/0:db-relation-departed(b/0)', 'a/0:db-relation-broken', 'a/0:stop', 'a/0:remove']);
  });

  it('does not coalesce with the event that is already running', async () => {
    const { scheduler, ran, script, releases } = makeScheduler();
    script.hold.add('a/0:config-changed');
    scheduler.start();
    scheduler.enqueue(hookEvent('a/0', 'config-changed'));
    await new Promise((resolve) => setTimeout(resolve, 20));
    script.hold.clear();
    expect(scheduler.enqueue(hookEvent('a/0', 'config-changed'))).toBe(true);
    releases.get('a/0:config-changed')!();
    await scheduler.settled({ timeoutMs: 5_000 });
    expect(ran).toEqual(['a/0:config-changed', 'a/0:config-changed']);
  });

  it('retries a failed hook with backoff and runs nothing behind it but actions until it succeeds', async () => {
    const { scheduler, ran, script } = makeScheduler();
    script.failures.set('a/0:install', 3);
    scheduler.enqueue(hookEvent('a/0', 'install'));
    scheduler.enqueue(hookEvent('a/0', 'start'));
    scheduler.enqueue({ kind: 'action', unit: 'a/0', actionId: '1', name: 'backup' });
    scheduler.enqueue(hookEvent('a/1', 'install'));
    scheduler.start();
    await scheduler.settled({ timeoutMs: 5_000 });
    const a0 = ran.filter((r) => r.startsWith('a/0'));
    expect(a0.indexOf('a/0:start')).toBe(a0.lastIndexOf('a/0:install') + 1);
    expect(a0.filter((r) => r === 'a/0:install')).toHaveLength(4);
    // The action ran while install waited for its retry.
    expect(a0.indexOf('a/0:action:backup')).toBeLessThan(a0.lastIndexOf('a/0:install'));
    const failures = scheduler.log.since().filter((e) => e.type === 'failed');
    expect(failures.map((f) => f.retryInMs)).toEqual([20, 40, 40]);
    expect(ran).toContain('a/1:install');
  });

  it('does not retry a failed action', async () => {
    const { scheduler, ran, script } = makeScheduler();
    script.failures.set('a/0:action:backup', 1);
    scheduler.enqueue({ kind: 'action', unit: 'a/0', actionId: '1', name: 'backup' });
    scheduler.enqueue(hookEvent('a/0', 'update-status'));
    scheduler.start();
    await scheduler.settled({ timeoutMs: 5_000 });
    expect(ran).toEqual(['a/0:action:backup', 'a/0:update-status']);
  });

  it('settled() times out with a typed error naming what is left', async () => {
    const { scheduler, script } = makeScheduler({ retry: { initialMs: 60_000, maxMs: 60_000 } });
    script.failures.set('a/0:install', 1);
    scheduler.enqueue(hookEvent('a/0', 'install'));
    scheduler.start();
    const error = await scheduler.settled({ timeoutMs: 200 }).catch((e: unknown) => e);
    expect(isCharmError(error, 'sandbox-controller-timeout')).toBe(true);
    expect((error as Error).message).toContain('a/0: install');
  });

  it('snapshots queues (running item included) and restores them for a new scheduler', async () => {
    const first = makeScheduler();
    first.script.hold.add('a/0:install');
    first.scheduler.enqueue(hookEvent('a/0', 'install'));
    first.scheduler.enqueue(hookEvent('a/0', 'start'));
    first.scheduler.start();
    await new Promise((resolve) => setTimeout(resolve, 20));
    await first.scheduler.stop(10); // aborts the held install
    const saved = first.scheduler.snapshot();
    expect(saved['a/0']?.map((i) => i.event.kind === 'hook' && i.event.hook)).toEqual(['install', 'start']);

    const second = makeScheduler();
    second.scheduler.restore(saved);
    second.scheduler.start();
    await second.scheduler.settled({ timeoutMs: 5_000 });
    expect(second.ran).toEqual(['a/0:install', 'a/0:start']);
    second.scheduler.enqueue(hookEvent('a/0', 'config-changed'));
    expect(Math.max(...second.scheduler.snapshot()['a/0']!.map((i) => i.id))).toBeGreaterThan(Math.max(...saved['a/0']!.map((i) => i.id)));
  });

  it('fires update-status only on idle periodic units', async () => {
    const { scheduler, ran, script, releases } = makeScheduler({ periodicUnits: () => ['a/0', 'a/1'], updateStatusIntervalMs: 30 });
    script.hold.add('a/1:install');
    scheduler.enqueue(hookEvent('a/1', 'install'));
    scheduler.start();
    // However slowly the ticks come, a/0 gets them while a/1 is busy with its install.
    const deadline = Date.now() + 10_000;
    while (ran.filter((r) => r === 'a/0:update-status').length < 2 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(ran.filter((r) => r === 'a/0:update-status').length).toBeGreaterThanOrEqual(2);
    expect(ran.filter((r) => r === 'a/1:update-status')).toEqual([]);
    releases.get('a/1:install')!();
  });
});
