import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Controller } from '../../../sandbox/controller/controller.ts';
import { killGroup, TestBed, waitFor } from './test-charm.ts';

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

describe('secret rotation across a daemon restart', () => {
  it('runs a rotation cut short by the restart once more, not twice, and fires the next one when due by the saved time', async () => {
    const offsetMs = 3_600_000 + 1_000;
    const clock = () => new Date(Date.now() + offsetMs);
    controller = await bed.open({ secretClock: () => new Date(), secretCheckIntervalMs: 50, stopGraceMs: 200 });
    await bed.deploy(controller, 'a', 2);
    await controller.settled({ timeoutMs: 30_000 });
    const leader = controller.model.applications['a']!.leader!;
    const now = new Date();
    const due = new Date(now.getTime() + 3_600_000).toISOString();
    controller.model.secrets['d2000000000000000000'] = {
      id: 'd2000000000000000000',
      owner: { kind: 'application', name: 'a' },
      label: 'creds',
      description: null,
      rotatePolicy: 'hourly',
      expireTime: null,
      nextRotateTime: due,
      revisions: [{ revision: 1, content: { key: 'dg==' }, createdAt: now.toISOString(), obsoleteNotified: false, expireTime: null }],
      grants: [],
      consumers: {},
      createdAt: now.toISOString(),
    };
    await controller.stop();

    // Due now: the rotation starts, and the daemon stops while the hook runs.
    await bed.hangHook(leader, 'secret-rotate');
    controller = await bed.open({ secretClock: clock, secretCheckIntervalMs: 50, stopGraceMs: 200 });
    const hung = await bed.hungPid(leader, 'secret-rotate');
    await controller.stop();
    await killGroup(hung, bed.marker);
    await bed.hangHook(leader, 'secret-rotate', false);
    expect(await hooksOf(leader, 'secret-rotate')).toBe(1);

    controller = await bed.open({ secretClock: clock, secretCheckIntervalMs: 50 });
    await controller.settled({ timeoutMs: 20_000 });
    await new Promise((resolve) => setTimeout(resolve, 500)); // a few more secret checks
    await controller.settled({ timeoutMs: 20_000 });
    expect(await hooksOf(leader, 'secret-rotate')).toBe(2);
    // It added no revision: retried 5 minutes after the last rotate time, kept in the model.
    const retryAt = new Date(Date.parse(due) + 5 * 60_000).toISOString();
    expect(controller.model.secrets['d2000000000000000000']!.nextRotateTime).toBe(retryAt);

    // Another restart before that time fires nothing; once it is due, one rotation.
    await controller.stop();
    controller = await bed.open({ secretClock: clock, secretCheckIntervalMs: 50 });
    await new Promise((resolve) => setTimeout(resolve, 500));
    await controller.settled({ timeoutMs: 20_000 });
    expect(await hooksOf(leader, 'secret-rotate')).toBe(2);
    await controller.stop();
    controller = await bed.open({ secretClock: () => new Date(Date.now() + offsetMs + 5 * 60_000), secretCheckIntervalMs: 50 });
    await waitFor(async () => (await hooksOf(leader, 'secret-rotate')) === 3, 15_000);
    await controller.settled({ timeoutMs: 20_000 });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await hooksOf(leader, 'secret-rotate')).toBe(3);
  }, 120_000);
});
