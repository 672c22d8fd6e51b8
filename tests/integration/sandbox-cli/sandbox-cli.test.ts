import { execa } from 'execa';
import { existsSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isClean, listLeftovers, listPods, namePrefix } from '../../../sandbox/pods/index.ts';
import { SandboxPaths } from '../../../sandbox/runtime/paths.ts';
import { isAlive, readPid } from '../../../sandbox/runtime/processes.ts';
import type { SandboxSettings } from '../../../sandbox/runtime/settings.ts';
import { destroyEverything } from '../../../sandbox/runtime/teardown.ts';
import {
  type CliResult,
  eventually,
  newStateDir,
  packTestCharm,
  parseStatus,
  processesMentioning,
  randomSubnet,
  readJson,
  runCli,
  UNHANDLED_ACTION,
} from './helpers.ts';

// The sandbox driven through its CLI, as a user would: real pods, Pebbles, etcd and the real
// charm (packed), one state dir and subnet of its own. The steps build on each other.
const APP = 'postgresql-k8s';
let workDir: string;
let stateDir: string;
let charmFile: string;
let settings: SandboxSettings;
const cli = (...args: string[]): Promise<CliResult> => runCli(stateDir, args);

interface ModelFile {
  applications: Record<string, { leader: string | null }>;
  units: Record<string, { workloadStatus: { status: string; message: string }; address: string }>;
}

beforeAll(async () => {
  workDir = await newStateDir();
  stateDir = path.join(workDir, 'state');
  charmFile = await packTestCharm(workDir);
});

afterAll(async () => {
  // Whatever a failed step left behind goes too (destroy is also what the last test checks).
  if (stateDir && existsSync(stateDir)) await destroyEverything(new SandboxPaths(stateDir));
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

describe('sandbox CLI', () => {
  it('deploys two units of the packed charm and follows their hooks until the model settles', async () => {
    let deploy: CliResult | undefined;
    for (let attempt = 0; attempt < 5; attempt++) {
      // etcd explicitly: this file checks etcd is adopted and stopped (the default is Kubernetes).
      deploy = await cli('deploy', '--units', '2', '--subnet', randomSubnet(), '--dcs', 'etcd', '--timeout', '3m', charmFile);
      if (deploy.exitCode === 0 || !deploy.stderr.includes('overlaps')) break;
    }
    expect(deploy?.stderr).toContain('postgresql-k8s/1: running install');
    expect(deploy?.exitCode, deploy?.stderr).toBe(0);
    expect(deploy?.stderr).toMatch(/settled after/);
    settings = await readJson<SandboxSettings>(path.join(stateDir, 'sandbox.json'));
    expect(settings.subnet).toMatch(/^10\.213\.\d+\.0\/24$/);
  });

  it('shows both units in status json: addresses on the subnet, the leader, the status the charm set', async () => {
    const status = parseStatus(await cli('status', '--format', 'json'));
    const app = status.applications[APP]!;
    expect(app.scale).toBe(2);
    expect(Object.keys(app.units).sort()).toEqual(['postgresql-k8s/0', 'postgresql-k8s/1']);
    const net = settings.subnet!.replace(/0\/24$/, '');
    expect(app.units['postgresql-k8s/0']!.address).toBe(`${net}10`);
    expect(app.units['postgresql-k8s/1']!.address).toBe(`${net}11`);
    // Leadership goes to whichever unit claims it first, as in Juju: exactly that unit is marked.
    const model = await readJson<ModelFile>(path.join(stateDir, 'model.json'));
    const leader = model.applications[APP]!.leader!;
    expect(['postgresql-k8s/0', 'postgresql-k8s/1']).toContain(leader);
    for (const name of Object.keys(app.units)) expect(app.units[name]!.leader).toBe(name === leader ? true : undefined);
    for (const [name, unit] of Object.entries(app.units)) {
      expect(unit['juju-status'].current).toBe('idle');
      const set = model.units[name]!.workloadStatus;
      // The charm replaced the agent's initial "waiting: installing agent" with its own status.
      expect(set).not.toEqual({ status: 'waiting', message: 'installing agent' });
      expect(unit['workload-status']).toMatchObject({ current: set.status, ...(set.message ? { message: set.message } : {}) });
    }
    const table = await cli('status');
    expect(table.stdout).toMatch(new RegExp(`^${leader.replace('/', '\\/')}\\*\\s`, 'm'));
    expect(table.stdout).toContain(`${net}11`);
  });

  it('runs commands inside a unit\'s pod with ssh', async () => {
    const host = await cli('ssh', 'postgresql-k8s/1', 'hostname');
    expect(host.exitCode, host.stderr).toBe(0);
    expect(host.stdout.trim()).toBe('postgresql-k8s-1');
    const peer = await cli('ssh', 'postgresql-k8s/1', '--', 'getent', 'hosts', 'postgresql-k8s-0.postgresql-k8s-endpoints');
    expect(peer.stdout).toContain(`${settings.subnet!.replace(/0\/24$/, '')}10`);
    const pebble = await cli('ssh', 'postgresql-k8s/0', 'test', '-S', '/charm/containers/postgresql/pebble.socket');
    expect(pebble.exitCode).toBe(0);
    expect((await cli('ssh', 'postgresql-k8s/0', 'false')).exitCode).toBe(1);
  });

  it('runs an action the charm does not handle as Juju does (completed, no results) and refuses an unknown one', async () => {
    const unhandled = await cli('run', 'postgresql-k8s/0', UNHANDLED_ACTION, '--format', 'json');
    expect(unhandled.exitCode, unhandled.stderr).toBe(0);
    const task = (JSON.parse(unhandled.stdout) as Record<string, { status: string; results: Record<string, unknown> }>)['postgresql-k8s/0']!;
    expect(task.status).toBe('completed');
    // Juju's reserved keys only: the exit code and whatever the dispatch printed.
    expect(task.results['return-code']).toBe(0);
    expect(Object.keys(task.results).filter((k) => !['return-code', 'stdout', 'stderr'].includes(k))).toEqual([]);
    const plain = await cli('run', 'postgresql-k8s/1', UNHANDLED_ACTION);
    expect(plain.exitCode).toBe(0);
    expect(plain.stdout).toBe('');
    expect(plain.stderr).toContain('Waiting for task');
    const unknown = await cli('run', 'postgresql-k8s/0', 'no-such-action');
    expect(unknown.exitCode).toBe(1);
    expect(unknown.stderr).toContain('ERROR action "no-such-action" not defined on unit "postgresql-k8s/0"');
  });

  it('reports the stuck unit, its status and its debug log when --wait times out', async () => {
    const added = await cli('add-unit', '--wait', '--timeout', '2s');
    expect(added.exitCode).toBe(1);
    expect(added.stderr).toContain('added postgresql-k8s/2');
    expect(added.stderr).toMatch(/ERROR timed out after [\d.]+s waiting for every unit of postgresql-k8s to be active and idle/);
    expect(added.stderr).toMatch(/ {2}postgresql-k8s\/2: workload \w+/);
  });

  it('removes a unit: its hooks run, it leaves the model and its pod is destroyed', async () => {
    const removed = await cli('remove-unit', 'postgresql-k8s/2');
    expect(removed.exitCode, removed.stderr).toBe(0);
    expect(removed.stderr).toContain('postgresql-k8s/2: running remove');
    expect(removed.stderr).toContain('postgresql-k8s/2 removed (pod postgresql-k8s-2 destroyed)');
    expect((await listPods(stateDir)).map((p) => p.name)).toEqual(['postgresql-k8s-0', 'postgresql-k8s-1']);
    const status = parseStatus(await cli('status', '--format', 'json'));
    expect(Object.keys(status.applications[APP]!.units).sort()).toEqual(['postgresql-k8s/0', 'postgresql-k8s/1']);
  });

  it('recovers from a SIGKILLed daemon on the next command, with the workloads still running', async () => {
    const paths = new SandboxPaths(stateDir);
    const daemon = await readPid(paths.daemonPid);
    expect(daemon).not.toBeNull();
    const pebbles = await processesMentioning(path.join(stateDir, 'pebble'));
    // Each Pebble, and the nsenter that entered its pod's PID namespace (which forks) and waits for it.
    expect(pebbles.filter((p) => !/^\d+ (\S*\/)?nsenter /.test(p))).toHaveLength(2);
    process.kill(daemon!, 'SIGKILL');
    expect(await eventually(() => isAlive(daemon!), (alive) => !alive)).toBe(false);

    const after = await cli('status', '--format', 'json');
    expect(after.stderr).toContain('the sandbox daemon was not running: started it again');
    expect(Object.keys(parseStatus(after).applications[APP]!.units).sort()).toEqual(['postgresql-k8s/0', 'postgresql-k8s/1']);
    const restarted = await readPid(paths.daemonPid);
    expect(restarted).not.toBe(daemon);
    expect(await isAlive(restarted!)).toBe(true);
    // The same Pebbles (and etcd) were adopted, not started again.
    expect(await processesMentioning(path.join(stateDir, 'pebble'))).toEqual(pebbles);
  });

  it('fires config-changed on every unit for a config change, visible in debug-log', async () => {
    const ranConfigChanged = async (unit: string) =>
      (await cli('debug-log', '--replay', '--unit', unit)).stdout.split('\n').filter((l) => l.includes('ran "config-changed" hook')).length;
    const before = await ranConfigChanged('postgresql-k8s/0');
    expect(before).toBeGreaterThanOrEqual(1);
    const changed = await cli('config', 'connection_authentication_timeout=30');
    expect(changed.exitCode, changed.stderr).toBe(0);
    expect(changed.stderr).toContain('changed connection_authentication_timeout');
    expect(await ranConfigChanged('postgresql-k8s/0')).toBe(before + 1);
    expect(await ranConfigChanged('postgresql-k8s/1')).toBeGreaterThanOrEqual(before + 1);
    expect((await cli('config', 'connection_authentication_timeout')).stdout.trim()).toBe('30');
    const log = await cli('debug-log', '--unit', 'postgresql-k8s/1', '--lines', '3');
    expect(log.stdout.split('\n').filter((l) => l !== '').every((l) => l.startsWith('unit-postgresql-k8s-1: '))).toBe(true);
  });

  it('destroys everything: processes, namespaces, links, mounts and the state dir', async () => {
    const destroyed = await cli('destroy');
    expect(destroyed.exitCode, destroyed.stderr).toBe(0);
    expect(destroyed.stderr).toMatch(/daemon stopped; 2 Pebbles stopped; etcd stopped/);
    expect(existsSync(stateDir)).toBe(false);
    const left = await listLeftovers(settings.sandboxId, stateDir);
    expect(isClean(left), JSON.stringify(left)).toBe(true);
    const prefix = namePrefix(settings.sandboxId);
    expect((await execa('ip', ['netns', 'list'])).stdout).not.toContain(prefix);
    expect((await execa('ip', ['link', 'show'])).stdout).not.toContain(prefix);
    expect(await readFile('/proc/mounts', 'utf8')).not.toContain(stateDir);
    expect(await eventually(() => processesMentioning(stateDir), (p) => p.length === 0)).toEqual([]);
    expect((await cli('status')).stderr).toContain('ERROR no sandbox in');
  });
});
