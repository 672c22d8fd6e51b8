import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa, type ResultPromise } from 'execa';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ControllerClient } from '../../../sandbox/controller/controller-client.ts';
import { ControllerRemoteError } from '../../../sandbox/controller/errors.ts';
import { CONTROLLER_SOCKET } from '../../../sandbox/controller/protocol.ts';
import { TestBed } from './test-charm.ts';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const DAEMON = path.join(ROOT, 'sandbox', 'controller', 'daemon.ts');

let bed: TestBed;
const daemons: ResultPromise[] = [];
const clients: ControllerClient[] = [];

beforeEach(async () => {
  bed = await TestBed.create();
});

afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  for (const daemon of daemons.splice(0)) {
    // SIGTERM lets the daemon stop its hooks; execa sends SIGKILL 5 s later if it has not exited.
    daemon.kill('SIGTERM');
    await daemon.catch(() => undefined);
  }
  await bed.cleanup();
});

function startDaemon(): ResultPromise {
  // One process (node with tsx's loader), so that killing it leaves nothing behind.
  const args = ['--import', 'tsx', DAEMON, '--state', bed.stateDir, '--retry-delay', '0.2', '--probe-interval', '0.05'];
  const daemon = execa(process.execPath, args, { cwd: ROOT, reject: false });
  daemons.push(daemon);
  return daemon;
}

async function connect(): Promise<ControllerClient> {
  const client = await ControllerClient.connect(path.join(bed.stateDir, CONTROLLER_SOCKET), { waitMs: 30_000 });
  clients.push(client);
  return client;
}

describe('controller daemon', () => {
  it('serves the CLI over its socket, and a restarted daemon resumes from the state dir', { timeout: 90_000 }, async () => {
    const first = startDaemon();
    const client = await connect();
    expect(await client.ping()).toBe('pong');

    expect(await client.deploy({ app: 'a', charmDir: bed.charmDir, units: 2, env: bed.env })).toEqual(['a/0', 'a/1']);
    await client.settled(30_000);
    const status = await client.status();
    expect(status.units['a/0']).toMatchObject({ phase: 'ready', queue: [] });
    expect(status.model.units['a/1']?.agentStatus.status).toBe('idle');

    const action = await client.runAction('a/1', 'echo', { text: 'over the wire' });
    expect(action).toMatchObject({ status: 'completed', results: { echoed: 'over the wire' } });
    const refused = await client.runAction('a/1', 'nope').catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(ControllerRemoteError);
    expect((refused as ControllerRemoteError).code).toBe('sandbox-model-invalid');
    const events = await client.events();
    expect(events.some((e) => e.unit === 'a/1' && e.type === 'succeeded' && e.action === 'echo')).toBe(true);
    expect((await client.events(events.at(-1)!.seq)).length).toBe(0);

    await client.shutdown();
    expect((await first).exitCode).toBe(0);

    startDaemon();
    const again = await connect();
    const resumed = await again.status();
    expect(Object.keys(resumed.model.units)).toEqual(['a/0', 'a/1']);
    expect(resumed.units['a/1']?.phase).toBe('ready');
    expect(await again.setConfig('a', { greeting: 'after restart' })).toEqual(['greeting']);
    await again.settled(30_000);
    for (const unit of ['a/0', 'a/1']) {
      const sequence = await bed.sequence(unit);
      expect(sequence.filter((h) => h === 'install')).toHaveLength(1);
      expect(sequence.at(-1)).toBe('config-changed');
    }
  });
});
