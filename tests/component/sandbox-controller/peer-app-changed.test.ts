import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Controller } from '../../../sandbox/controller/controller.ts';
import { TestBed } from './test-charm.ts';

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

/** The app-level (no remote unit) replicas-relation-changed hooks a unit ran. */
async function ownAppChanges(unit: string): Promise<Array<{ remoteUnit: string; remoteApp: string }>> {
  return (await bed.log(unit)).hooks
    .filter((h) => h.hook === 'replicas-relation-changed' && h.remoteUnit === '')
    .map((h) => ({ remoteUnit: h.remoteUnit, remoteApp: h.remoteApp }));
}

describe("a leader writing its own peer application bag", () => {
  it('gets replicas-relation-changed when it is the only unit (juju/juju#20178), and not once there are others', async () => {
    controller = await bed.open();
    await bed.deploy(controller, 'a');
    await controller.settled({ timeoutMs: 20_000 });
    expect(await ownAppChanges('a/0')).toEqual([]);

    const first = await controller.runAction('a/0', 'set-peer-app', { value: 'one' }, { timeoutMs: 10_000 });
    expect(first.status).toBe('completed');
    await controller.settled({ timeoutMs: 20_000 });
    expect(await ownAppChanges('a/0')).toEqual([{ remoteUnit: '', remoteApp: 'a' }]);

    await controller.addUnit('a');
    await controller.settled({ timeoutMs: 20_000 });
    const before = (await bed.log('a/1')).hooks.length;
    await controller.runAction('a/0', 'set-peer-app', { value: 'two' }, { timeoutMs: 10_000 });
    await controller.settled({ timeoutMs: 20_000 });
    expect(await ownAppChanges('a/0')).toEqual([{ remoteUnit: '', remoteApp: 'a' }]); // no second one for the leader
    const follower = (await bed.log('a/1')).hooks.slice(before);
    expect(follower.map((h) => [h.hook, h.remoteUnit, h.remoteApp])).toContainEqual(['replicas-relation-changed', '', 'a']);
  });
});
