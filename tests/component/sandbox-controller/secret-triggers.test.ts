import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Controller } from '../../../sandbox/controller/controller.ts';
import { TestBed, waitFor } from './test-charm.ts';

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

const hooksOf = async (unit: string, hook: string): Promise<number> => (await bed.log(unit)).hooks.filter((h) => h.hook === hook).length;

describe('secret-rotate and secret-expired from the controller', () => {
  it('go to the leader when due on the controller clock, which a test moves on', async () => {
    let offsetMs = 0;
    controller = await bed.open({ secretClock: () => new Date(Date.now() + offsetMs), secretCheckIntervalMs: 50 });
    await bed.deploy(controller, 'a', 2);
    await controller.settled({ timeoutMs: 30_000 });
    const leader = controller.model.applications['a']!.leader!;
    const now = new Date();
    // An application secret as secret-add --rotate hourly --expire 2h would leave it.
    controller.model.secrets['d0000000000000000000'] = {
      id: 'd0000000000000000000',
      owner: { kind: 'application', name: 'a' },
      label: 'creds',
      description: null,
      rotatePolicy: 'hourly',
      expireTime: new Date(now.getTime() + 2 * 3_600_000).toISOString(),
      nextRotateTime: new Date(now.getTime() + 3_600_000).toISOString(),
      revisions: [{ revision: 1, content: { key: 'dg==' }, createdAt: now.toISOString(), obsoleteNotified: false, expireTime: new Date(now.getTime() + 2 * 3_600_000).toISOString() }],
      grants: [],
      consumers: {},
      createdAt: now.toISOString(),
    };
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await hooksOf(leader, 'secret-rotate')).toBe(0);

    offsetMs = 3_600_000 + 1_000;
    await waitFor(async () => (await hooksOf(leader, 'secret-rotate')) === 1, 15_000);
    await controller.settled({ timeoutMs: 20_000 });
    // No new revision: retried 5 minutes after the last rotate time.
    expect(controller.model.secrets['d0000000000000000000']!.nextRotateTime).toBe(new Date(now.getTime() + 3_600_000 + 5 * 60_000).toISOString());

    offsetMs = 2 * 3_600_000 + 1_000;
    await waitFor(async () => (await hooksOf(leader, 'secret-expired')) === 1, 15_000);
    await controller.settled({ timeoutMs: 20_000 });
    const follower = leader === 'a/0' ? 'a/1' : 'a/0';
    expect(await hooksOf(follower, 'secret-rotate')).toBe(0);
    expect(await hooksOf(follower, 'secret-expired')).toBe(0);
  }, 90_000);
});
