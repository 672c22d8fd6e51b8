import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa, type ResultPromise } from 'execa';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ControllerClient } from '../../../sandbox/controller/controller-client.ts';
import { ControllerStateSchema } from '../../../sandbox/controller/controller-state.ts';
import { findOrphans, identifyDispatch, killOrphans, type RunningDispatch } from '../../../sandbox/controller/orphans.ts';
import { CONTROLLER_SOCKET } from '../../../sandbox/controller/protocol.ts';
import { hookEvent } from '../../../sandbox/controller/queued-event.ts';
import { groupMembers, killGroup, TestBed, waitFor } from './test-charm.ts';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const DAEMON = path.join(ROOT, 'sandbox', 'controller', 'daemon.ts');

let bed: TestBed;
const daemons: ResultPromise[] = [];
const clients: ControllerClient[] = [];
/** Process groups a test started, with the environment entry that marks them as its own. */
const groups: Array<{ pgid: number; marker: string }> = [];

beforeEach(async () => {
  bed = await TestBed.create();
});

afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  for (const daemon of daemons.splice(0)) {
    daemon.kill('SIGTERM');
    await daemon.catch(() => undefined);
  }
  for (const { pgid, marker } of groups.splice(0)) await killGroup(pgid, marker);
  await bed.cleanup();
});

/** A process group like a dispatch's: a shell leading it, with a child, and a context id. */
async function fakeDispatch(contextId: string): Promise<RunningDispatch> {
  const child = spawn('/bin/sh', ['-c', 'sleep 30 & wait'], { detached: true, stdio: 'ignore', env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', JUJU_CONTEXT_ID: contextId } });
  child.unref();
  const pid = child.pid!;
  groups.push({ pgid: pid, marker: `JUJU_CONTEXT_ID=${contextId}` });
  const identity = await identifyDispatch(pid);
  expect(identity).not.toBeNull();
  await waitFor(async () => (await groupMembers(pid)).length === 2);
  return { pid, ...identity!, contextId, event: hookEvent('a/0', 'install'), startedAt: new Date().toISOString() };
}

describe('orphaned dispatches', () => {
  it('are recognised by process group, start time and context id, and killed with their children', async () => {
    const record = await fakeDispatch('ctx-orphan-test');
    expect(await findOrphans({ ...record, contextId: 'another-context' })).toEqual([]);
    expect(await findOrphans({ ...record, startTicks: record.startTicks + 1_000_000 })).toEqual([]); // a pid reused later
    expect((await findOrphans(record)).sort()).toEqual((await groupMembers(record.pid)).sort());
    expect(await killOrphans(record)).toBe(2);
    await waitFor(async () => (await groupMembers(record.pid)).length === 0);
    expect(await findOrphans(record)).toEqual([]);
  });

  it('left by a SIGKILLed daemon are killed by the next one before it runs the hook again, once', { timeout: 90_000 }, async () => {
    const start = () => {
      const args = ['--import', 'tsx', DAEMON, '--state', bed.stateDir, '--retry-delay', '0.2', '--probe-interval', '0.05'];
      const daemon = execa(process.execPath, args, { cwd: ROOT, reject: false });
      daemons.push(daemon);
      return daemon;
    };
    const connect = async () => {
      const client = await ControllerClient.connect(path.join(bed.stateDir, CONTROLLER_SOCKET), { waitMs: 30_000 });
      clients.push(client);
      return client;
    };
    const first = start();
    const client = await connect();
    await client.deploy({ app: 'a', charmDir: bed.charmDir, units: 1, env: bed.env });
    await client.settled(30_000);

    await bed.hangHook('a/0', 'config-changed');
    await client.setConfig('a', { greeting: 'slow' });
    const hung = await bed.hungPid('a/0', 'config-changed');
    groups.push({ pgid: hung, marker: bed.marker });
    const saved = async () => ControllerStateSchema.parse(JSON.parse(await readFile(path.join(bed.stateDir, 'controller.json'), 'utf8')));
    await waitFor(async () => (await saved()).dispatches['a/0']?.pid === hung);
    const before = (await bed.sequence('a/0')).length;

    first.kill('SIGKILL');
    await first;
    expect((await groupMembers(hung)).length).toBe(2); // the shell and its sleep run on, orphaned
    await bed.hangHook('a/0', 'config-changed', false);

    start();
    const again = await connect();
    await again.settled(30_000);
    expect(await groupMembers(hung)).toEqual([]);
    expect((await bed.sequence('a/0')).slice(before)).toEqual(['config-changed']);
    const events = await again.events();
    const killed = events.find((e) => e.unit === 'a/0' && e.type === 'model' && e.what.startsWith('killed 2 processes of the "config-changed" hook'));
    const rerun = events.find((e) => e.unit === 'a/0' && e.type === 'started' && e.hook === 'config-changed');
    expect(killed).toBeDefined();
    expect(rerun).toBeDefined();
    expect(killed!.seq).toBeLessThan(rerun!.seq);
    expect((await again.status()).model.units['a/0']?.agentStatus.status).toBe('idle');
    await waitFor(async () => Object.keys((await saved()).dispatches).length === 0);
  });
});
