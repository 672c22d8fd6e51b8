import { existsSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ControllerClient } from '../../../sandbox/controller/controller-client.ts';
import { ControllerStateSchema } from '../../../sandbox/controller/controller-state.ts';
import { CONTROLLER_SOCKET } from '../../../sandbox/controller/protocol.ts';
import { isClean, listLeftovers } from '../../../sandbox/pods/index.ts';
import { SandboxPaths } from '../../../sandbox/runtime/paths.ts';
import { isAlive, readPid } from '../../../sandbox/runtime/processes.ts';
import type { SandboxSettings } from '../../../sandbox/runtime/settings.ts';
import { destroyEverything } from '../../../sandbox/runtime/teardown.ts';
import { type CliResult, eventually, newStateDir, processesMentioning, randomSubnet, readJson, runCli } from '../sandbox-cli/helpers.ts';
import { APP, ARCHIVE_LOCATION, groupMembers, innermostPid, packRecoveryCharm, pebblePid, RecoveryCharm } from './helpers.ts';

// The sandbox's answers to failures, driven through its CLI with a small test charm: pods whose
// processes are all killed (one, or all at once as a node restart would), and a daemon SIGKILLed
// in the middle of a hook. The steps build on each other, in one sandbox.
const U0 = `${APP}/0`;
const U1 = `${APP}/1`;
let workDir: string;
let stateDir: string;
let charmFile: string;
let charm: RecoveryCharm;
let settings: SandboxSettings;
const cli = (...args: string[]): Promise<CliResult> => runCli(stateDir, args, 300_000);

async function client(): Promise<ControllerClient> {
  return ControllerClient.connect(path.join(stateDir, CONTROLLER_SOCKET), { waitMs: 60_000 });
}

beforeAll(async () => {
  workDir = await newStateDir();
  stateDir = path.join(workDir, 'state');
  charmFile = await packRecoveryCharm(workDir);
  charm = new RecoveryCharm(stateDir);
});

afterAll(async () => {
  // Whatever a failed step left behind goes too, hooks included (they run in the pods).
  if (stateDir && existsSync(stateDir)) await destroyEverything(new SandboxPaths(stateDir));
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

describe('sandbox recovery', () => {
  it('deploys two units of the test charm', async () => {
    let deploy: CliResult | undefined;
    for (let attempt = 0; attempt < 5; attempt++) {
      deploy = await cli('deploy', '--units', '2', '--subnet', randomSubnet(), '--timeout', '4m', charmFile);
      if (deploy.exitCode === 0 || !deploy.stderr.includes('overlaps')) break;
    }
    expect(deploy?.exitCode, deploy?.stderr).toBe(0);
    settings = await readJson<SandboxSettings>(path.join(stateDir, 'sandbox.json'));
    for (const unit of [U0, U1]) expect(await charm.started(unit, 'workload-pebble-ready')).toBe(1);
  });

  it('reports storage locations that exist inside the unit\'s own pod', async () => {
    for (const unit of [U0, U1]) {
      const locations = (await charm.records(unit)).filter((r) => r.kind === 'location').map((r) => r.value).sort();
      expect(locations).toEqual([ARCHIVE_LOCATION, '/var/lib/postgresql/data']);
      for (const location of locations) {
        const test = await cli('ssh', unit, 'test', '-d', location);
        expect(test.exitCode, `${unit} ${location}: ${test.stderr}`).toBe(0);
      }
    }
    // Each pod has a directory of its own there.
    expect((await cli('ssh', U0, 'touch', `${ARCHIVE_LOCATION}/only-in-0`)).exitCode).toBe(0);
    expect((await cli('ssh', U0, 'test', '-e', `${ARCHIVE_LOCATION}/only-in-0`)).exitCode).toBe(0);
    expect((await cli('ssh', U1, 'test', '-e', `${ARCHIVE_LOCATION}/only-in-0`)).exitCode).toBe(1);
  });

  it('kill-pod kills everything in the pod, a running hook too; Pebble comes back and pebble-ready fires again', async () => {
    const pebbles = { u0: await pebblePid(stateDir, U0), u1: await pebblePid(stateDir, U1) };
    expect(pebbles.u0).not.toBeNull();
    await charm.slow(U0, 'config-changed');
    const daemon = await client();
    let hook: number | null;
    let dispatch = 0;
    try {
      await daemon.setConfig(APP, { greeting: 'slow on 0' });
      hook = await eventually(() => charm.slowPid(U0, 'config-changed'), (pid) => pid !== null, 60_000);
      expect(hook).not.toBeNull();
      await charm.slow(U0, 'config-changed', false); // its retry, after the kill, is quick
      // The dispatch's process group on the host (nsenter's pid; the hook's shell is in it).
      const saved = async () => ControllerStateSchema.parse(JSON.parse(await readFile(path.join(stateDir, 'controller.json'), 'utf8')));
      dispatch = (await eventually(saved, (s) => s.dispatches[U0] !== undefined)).dispatches[U0]!.pid;
      expect((await Promise.all((await groupMembers(dispatch)).map((pid) => innermostPid(pid))))).toContain(hook);

      const killed = await cli('chaos', 'kill-pod', U0, '--timeout', '4m');
      expect(killed.exitCode, killed.stderr).toBe(0);
      expect(killed.stderr).toMatch(/killed \d+ processes in recovery-test\/0/);
      expect(killed.stderr).toContain(`${U0}: running workload-pebble-ready`);
    } finally {
      daemon.close();
    }
    expect(await groupMembers(dispatch)).toEqual([]); // the sleeping hook died with the pod
    expect(await isAlive(pebbles.u0!)).toBe(false);
    const restarted = await pebblePid(stateDir, U0);
    expect(restarted).not.toBeNull();
    expect(restarted).not.toBe(pebbles.u0);
    expect(await charm.started(U0, 'workload-pebble-ready')).toBe(2);
    // The killed hook was retried, and the other pod was left alone.
    expect((await charm.records(U0)).filter((r) => r.kind === 'end' && r.subject === 'config-changed').length).toBe(2);
    expect(await pebblePid(stateDir, U1)).toBe(pebbles.u1);
    expect(await charm.started(U1, 'workload-pebble-ready')).toBe(1);
    const log = await cli('debug-log', '--replay', '--unit', U0, '--no-workload');
    expect(log.stdout).toContain('workload container workload restarted');
    expect(log.stdout).toMatch(/"config-changed" hook \(via hook dispatching script: dispatch\) failed: killed by SIGKILL/);
  });

  it('kill-all-pods (a node restart) brings every unit\'s Pebble back with a pebble-ready', async () => {
    const before = { u0: await pebblePid(stateDir, U0), u1: await pebblePid(stateDir, U1) };
    const killed = await cli('chaos', 'kill-all-pods', '--timeout', '4m');
    expect(killed.exitCode, killed.stderr).toBe(0);
    expect(killed.stderr).toContain('in every pod');
    for (const [unit, pid, readies] of [[U0, before.u0, 3], [U1, before.u1, 2]] as const) {
      expect(await isAlive(pid!)).toBe(false);
      const now = await pebblePid(stateDir, unit);
      expect(now).not.toBeNull();
      expect(now).not.toBe(pid);
      expect(await charm.started(unit, 'workload-pebble-ready')).toBe(readies);
    }
    const status = JSON.parse((await cli('status', '--format', 'json')).stdout) as { applications: Record<string, { units: Record<string, { 'juju-status': { current: string } }> }> };
    for (const unit of [U0, U1]) expect(status.applications[APP]!.units[unit]!['juju-status'].current).toBe('idle');
  });

  it('a daemon SIGKILLed during a slow hook: the next one kills the orphan and runs the hook once more', async () => {
    const paths = new SandboxPaths(stateDir);
    await charm.slow(U1, 'config-changed');
    const first = await client();
    let hook: number | null;
    let dispatch = 0;
    try {
      await first.setConfig(APP, { greeting: 'slow on 1' });
      hook = await eventually(() => charm.slowPid(U1, 'config-changed'), (pid) => pid !== null, 60_000);
      expect(hook).not.toBeNull();
      // Saved with the controller's state before the crash. The dispatch it records is nsenter's
      // pid on the host (entering the pod's PID namespace forks); the hook's shell, in that
      // process group, knows itself by its pid inside the pod.
      const saved = async () => ControllerStateSchema.parse(JSON.parse(await readFile(path.join(stateDir, 'controller.json'), 'utf8')));
      dispatch = (await eventually(saved, (s) => s.dispatches[U1] !== undefined)).dispatches[U1]!.pid;
      const inPod = await Promise.all((await groupMembers(dispatch)).map((pid) => innermostPid(pid)));
      expect(inPod).toContain(hook);
    } finally {
      first.close();
    }
    const startedBefore = await charm.started(U1, 'config-changed');
    const daemon = await readPid(paths.daemonPid);
    process.kill(daemon!, 'SIGKILL');
    expect(await eventually(() => isAlive(daemon!), (alive) => !alive)).toBe(false);
    expect((await groupMembers(dispatch)).length).toBe(3); // nsenter, the hook's shell and its sleep, orphaned
    await charm.slow(U1, 'config-changed', false);

    const status = await cli('status');
    expect(status.stderr).toContain('the sandbox daemon was not running: started it again');
    const second = await client();
    try {
      await second.settled(120_000);
      const events = await second.events();
      const killed = events.find((e) => e.unit === U1 && e.type === 'model' && e.what.includes(`dispatch (pid ${dispatch})`));
      const rerun = events.find((e) => e.unit === U1 && e.type === 'started' && e.hook === 'config-changed');
      expect(killed?.what).toMatch(/^killed 3 processes of the "config-changed" hook's dispatch/);
      expect(killed!.seq).toBeLessThan(rerun!.seq);
    } finally {
      second.close();
    }
    expect(await groupMembers(dispatch)).toEqual([]);
    expect(await charm.started(U1, 'config-changed')).toBe(startedBefore + 1);
    const ends = (await charm.records(U1)).filter((r) => r.kind === 'end' && r.subject === 'config-changed');
    expect(ends.map((r) => r.value)).not.toContain(String(hook));
  });

  it('destroy leaves nothing behind', async () => {
    const destroyed = await cli('destroy');
    expect(destroyed.exitCode, destroyed.stderr).toBe(0);
    expect(existsSync(stateDir)).toBe(false);
    const left = await listLeftovers(settings.sandboxId, stateDir);
    expect(isClean(left), JSON.stringify(left)).toBe(true);
    expect(await eventually(() => processesMentioning(stateDir), (p) => p.length === 0)).toEqual([]);
  });
});
