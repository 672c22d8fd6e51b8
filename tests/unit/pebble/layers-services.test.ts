import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ChangeError, PebbleApiError, type Layer } from '../../../src/pebble/index.ts';
import { startRealPebble, type RealPebble } from './support/real-server.ts';

/** Layers, plan, services, signals and changes against the sandbox's real Pebble server. */

let pebble: RealPebble;
beforeEach(async () => {
  pebble = await startRealPebble();
});
afterEach(async () => {
  await pebble.stop();
});

async function apiError(promise: Promise<unknown>): Promise<PebbleApiError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(PebbleApiError);
  return error as PebbleApiError;
}

const sleeperLayer: Layer = {
  summary: 'sleeper layer',
  services: {
    sleeper: { override: 'replace', command: '/bin/sleep 30', startup: 'enabled', environment: { A: '1' } },
  },
};

describe('system', () => {
  it('connects and reads system info', async () => {
    expect(await pebble.client.canConnect()).toBe(true);
    const info = await pebble.client.systemInfo();
    expect(info.version).toMatch(/^\d+\.\d+/);
    expect(info.bootId).not.toBe('');
    expect(await pebble.client.health()).toBe(true); // no checks ⇒ healthy
  });
});

describe('layers and plan', () => {
  it('round-trips a layer object through YAML and the plan', async () => {
    const { client } = pebble;
    expect(await client.plan()).toEqual({ services: {}, checks: {}, 'log-targets': {}, extensions: {} });
    await client.addLayer('base', sleeperLayer);
    const plan = await client.plan();
    expect(plan.services).toEqual({
      sleeper: { override: 'replace', command: '/bin/sleep 30', startup: 'enabled', environment: { A: '1' } },
    });
    expect(await client.planYaml()).not.toContain('sleeper layer'); // summaries never reach the plan
  });

  it('merges a combined layer into the existing one and keeps the first override', async () => {
    const { client } = pebble;
    await client.addLayer('base', sleeperLayer);
    await client.addLayer('base', { services: { sleeper: { override: 'merge', environment: { B: '2' } } } }, { combine: true });
    expect((await client.plan()).services['sleeper']).toEqual({
      override: 'replace',
      command: '/bin/sleep 30',
      startup: 'enabled',
      environment: { A: '1', B: '2' },
    });
  });

  it('surfaces Pebble layer errors with their exact messages', async () => {
    const { client } = pebble;
    await client.addLayer('base', sleeperLayer);
    const duplicate = await apiError(client.addLayer('base', sleeperLayer));
    expect(duplicate.status).toBe(400);
    expect(duplicate.message).toBe('layer "base" already exists');

    const noOverride = await apiError(client.addLayer('second', 'services:\n  s:\n    command: /bin/sleep 1\n'));
    expect(noOverride.message).toBe('layer "second" must define "override" for service "s"');

    const syntax = await apiError(client.addLayer('third', 'services: [unclosed\n'));
    expect(syntax.status).toBe(400);
    expect(syntax.message).toMatch(/^cannot parse layer YAML: cannot parse layer "third": yaml: /);

    const noCommand = await apiError(client.addLayer('fourth', { services: { lonely: { override: 'replace' } } }));
    expect(noCommand.message).toBe('plan must define "command" for service "lonely"');
    expect(Object.keys((await client.plan()).services)).toEqual(['sleeper']); // failed adds change nothing
  });
});

describe('services', () => {
  it('starts, lists, restarts and stops a real process', async () => {
    const { client } = pebble;
    await client.addLayer('base', sleeperLayer);
    expect(await client.services()).toEqual([{ name: 'sleeper', startup: 'enabled', current: 'inactive' }]);

    const startId = await client.start(['sleeper']);
    const [running] = await client.services(['sleeper', 'unknown']);
    expect(running).toMatchObject({ name: 'sleeper', current: 'active' });
    expect(running!.currentSince).toMatch(/^\d{4}-\d\d-\d\dT/);

    const started = await client.change(startId);
    expect(started).toMatchObject({ id: startId, kind: 'start', status: 'Done', ready: true });
    expect((await client.changes({ select: 'all', service: 'sleeper' })).map((c) => c.id)).toContain(startId);

    await client.restart(['sleeper']);
    expect((await client.services(['sleeper']))[0]!.current).toBe('active');
    await client.stop(['sleeper']);
    expect((await client.services(['sleeper']))[0]!.current).toBe('inactive');
  });

  it('replans enabled services, and autostart fails with no-default-services when none are', async () => {
    const { client } = pebble;
    const none = await apiError(client.autostart());
    expect(none.status).toBe(400);
    expect(none.kind).toBe('no-default-services');
    expect(none.message).toBe('no default services');

    await client.addLayer('base', sleeperLayer);
    const id = await client.replan();
    expect((await client.change(id)).kind).toBe('replan');
    expect((await client.services())[0]!.current).toBe('active');
  });

  it('turns a service that exits at once into ChangeError with Pebble\'s err', async () => {
    const { client } = pebble;
    await client.addLayer('base', { services: { quitter: { override: 'replace', command: '/bin/sh -c "exit 3"' } } });
    const error = await client.start(['quitter']).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ChangeError);
    const changeError = error as ChangeError;
    expect(changeError.err).toMatch(/^cannot perform the following tasks:\n- Start service "quitter" \(.*exited quickly with code 3/);
    expect(changeError.change.status).toBe('Error');
  });

  it('reports bad service requests as 400s with Pebble\'s messages', async () => {
    const { client } = pebble;
    await client.addLayer('base', sleeperLayer);
    expect((await apiError(client.start(['foo']))).message).toBe('cannot start services: service "foo" does not exist');
    expect((await apiError(client.stop(['foo']))).message).toBe('cannot stop services: service "foo" does not exist');
    expect((await apiError(client.start([]))).message).toBe('must specify services for start action');
  });

  it('signals a running service and refuses a stopped one', async () => {
    const { client } = pebble;
    const marks = await mkdtemp(join(tmpdir(), 'pebble-signal-'));
    try {
      const mark = join(marks, 'got-hup');
      await client.addLayer('base', {
        services: {
          trapper: { override: 'replace', command: `/bin/sh -c 'trap "touch ${mark}" HUP; while :; do sleep 0.05; done'` },
        },
      });
      const stopped = await apiError(client.sendSignal('SIGHUP', ['trapper']));
      expect(stopped.status).toBe(500);
      expect(stopped.message).toBe('cannot send signal to "trapper": service is not running');

      await client.start(['trapper']);
      await client.sendSignal(1, ['trapper']); // numbers are converted to names (1 = SIGHUP)
      const deadline = Date.now() + 3_000;
      while (!existsSync(mark) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
      expect(existsSync(mark)).toBe(true);
    } finally {
      await rm(marks, { recursive: true, force: true });
    }
  });
});

describe('changes', () => {
  it('reports unknown changes and refuses to abort a finished one', async () => {
    const { client } = pebble;
    const unknown = await apiError(client.change('999'));
    expect(unknown.status).toBe(404);
    expect(unknown.message).toBe('cannot find change with id "999"');
    expect((await apiError(client.waitChange('999'))).status).toBe(404);

    await client.addLayer('base', sleeperLayer);
    const id = await client.start(['sleeper']);
    const finished = await apiError(client.abortChange(id));
    expect(finished.status).toBe(400);
    expect(finished.message).toBe(`cannot abort change ${id} with nothing pending`);
    await client.stop(['sleeper']);
  });

  it('returns immediately with timeoutMs 0 and the change can be awaited later', async () => {
    const { client } = pebble;
    await client.addLayer('base', sleeperLayer);
    const id = await client.start(['sleeper'], { timeoutMs: 0 });
    const change = await client.waitChange(id, { timeoutMs: 10_000 });
    expect(change).toMatchObject({ id, ready: true, status: 'Done' });
    await client.stop(['sleeper']);
  });
});
