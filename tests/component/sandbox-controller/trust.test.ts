import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Controller } from '../../../sandbox/controller/controller.ts';
import type { ModelCluster, ServiceStatus } from '../../../sandbox/controller/runtime.ts';
import { TestBed } from './test-charm.ts';

// `juju trust`: the application setting changes, the cluster (the sandbox's Kubernetes
// stand-in) is told, and every unit runs config-changed as Juju's uniter does when the trust
// hash changes; the cluster learns of applications on deploy and again when a controller reopens.

class RecordingCluster implements ModelCluster {
  readonly calls: string[] = [];
  applicationDeployed(app: string, trusted: boolean): void {
    this.calls.push(`deployed ${app} ${trusted}`);
  }
  trustChanged(app: string, trusted: boolean): void {
    this.calls.push(`trust ${app} ${trusted}`);
  }
  services(): ServiceStatus[] {
    return [{ name: 'a-primary', namespace: 'm', type: 'ClusterIP', clusterIP: '10.152.183.9', selector: { role: 'primary' }, ports: ['5432/tcp'], endpoints: [] }];
  }
}

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

describe('trust', () => {
  it('tells the cluster, runs config-changed on every unit, and is kept in the model', async () => {
    const cluster = new RecordingCluster();
    controller = await bed.open({ cluster });
    await bed.deploy(controller, 'a', 2);
    await controller.settled({ timeoutMs: 20_000 });
    expect(cluster.calls).toEqual(['deployed a false']);
    const before = { a0: (await bed.sequence('a/0')).length, a1: (await bed.sequence('a/1')).length };

    expect(controller.trust('a')).toBe(true);
    await controller.settled({ timeoutMs: 20_000 });
    expect((await bed.sequence('a/0')).slice(before.a0)).toEqual(['config-changed']);
    expect((await bed.sequence('a/1')).slice(before.a1)).toEqual(['config-changed']);
    expect(controller.status().model.applications['a']!.trusted).toBe(true);
    expect(controller.status().services?.map((s) => s.name)).toEqual(['a-primary']);
    // Trusting again changes nothing and runs no hook.
    expect(controller.trust('a')).toBe(false);
    await controller.settled({ timeoutMs: 20_000 });
    expect((await bed.sequence('a/0')).slice(before.a0)).toEqual(['config-changed']);
    expect(() => controller!.trust('nope')).toThrow(/application "nope" not found/);

    await controller.stop();
    const reopened = new RecordingCluster();
    controller = await bed.open({ cluster: reopened });
    expect(reopened.calls).toEqual(['deployed a true']);
  });
});
