import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Controller } from '../../../sandbox/controller/controller.ts';
import { readDebugLog } from '../../../sandbox/controller/debug-log.ts';
import { HostRuntime, type UnitPrepared } from '../../../sandbox/controller/runtime.ts';
import { isCharmError } from '../../../src/errors.ts';
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

const count = (sequence: string[], hook: string) => sequence.filter((h) => h === hook).length;

describe('a workload container that restarts', () => {
  it('keeps the model unsettled while its Pebble is down and gets pebble-ready again under a new boot id', async () => {
    const probe = new FakeProbe();
    probe.bootIds.set('a/0:workload', 'boot-1');
    controller = await bed.open({ probe });
    await bed.deploy(controller, 'a', 2);
    await controller.settled({ timeoutMs: 20_000 });
    expect(count(await bed.sequence('a/0'), 'workload-pebble-ready')).toBe(1);

    probe.ready = false; // both Pebbles stop answering
    await waitFor(() => controller!.status().units['a/0']?.waitingFor.includes('workload') === true);
    expect(controller.status().units['a/1']?.waitingFor).toEqual(['workload']);
    const early = await controller.settled({ timeoutMs: 200 }).catch((error: unknown) => error);
    expect(isCharmError(early, 'sandbox-controller-timeout')).toBe(true);

    probe.bootIds.set('a/0:workload', 'boot-2'); // a/0's came back as a new Pebble; a/1 cannot tell
    probe.ready = true;
    await nextEvent(controller, (e) => e.unit === 'a/0' && e.type === 'model' && e.what === 'workload container workload restarted');
    await controller.settled({ timeoutMs: 20_000 });
    const a0 = await bed.sequence('a/0');
    expect(count(a0, 'workload-pebble-ready')).toBe(2);
    expect(a0.at(-1)).toBe('workload-pebble-ready');
    expect(count(await bed.sequence('a/1'), 'workload-pebble-ready')).toBe(1);
    expect(controller.status().units['a/0']?.waitingFor).toEqual([]);
  });

  it('is told apart across controller restarts by the boot ids saved with the unit', async () => {
    const probe = new FakeProbe();
    probe.bootIds.set('a/0:workload', 'boot-1');
    controller = await bed.open({ probe });
    await bed.deploy(controller, 'a');
    await controller.settled({ timeoutMs: 20_000 });
    await controller.stop();

    // The same Pebble, seen by a new controller: nothing to fire.
    const polled = probe.calls;
    controller = await bed.open({ probe });
    await waitFor(() => probe.calls >= polled + 2); // one whole poll after the first has answered
    await controller.settled({ timeoutMs: 20_000 });
    expect(count(await bed.sequence('a/0'), 'workload-pebble-ready')).toBe(1);
    await controller.stop();

    // It restarted while no controller ran: the next one fires pebble-ready.
    probe.bootIds.set('a/0:workload', 'boot-2');
    controller = await bed.open({ probe });
    await nextEvent(controller, (e) => e.unit === 'a/0' && e.type === 'succeeded' && e.hook === 'workload-pebble-ready');
    await controller.settled({ timeoutMs: 20_000 });
    expect(count(await bed.sequence('a/0'), 'workload-pebble-ready')).toBe(2);
  });
});

describe('storage', () => {
  it('is reported by storage-get where the runtime says the unit has it', async () => {
    class StorageRuntime extends HostRuntime {
      async prepareUnit(unit: string): Promise<UnitPrepared> {
        return { storage: { data: `/srv/${unit.replace('/', '-')}/data` } };
      }
    }
    controller = await bed.open({ runtime: new StorageRuntime() });
    await bed.deploy(controller, 'a', 2);
    await controller.settled({ timeoutMs: 20_000 });
    expect((await bed.log('a/0')).locations).toEqual([{ storageGet: '/srv/a-0/data', env: '/srv/a-0/data' }]);
    expect((await bed.log('a/1')).locations).toEqual([{ storageGet: '/srv/a-1/data', env: '/srv/a-1/data' }]);
    expect(controller.status().model.units['a/1']?.storage).toEqual([{ id: 'data/1', name: 'data', kind: 'filesystem', location: '/srv/a-1/data' }]);
  });

  it('keeps the model default when the runtime has no say', async () => {
    controller = await bed.open();
    await bed.deploy(controller, 'a');
    await controller.settled({ timeoutMs: 20_000 });
    expect((await bed.log('a/0')).locations).toEqual([{ storageGet: '/var/lib/juju/storage/data/0', env: '/var/lib/juju/storage/data/0' }]);
  });
});

describe('the debug log', () => {
  it('has a start and an end line for every dispatch, silent or failing, with exit code and duration', async () => {
    controller = await bed.open();
    await bed.deploy(controller, 'a');
    await controller.settled({ timeoutMs: 20_000 });
    await bed.failHook('a/0', 'config-changed');
    controller.setConfig('a', { greeting: 'fail' });
    await nextEvent(controller, (e) => e.unit === 'a/0' && e.type === 'failed' && e.hook === 'config-changed');
    await bed.failHook('a/0', 'config-changed', false);
    await controller.settled({ timeoutMs: 20_000 });
    await controller.runAction('a/0', 'echo', { text: 'x' });
    await controller.debugLog.flush();

    const notes = (await readDebugLog(path.join(bed.stateDir, 'logs'), 'a/0')).filter((e) => e.stream === 'controller');
    const lines = notes.map((e) => `${e.level} ${e.hook}: ${e.line}`);
    // install prints nothing, and still leaves its trace.
    expect(lines).toContain('INFO install: running "install" hook');
    expect(lines.some((l) => /^INFO install: ran "install" hook \(via hook dispatching script: dispatch\): exit code 0 \(\d+ ms\)$/.test(l))).toBe(true);
    expect(lines.some((l) => /^ERROR config-changed: "config-changed" hook \(via hook dispatching script: dispatch\) failed: exit status 1 \(\d+ ms\)$/.test(l))).toBe(true);
    expect(lines.some((l) => /^INFO action:echo: ran "echo" action .*: exit code 0/.test(l))).toBe(true);
    expect(lines).toContain('INFO : unit added');
    // Every dispatch that started also ended, in order.
    const started = notes.filter((e) => e.line.startsWith('running ')).length;
    const ended = notes.filter((e) => / \(\d+ ms\)$/.test(e.line)).length;
    expect(ended).toBe(started);
    expect(started).toBe((await bed.log('a/0')).hooks.length);
  });
});
