import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ChangeError, PebbleApiError, type Layer } from '../../../src/pebble/index.ts';
import { startRealPebble, type RealPebble } from '../../unit/pebble/support/real-server.ts';

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
  it('connects', async () => {
    expect(await pebble.client.canConnect()).toBe(true);
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
    expect(JSON.stringify(plan)).not.toContain('sleeper layer'); // summaries never reach the plan
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
  it('restarts (starting an inactive service), lists, replans and stops a real process', async () => {
    const { client } = pebble;
    await client.addLayer('base', sleeperLayer);
    expect(await client.services()).toEqual([{ name: 'sleeper', startup: 'enabled', current: 'inactive' }]);

    const restartId = await client.restart(['sleeper']);
    const [running] = await client.services(['sleeper', 'unknown']);
    expect(running).toMatchObject({ name: 'sleeper', current: 'active' });
    expect(running!.currentSince).toMatch(/^\d{4}-\d\d-\d\dT/);
    const [restarted] = (await client.changes({ select: 'all', service: 'sleeper' })).filter((c) => c.id === restartId);
    expect(restarted).toMatchObject({ id: restartId, kind: 'restart', status: 'Done', ready: true });

    await client.stop(['sleeper']);
    expect((await client.services(['sleeper']))[0]!.current).toBe('inactive');
    const replanId = await client.replan();
    expect((await client.changes({ select: 'all' })).find((c) => c.id === replanId)?.kind).toBe('replan');
    expect((await client.services())[0]!.current).toBe('active');
    await client.stop(['sleeper'], { timeoutMs: 0 });
  });

  it('turns a service that exits at once into ChangeError with Pebble\'s err', async () => {
    const { client } = pebble;
    await client.addLayer('base', { services: { quitter: { override: 'replace', command: '/bin/sh -c "exit 3"' } } });
    const error = await client.restart(['quitter']).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ChangeError);
    const changeError = error as ChangeError;
    expect(changeError.err).toMatch(/^cannot perform the following tasks:\n- Start service "quitter" \(.*exited quickly with code 3/);
    expect(changeError.change.status).toBe('Error');
  });

  it('reports bad service requests as 400s with Pebble\'s messages', async () => {
    const { client } = pebble;
    await client.addLayer('base', sleeperLayer);
    expect((await apiError(client.restart(['foo']))).message).toBe('cannot restart services: service "foo" does not exist');
    expect((await apiError(client.stop(['foo']))).message).toBe('cannot stop services: service "foo" does not exist');
    expect((await apiError(client.restart([]))).message).toBe('must specify services for restart action');
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

      await client.restart(['trapper']);
      await client.sendSignal(1, ['trapper']); // numbers are converted to names (1 = SIGHUP)
      const deadline = Date.now() + 3_000;
      while (!existsSync(mark) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
      expect(existsSync(mark)).toBe(true);
    } finally {
      await rm(marks, { recursive: true, force: true });
    }
  });
});
