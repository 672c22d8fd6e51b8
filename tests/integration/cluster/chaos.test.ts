import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ContinuousWrites } from '../../support/continuous-writes.ts';
import { allActive, isCaughtUpReplica, isClean, SandboxFixture, summarize, type UnitStatus } from '../../support/sandbox-fixture.ts';
import { describeReport, member, unitNames, writer } from './helpers.ts';

// One 3-unit sandbox of the real charm and faults short of a kill, each with a writer running
// through it: `pkill postgres` in one pod (pods have PID namespaces of their own, so it reaches
// that pod only), a frozen primary (every process of its pod stopped), a partitioned primary
// (its pod cut from the others, the DCS and the clients). After each, every acknowledged write is
// on every member, none twice, and the statuses follow the new roles.

const MIN = 60_000;
const PGDATA = '/var/lib/postgresql/data/pgdata';
let sbx: SandboxFixture;
const timings: Record<string, number> = {};

beforeAll(async () => {
  sbx = await SandboxFixture.create('chaos');
});

afterAll(async () => {
  const leftovers = await sbx?.teardown();
  if (Object.keys(timings).length > 0) console.info(`chaos timings (s): ${JSON.stringify(timings)}`);
  expect(leftovers === null || isClean(leftovers), JSON.stringify(leftovers)).toBe(true);
}, 3 * MIN);

const seconds = (ms: number): number => Math.round(ms / 100) / 10;
const leaderOf = (units: Record<string, UnitStatus>): string | undefined => Object.entries(units).find(([, u]) => u.patroni?.role === 'leader')?.[0];
const healthy = (units: Record<string, UnitStatus>): boolean =>
  allActive(units, 3) && Object.values(units).filter((u) => u.patroni?.role !== 'leader').every((u) => isCaughtUpReplica(u.patroni));

/** The postmaster's pid in its pod's PID namespace, and whether that pod runs it. */
async function postmaster(unit: string): Promise<{ pid: number; alive: boolean }> {
  const result = await sbx.ssh(unit, ['sh', '-c', `pid=$(head -1 ${PGDATA}/postmaster.pid) && echo $pid && kill -0 $pid && echo alive`]);
  const [pid, alive] = result.stdout.trim().split('\n');
  return { pid: Number(pid), alive: alive === 'alive' };
}

/** Patroni's own view of its role, asked inside the pod (a partitioned pod is out of reach). */
async function roleInsidePod(unit: string): Promise<string> {
  const result = await sbx.ssh(unit, ['curl', '-s', '-m', '2', 'http://127.0.0.1:8008/patroni']);
  return (JSON.parse(result.stdout || '{}') as { role?: string }).role ?? '';
}

/** Stop the writer and check its writes on every host; `earlier` (the test's own failure) stays in the message. */
async function stopAndVerify(cw: ContinuousWrites, hosts: readonly string[], label: string, earlier?: unknown): Promise<void> {
  const report = await cw.stop();
  console.info(`${label} writes: ${describeReport(report)}`);
  const context = earlier === undefined ? '' : ` (the test had already failed: ${String(earlier)})`;
  expect(report.acknowledged.length, `${label}${context}`).toBeGreaterThan(0);
  const checks = await cw.verifyReplicated(hosts).catch((error: unknown) => {
    throw new Error(`${label}: cannot check the writes: ${String(error)}${context}`, { cause: error });
  });
  const expected = Object.fromEntries(hosts.map((h) => [h, { missing: [], duplicated: [], unexpected: [], caughtUp: true }]));
  expect(checks, `${label}${context}: ${JSON.stringify({ uncertain: report.uncertain })}`).toMatchObject(expected);
}

/**
 * Fault the primary, wait for another member to lead and take writes, check the new primary
 * shows "Primary" (the role-change notice), undo the fault, and wait for the old primary back
 * as a caught-up replica.
 */
async function replacePrimary(label: string, fault: (unit: string) => Promise<void>, undo: (unit: string) => Promise<void>, whileCut?: (oldPrimary: string) => Promise<void>): Promise<void> {
  const before = await sbx.units();
  const oldPrimary = leaderOf(before)!;
  const other = unitNames(before).find((u) => u !== oldPrimary)!;
  const addresses = Object.values(before).map((u) => u.address);
  const cw = writer(() => addresses, await sbx.operatorPassword(), `cw_${label}`);
  await cw.start();
  let faulted = false;
  let failure: unknown;
  try {
    await cw.waitForWrites(50, MIN);
    const at = Date.now();
    faulted = true;
    await fault(oldPrimary);
    const leader = await sbx.until(
      async () => (await sbx.patroniCluster(before[other]!.address, 2_000)).find((m) => m.role === 'leader' && m.state === 'running')?.name,
      (name) => name !== undefined && name !== member(oldPrimary),
      'another member to lead',
      2 * MIN,
      250,
    );
    timings[`${label}-new-leader`] = seconds(Date.now() - at);
    const newPrimary = unitNames(before).find((u) => member(u) === leader)!;
    await cw.waitForWrites(50, MIN);
    timings[`${label}-writes`] = seconds(Date.now() - at);
    await sbx.waitFor((u) => u[newPrimary]?.['workload-status'].message === 'Primary', `${newPrimary} to show "Primary"`, 30_000);
    timings[`${label}-primary-label`] = seconds(Date.now() - at);
    await whileCut?.(oldPrimary);
    await undo(oldPrimary);
    faulted = false;
    const status = await sbx.waitFor((u) => healthy(u) && leaderOf(u) === newPrimary, `${oldPrimary} back as a caught-up replica of ${newPrimary}`, 3 * MIN);
    timings[`${label}-healed`] = seconds(Date.now() - at);
    const units = status.applications['postgresql-k8s']!.units;
    expect(Object.entries(units).filter(([, u]) => u['workload-status'].message === 'Primary').map(([n]) => n), summarize(units)).toEqual([newPrimary]);
  } catch (error) {
    failure = error;
    throw error;
  } finally {
    // Undone even when the fault itself reported a failure: it may have taken effect.
    if (faulted || failure !== undefined) await undo(oldPrimary).catch(() => undefined);
    await stopAndVerify(cw, addresses, label, failure);
  }
}

describe('faults short of a kill, on a 3-unit cluster of the real charm', () => {
  it('deploys 3 units to active', async () => {
    const started = Date.now();
    await sbx.deploy(3);
    await sbx.waitFor(healthy, '3 active units, a leader and caught-up replicas', 3 * MIN);
    timings['deploy'] = seconds(Date.now() - started);
  }, 5 * MIN);

  it('pkill postgres in one pod kills that pod\'s PostgreSQL only; Patroni starts it again', async () => {
    const units = unitNames(await sbx.units());
    const primary = await sbx.primary();
    const victim = units.find((u) => u !== primary)!;
    const before = Object.fromEntries(await Promise.all(units.map(async (u) => [u, await postmaster(u)] as const)));
    expect(Object.values(before).every((p) => p.alive), JSON.stringify(before)).toBe(true);

    const killed = await sbx.ssh(victim, ['pkill', '-KILL', '-x', 'postgres']);
    expect(killed.exitCode, killed.stderr).toBe(0);

    for (const unit of units.filter((u) => u !== victim)) expect(await postmaster(unit), unit).toEqual(before[unit]);
    const started = Date.now();
    await sbx.until(() => postmaster(victim), (p) => p.alive && p.pid !== before[victim]!.pid, `a new postmaster in ${victim}`, MIN, 250);
    timings['pkill-restarted'] = seconds(Date.now() - started);
    await sbx.waitFor(healthy, 'the cluster healthy again', 2 * MIN);
  }, 4 * MIN);

  it('a frozen primary is replaced; thawed, it rejoins as a replica; none lost or doubled', async () => {
    await replacePrimary(
      'freeze',
      async (unit) => void (await sbx.cliOk(['chaos', 'freeze', unit])),
      async (unit) => void (await sbx.cliOk(['chaos', 'thaw', unit])),
    );
  }, 8 * MIN);

  it('a partitioned primary demotes itself and is replaced; healed, it rejoins as a replica; none lost or doubled', async () => {
    await replacePrimary(
      'partition',
      async (unit) => void (await sbx.cliOk(['chaos', 'partition', unit])),
      async (unit) => void (await sbx.cliOk(['chaos', 'heal', unit])),
      // cut off, it must not stay a primary its old clients could commit on
      async (oldPrimary) => {
        const role = await sbx.until(() => roleInsidePod(oldPrimary), (r) => r === 'replica' || r === 'demoted', `${oldPrimary}'s Patroni to step down`, MIN, 500);
        expect(['replica', 'demoted']).toContain(role);
      },
    );
  }, 8 * MIN);
});
