/**
 * Steps `workload` (container reachable, storage and PGDATA ready, versions and resources
 * probed) and `disk-space` (Blocked below 10 % free), state in → one hook → state out.
 */
import { describe, expect, it } from 'vitest';
import { PASSWORDS, runHooks, runScenario } from '../../scenario/charm-scenario.ts';
import { debianWorkload } from '../../scenario/in-memory-workload.ts';
import { dfOutput, operations, patroniYml, requestLines, shared, STORAGE, steadyLeader } from './support.ts';

const leader = shared(() => steadyLeader());
const LOW_SPACE = { status: 'blocked', message: '<10% free space on pgdata volume.' };

describe('workload step', () => {
  it('waits for an unreachable container, after the leader has stored the passwords', async () => {
    const result = await runScenario({ hook: 'config-changed' }, { workload: debianWorkload({ reachable: false }) });

    expect(result.status).toEqual({ status: 'waiting', message: 'waiting for the workload container' });
    expect(result.appStatus).toEqual(result.status);
    expect(result.workloadOperations).toEqual([]);
    expect(result.patroniRequests).toEqual([]);
    expect(Object.keys(result.appSecret)).toHaveLength(6);
    expect(result.peerUnits[0]!['member-serving']).toBe('False');
  });

  it('waits for the pgdata storage while it is not mounted', async () => {
    const workload = debianWorkload();
    delete workload.dirs[STORAGE];
    const result = await runScenario({ hook: 'pebble-ready' }, { appSecret: { ...PASSWORDS }, workload });

    expect(result.status).toEqual({ status: 'waiting', message: 'waiting for the pgdata storage' });
    expect(result.workloadOperations).toEqual([]);
  });

  it('gives a fresh volume to postgres, creates PGDATA 0750 and publishes the version on pebble-ready', async () => {
    const result = await runScenario({ hook: 'pebble-ready' }, { appSecret: { ...PASSWORDS } });

    expect(result.workloadOperations.slice(0, 4)).toEqual([
      { op: 'exec', command: ['chown', 'postgres:postgres', '.'], workingDir: STORAGE },
      { op: 'make-dir', path: `${STORAGE}/pgdata`, permissions: 0o750, user: 'postgres' },
      { op: 'make-dir', path: '/var/log/postgresql', permissions: 0o750, user: 'postgres' },
      { op: 'make-dir', path: '/var/run/postgresql', permissions: 0o750, user: 'postgres' },
    ]);
    expect(result.workload.dirs[STORAGE]).toMatchObject({ user: 'postgres', group: 'postgres' });
    expect(result.workloadVersion).toBe('15.18');
    // What was probed is rendered: Debian's PostgreSQL 15 binaries.
    expect(patroniYml(result)!['postgresql']['bin_dir']).toBe('/usr/lib/postgresql/15/bin');
  });

  it('leaves a prepared volume alone, and the version alone outside pebble-ready/start/upgrade', async () => {
    const result = await runScenario({ hook: 'config-changed' }, await leader());
    expect(operations(result, 'make-dir')).toEqual([]);
    expect(operations(result, 'exec').map((op) => op.command[0])).not.toContain('chown');
    expect(result.workloadVersion).toBe('');
  });

  it('blocks on a container without PostgreSQL (wrong image)', async () => {
    const workload = debianWorkload();
    for (const path of Object.keys(workload.files)) if (path.startsWith('/usr/lib/postgresql/')) delete workload.files[path];
    delete workload.dirs['/usr/lib/postgresql/15/bin'];
    const result = await runScenario({ hook: 'start' }, { appSecret: { ...PASSWORDS }, workload });

    expect(result.status.status).toBe('blocked');
    expect(result.status.message).toMatch(/^no PostgreSQL in the workload: /);
    expect(operations(result, 'push')).toEqual([]);
    expect(result.workloadVersion).toBe('');
  });
});

describe('disk-space step', () => {
  it('blocks on update-status below 10 % free, while the rest of the reconcile still runs', async () => {
    const state = await leader();
    const result = await runScenario({ hook: 'update-status' }, { ...state, workload: { ...state.workload!, commands: { ...state.workload!.commands, df: dfOutput(95) } } });

    expect(result.status).toEqual(LOW_SPACE);
    expect(result.appStatus).toEqual(LOW_SPACE);
    expect(requestLines(result)).toContain('GET /config');
    expect(result.peerUnits[0]!['member-serving']).toBe('False');
  });

  it('clears on the next update-status once space is freed', async () => {
    const state = await leader();
    const low = { ...state, workload: { ...state.workload!, commands: { ...state.workload!.commands, df: dfOutput(95) } } };
    const [blocked, stillShown, freed] = await runHooks([{ hook: 'update-status' }, { hook: 'config-changed' }, { hook: 'update-status' }], low, (next, index) =>
      index === 1 ? { ...next, workload: { ...next.workload!, commands: { ...next.workload!.commands, df: dfOutput(50) } } } : next,
    );

    expect(blocked!.status).toEqual(LOW_SPACE);
    // While its status shows, any hook checks again (and the volume is still full).
    expect(operations(stillShown!, 'exec').some((op) => op.command[0] === 'df')).toBe(true);
    expect(stillShown!.status).toEqual(LOW_SPACE);
    expect(freed!.status).toEqual({ status: 'active', message: 'Primary' });
    expect(freed!.appStatus).toEqual({ status: 'active', message: '' });
    expect(freed!.peerUnits[0]!['member-serving']).toBe('True');
  });

  it('looks at the volume when the ready check fails (a full volume stops PostgreSQL) and says so', async () => {
    const state = await leader();
    const result = await runScenario({ hook: 'pebble-check-failed' }, { ...state, workload: { ...state.workload!, commands: { ...state.workload!.commands, df: dfOutput(99) } } });
    expect(operations(result, 'exec').some((op) => op.command[0] === 'df')).toBe(true);
    expect(result.status).toEqual(LOW_SPACE);
  });

  it('does not look at the volume on other hooks while its status is not shown', async () => {
    const result = await runScenario({ hook: 'config-changed' }, await leader());
    expect(operations(result, 'exec').some((op) => op.command[0] === 'df')).toBe(false);
    expect(result.status).toEqual({ status: 'active', message: 'Primary' });
  });
});
