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

describe("a follower's secret-set of its application's secret", () => {
  it("fails the hook at commit with Juju's leadership error although the process exited 0; the leader's commits", async () => {
    controller = await bed.open({ retry: { initialMs: 60_000, maxMs: 60_000 } });
    await bed.deploy(controller, 'a', 2);
    await controller.settled({ timeoutMs: 20_000 });
    expect(controller.model.applications['a']?.leader).toBe('a/0');
    const now = new Date().toISOString();
    const id = 'd1000000000000000000';
    controller.model.secrets[id] = {
      id,
      owner: { kind: 'application', name: 'a' },
      label: 'creds',
      description: null,
      rotatePolicy: null,
      expireTime: null,
      nextRotateTime: null,
      revisions: [{ revision: 1, content: { password: 'djE=' }, createdAt: now, obsoleteNotified: false, expireTime: null }],
      grants: [],
      consumers: {},
      createdAt: now,
    };
    await bed.runInHook('a/1', 'config-changed', `secret-set secret:${id} password=changed || exit 7`);

    controller.setConfig('a', { greeting: 'x' });
    const failed = await nextEvent(controller, (e) => e.unit === 'a/1' && e.type === 'failed' && e.hook === 'config-changed');
    expect(failed.exitCode).toBe(0); // the tool passed; the commit refused it
    expect(controller.status().model.units['a/1']?.agentStatus).toMatchObject({ status: 'error', message: 'hook failed: "config-changed"' });
    expect(controller.model.secrets[id]!.revisions).toHaveLength(1);
    await controller.debugLog.flush();
    const lines = (await readDebugLog(path.join(bed.stateDir, 'logs'), 'a/1')).map((e) => e.line);
    expect(lines).toContainEqual(expect.stringMatching(/^"config-changed" hook \(via hook dispatching script: dispatch\) failed: updating secrets: "a\/1" is not leader of "a" \(\d+ ms\)$/));

    // The leader doing the same commits a new revision.
    await bed.runInHook('a/1', 'config-changed', null);
    controller.resolve('a/1', { retry: false });
    await bed.runInHook('a/0', 'config-changed', `secret-set secret:${id} password=changed || exit 7`);
    controller.setConfig('a', { greeting: 'y' });
    await controller.settled({ timeoutMs: 20_000 });
    expect(controller.model.secrets[id]!.revisions).toHaveLength(2);
    expect(controller.status().model.units['a/1']?.agentStatus.status).toBe('idle');
  });
});
