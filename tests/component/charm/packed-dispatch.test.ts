import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PackedCharmRunner } from '../../support/packed-charm.ts';

// The packed .charm, run exactly as Juju runs it: its own `dispatch` and Node runtime, hook tools
// on PATH that talk to the sandbox's Juju agent.
describe('the packed charm', () => {
  let runner: PackedCharmRunner;
  beforeAll(async () => {
    runner = await PackedCharmRunner.start({ units: 1 });
  }, 120_000);
  afterAll(async () => {
    await runner?.stop();
  });

  it('runs install: opens the workload ports and reports the unit is installing', async () => {
    const run = await runner.dispatch('hooks/install');
    expect(run.stderr).not.toContain('"level":50');
    expect(run.exitCode).toBe(0);
    expect(run.toolCalls).toEqual([
      'opened-ports --format=json',
      'open-port 5432/tcp',
      'open-port 8008/tcp',
      'config-get --format=json',
      'status-set --application=False maintenance -- installing charm software',
    ]);
    const unit = runner.model.units['postgresql-k8s/0']!;
    expect(unit.openedPorts.map((p) => `${p.from}-${p.to}/${p.protocol}`).sort()).toEqual(['5432-5432/tcp', '8008-8008/tcp']);
    expect(unit.workloadStatus).toMatchObject({ status: 'maintenance', message: 'installing charm software' });
  });

  it('runs upgrade-charm: opens nothing again, and the reconcile waits for the workload container', async () => {
    const run = await runner.dispatch('hooks/upgrade-charm');
    expect(run.exitCode).toBe(0);
    expect(run.toolCalls[0]).toBe('opened-ports --format=json');
    expect(run.toolCalls.filter((call) => call.startsWith('open-port'))).toEqual([]);
    // As leader it keeps the system passwords in the app secret, given to the tool as files.
    const secretAdd = run.toolCalls.find((call) => call.startsWith('secret-add'));
    expect(secretAdd).toContain('--label database-peers.postgresql-k8s.app');
    expect(secretAdd).toMatch(/operator-password#file=\//);
    // This test runs no Pebble: the unit says what it waits for instead of failing.
    expect(runner.model.units['postgresql-k8s/0']!.workloadStatus).toMatchObject({ status: 'waiting', message: 'waiting for the workload container' });
  });

  it('ignores a hook the charm does not define, without calling any tool', async () => {
    const run = await runner.dispatch('hooks/no-such-hook');
    expect(run.exitCode).toBe(0);
    expect(run.toolCalls).toEqual([]);
  });

  it('fails clearly on a malformed Juju variable', async () => {
    const run = await runner.dispatch('hooks/install', {}, { env: { JUJU_UNIT_NAME: 'not a unit name' } });
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toContain('JUJU_UNIT_NAME');
    expect(run.stderr).toContain('not a unit name');
    expect(run.toolCalls).toEqual([]);
  });
});

describe('the packed charm with an invalid deploy-time config', () => {
  let runner: PackedCharmRunner;
  beforeAll(async () => {
    runner = await PackedCharmRunner.start({ config: { profile: 'dev' } });
  }, 120_000);
  afterAll(async () => {
    await runner?.stop();
  });

  it('blocks at install naming the option and its value', async () => {
    const run = await runner.dispatch('hooks/install');
    expect(run.exitCode).toBe(0);
    const status = runner.model.units['postgresql-k8s/0']!.workloadStatus;
    expect(status.status).toBe('blocked');
    expect(status.message).toContain('Configuration Error');
    expect(status.message).toContain('profile');
    expect(status.message).toContain('dev');
  });
});
