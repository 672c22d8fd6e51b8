import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ContinuousWrites, ReplicatedCheck } from '../../support/continuous-writes.ts';
import { allActive, APP, isCaughtUpReplica, isClean, OPERATOR, SandboxFixture, summarize, type UnitStatus } from '../../support/sandbox-fixture.ts';
import { flushResults, recordScenario } from './chaos-results.ts';
import { describeReport, LeaderWatch, member, unitNames, writer } from './helpers.ts';

// One 3-unit sandbox of the real charm and the chaos scenarios of issue 16, each with a writer
// running through it: `pkill postgres` in one pod (pods have PID namespaces of their own, so it
// reaches that pod only), kill -9 of the primary's Patroni alone, a frozen primary (every process
// of its pod stopped), a partitioned primary (its pod cut from the others, the DCS and the
// clients; a client inside its pod must not commit), the whole DCS down for 60 s (failsafe mode),
// the data volume full on a replica and on the primary, and remove-unit of the primary (a replica
// whose data directory is lost is not here yet: docs/failover.md). After each, every acknowledged
// write is on every member, none twice, and the statuses follow the new roles. With CHAOS_RESULTS=<file> the measured numbers go
// there (bench/results/chaos.json). update-status runs every 30 s here (Juju's
// update-status-hook-interval; 5 min by default): the full-disk status is one of its checks.

const MIN = 60_000;
const PGDATA = '/var/lib/postgresql/data/pgdata';
let sbx: SandboxFixture;
const timings: Record<string, number> = {};

const LOW_SPACE = '<10% free space on pgdata volume.';

beforeAll(async () => {
  process.env['SANDBOX_UPDATE_STATUS_INTERVAL'] ??= '30s';
  sbx = await SandboxFixture.create('chaos');
});

afterAll(async () => {
  await sbx?.cli(['chaos', 'dcs-up']).catch(() => undefined);
  const leftovers = await sbx?.teardown();
  if (Object.keys(timings).length > 0) console.info(`chaos timings (s): ${JSON.stringify(timings)}`);
  await flushResults('tests/integration/cluster/chaos.test.ts');
  expect(leftovers === null || isClean(leftovers), JSON.stringify(leftovers)).toBe(true);
}, 3 * MIN);

const seconds = (ms: number): number => Math.round(ms / 100) / 10;
const leaderOf = (units: Record<string, UnitStatus>): string | undefined => Object.entries(units).find(([, u]) => u.patroni?.role === 'leader')?.[0];
const healthyOf = (count: number) => (units: Record<string, UnitStatus>): boolean =>
  allActive(units, count) && Object.values(units).filter((u) => u.patroni?.role !== 'leader').every((u) => isCaughtUpReplica(u.patroni));
const healthy = healthyOf(3);

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

/**
 * Stop the writer and check its writes on every host; `earlier` (the test's own failure) stays in
 * the message. The scenario's numbers are recorded first, so a failing check is measured too.
 */
async function stopAndVerify(
  cw: ContinuousWrites,
  hosts: readonly string[],
  label: string,
  earlier?: unknown,
  times?: { faultAt: number; writableAt?: number; activeAt?: number; note?: string },
): Promise<void> {
  const report = await cw.stop();
  console.info(`${label} writes: ${describeReport(report)}`);
  const context = earlier === undefined ? '' : ` (the test had already failed: ${String(earlier)})`;
  let checks: Record<string, ReplicatedCheck> | undefined;
  try {
    expect(report.acknowledged.length, `${label}${context}`).toBeGreaterThan(0);
    checks = await cw.verifyReplicated(hosts).catch((error: unknown) => {
      throw new Error(`${label}: cannot check the writes: ${String(error)}${context}`, { cause: error });
    });
  } finally {
    if (times !== undefined && earlier === undefined) recordScenario(label, report, checks, times);
  }
  const expected = Object.fromEntries(hosts.map((h) => [h, { missing: [], duplicated: [], unexpected: [], caughtUp: true }]));
  expect(checks, `${label}${context}: ${JSON.stringify({ uncertain: report.uncertain })}`).toMatchObject(expected);
}

/** When the writer first had a write acknowledged by a primary other than `address`. */
async function firstWriteAway(cw: ContinuousWrites, address: string, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { primaries } = cw.report();
    if (primaries.length > 0 && primaries.at(-1) !== address) return nextWrite(cw, Math.max(1, deadline - Date.now()));
    if (Date.now() > deadline) throw new Error(`writes still on ${address} after ${timeoutMs} ms`);
    await sleep(50);
  }
}

/** The first acknowledged write from now on, as a time. */
async function nextWrite(cw: ContinuousWrites, timeoutMs: number): Promise<number> {
  await cw.waitForWrites(1, timeoutMs);
  return Date.now();
}

/**
 * A writer through `hosts` around `body`, which returns its times; then every write checked and
 * the scenario recorded; `cleanup` runs even when the body failed.
 */
async function underWrites(
  label: string,
  hosts: () => readonly string[],
  body: (cw: ContinuousWrites) => Promise<{ faultAt: number; writableAt?: number; activeAt?: number; note?: string }>,
  cleanup?: () => Promise<void>,
): Promise<void> {
  const cw = writer(hosts, await sbx.operatorPassword(), `cw_${label.replaceAll('-', '_')}`);
  await cw.start();
  let failure: unknown;
  let times: Awaited<ReturnType<typeof body>> | undefined;
  try {
    await cw.waitForWrites(50, MIN);
    times = await body(cw);
  } catch (error) {
    failure = error;
    throw error;
  } finally {
    if (cleanup !== undefined) await cleanup().catch(() => undefined);
    await stopAndVerify(cw, hosts(), label, failure, times);
  }
}

/** psql inside the unit's pod, to its own PostgreSQL (the pod's address), as the operator. */
async function psqlInPod(unit: string, address: string, sql: string, statementTimeoutMs: number, timeoutMs: number): Promise<{ exitCode: number; out: string }> {
  const password = await sbx.operatorPassword();
  const result = await sbx.ssh(
    unit,
    ['env', `PGPASSWORD=${password}`, 'PGCONNECT_TIMEOUT=5', `PGOPTIONS=-c statement_timeout=${statementTimeoutMs}`, 'psql', '-X', '-v', 'ON_ERROR_STOP=1', '-h', address, '-U', OPERATOR, '-d', 'postgres', '-tAc', sql],
    timeoutMs,
  );
  return { exitCode: result.exitCode, out: `${result.stdout}${result.stderr}`.trim() };
}

/**
 * Fault the primary, wait for another member to lead and take writes, check the new primary
 * shows "Primary" (the role-change notice), undo the fault, and wait for the old primary back
 * as a caught-up replica.
 */
async function replacePrimary(
  label: string,
  fault: (unit: string, address: string) => Promise<void>,
  undo: (unit: string) => Promise<void>,
  whileCut?: (oldPrimary: string) => Promise<void>,
): Promise<void> {
  const before = await sbx.units();
  const oldPrimary = leaderOf(before)!;
  const other = unitNames(before).find((u) => u !== oldPrimary)!;
  const addresses = Object.values(before).map((u) => u.address);
  const cw = writer(() => addresses, await sbx.operatorPassword(), `cw_${label}`);
  await cw.start();
  let faulted = false;
  let failure: unknown;
  let at = 0;
  let writableAt: number | undefined;
  let activeAt: number | undefined;
  try {
    await cw.waitForWrites(50, MIN);
    at = Date.now();
    faulted = true;
    await fault(oldPrimary, before[oldPrimary]!.address);
    const leader = await sbx.until(
      async () => (await sbx.patroniCluster(before[other]!.address, 2_000)).find((m) => m.role === 'leader' && m.state === 'running')?.name,
      (name) => name !== undefined && name !== member(oldPrimary),
      'another member to lead',
      2 * MIN,
      250,
    );
    timings[`${label}-new-leader`] = seconds(Date.now() - at);
    const newPrimary = unitNames(before).find((u) => member(u) === leader)!;
    writableAt = await nextWrite(cw, MIN);
    await cw.waitForWrites(50, MIN);
    timings[`${label}-writes`] = seconds(writableAt - at);
    await sbx.waitFor((u) => u[newPrimary]?.['workload-status'].message === 'Primary', `${newPrimary} to show "Primary"`, 30_000);
    timings[`${label}-primary-label`] = seconds(Date.now() - at);
    await whileCut?.(oldPrimary);
    await undo(oldPrimary);
    faulted = false;
    const status = await sbx.waitFor((u) => healthy(u) && leaderOf(u) === newPrimary, `${oldPrimary} back as a caught-up replica of ${newPrimary}`, 3 * MIN);
    activeAt = Date.now();
    timings[`${label}-healed`] = seconds(activeAt - at);
    const units = status.applications['postgresql-k8s']!.units;
    expect(Object.entries(units).filter(([, u]) => u['workload-status'].message === 'Primary').map(([n]) => n), summarize(units)).toEqual([newPrimary]);
  } catch (error) {
    failure = error;
    throw error;
  } finally {
    // Undone even when the fault itself reported a failure: it may have taken effect.
    if (faulted || failure !== undefined) await undo(oldPrimary).catch(() => undefined);
    await stopAndVerify(cw, addresses, label, failure, { faultAt: at, ...(writableAt === undefined ? {} : { writableAt }), ...(activeAt === undefined ? {} : { activeAt }), note: 'all active counts from the fault, through the undo' });
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

  it('kill -9 of the primary\'s Patroni alone: Pebble restarts it, it takes its running PostgreSQL back and still leads; none lost or doubled', async () => {
    const before = await sbx.units();
    const primary = leaderOf(before)!;
    const addresses = Object.values(before).map((u) => u.address);
    await underWrites('kill-patroni', () => addresses, async (cw) => {
      const killed = await sbx.killMember(primary, { patroniOnly: true });
      expect(killed.patroni.length).toBeGreaterThanOrEqual(1);
      await cw.waitForWrites(10, MIN);
      const status = await sbx.waitFor(healthy, 'the cluster healthy again', 2 * MIN);
      const activeAt = Date.now();
      expect(leaderOf(status.applications[APP]!.units)).toBe(primary);
      const kept = (await postmaster(primary)).pid === killed.postmaster;
      console.info(`kill -9 of Patroni on ${primary}: its PostgreSQL ${kept ? 'kept running (adopted by the new Patroni)' : 'was restarted'}`);
      return { faultAt: killed.killedAt, activeAt, note: `the primary never changed; PostgreSQL ${kept ? 'kept running' : 'restarted'}` };
    });
  }, 4 * MIN);

  it('a partitioned primary demotes itself and is replaced; a client inside its pod cannot commit; healed, it rejoins as a replica; none lost or doubled', async () => {
    await sbx.sql(await sbx.primary(), 'CREATE TABLE IF NOT EXISTS partition_probe (v int)');
    let insideCommit: Promise<{ exitCode: number; out: string }> | undefined;
    await replacePrimary(
      'partition',
      async (unit, address) => {
        await sbx.cliOk(['chaos', 'partition', unit]);
        // An old client of the cut-off primary (it still reaches it: same pod) commits at once.
        // No statement_timeout: cancelling a commit's wait for the synchronous standby reports
        // it committed (with a WARNING); the client waits until the server answers or goes.
        insideCommit = psqlInPod(unit, address, 'INSERT INTO partition_probe VALUES (1)', 0, 90_000);
      },
      async (unit) => void (await sbx.cliOk(['chaos', 'heal', unit])),
      // cut off, it must not stay a primary its old clients could commit on
      async (oldPrimary) => {
        const role = await sbx.until(() => roleInsidePod(oldPrimary), (r) => r === 'replica' || r === 'demoted', `${oldPrimary}'s Patroni to step down`, MIN, 500);
        expect(['replica', 'demoted']).toContain(role);
        const first = await insideCommit!;
        expect(first.exitCode, `the commit inside the cut-off primary's pod was acknowledged: ${first.out}`).not.toBe(0);
        const again = await psqlInPod(oldPrimary, (await sbx.units())[oldPrimary]!.address, 'INSERT INTO partition_probe VALUES (2)', 10_000, 30_000);
        expect(again.exitCode, again.out).not.toBe(0);
        expect(again.out).toMatch(/read-only|recovery|could not connect|timeout|canceling/i);
      },
    );
    // Healed and rewound, nothing the cut-off primary was asked to commit survives anywhere.
    for (const unit of unitNames(await sbx.units())) expect(await sbx.sql(unit, 'SELECT count(*)::int AS n FROM partition_probe'), unit).toEqual([{ n: 0 }]);
  }, 8 * MIN);

  it('the primary cut from the DCS only: one primary at any time, none lost or doubled; healed, all active', async () => {
    const before = await sbx.units();
    const primary = leaderOf(before)!;
    const addresses = Object.values(before).map((u) => u.address);
    const other = unitNames(before).find((u) => u !== primary)!;
    const watch = new LeaderWatch(sbx, before[other]!.address, 500);
    await underWrites(
      'partition-dcs-primary',
      () => addresses,
      async (cw) => {
        const faultAt = Date.now();
        await sbx.cliOk(['chaos', 'partition-dcs', primary]);
        const moved = firstWriteAway(cw, before[primary]!.address, 90_000).catch(() => undefined);
        watch.start();
        // Patroni's ttl and more: either the primary keeps its role (failsafe: every member still
        // answers it) or another member leads and it steps down; never both at once.
        await sleep(30_000);
        const leader = watch.samples.at(-1)?.leader;
        const insideRole = await roleInsidePod(primary);
        const switched = leader !== undefined && leader !== null && leader !== member(primary);
        if (switched) expect(['replica', 'demoted'], `${primary} still ${insideRole} while ${leader} leads`).toContain(insideRole);
        const writableAt = switched ? await moved : undefined;
        await cw.waitForWrites(10, MIN);
        await sbx.cliOk(['chaos', 'heal', primary]);
        await sbx.waitFor(healthy, 'the cluster healthy again', 3 * MIN);
        const activeAt = Date.now();
        await watch.stop();
        const writers = [...new Set(cw.report().primaries)];
        expect(writers.length, JSON.stringify(cw.report().primaries)).toBeLessThanOrEqual(2);
        return { faultAt, ...(writableAt === undefined ? {} : { writableAt }), activeAt, note: `${switched ? `failover to ${leader ?? '?'}` : 'the primary kept its role'}; healed after 30 s` };
      },
      async () => {
        await watch.stop();
        await sbx.cli(['chaos', 'heal', primary]);
      },
    );
  }, 6 * MIN);

  it('the whole DCS down for 60 s: failsafe mode keeps the primary serving writes, no failover; back up, all active', async () => {
    const before = await sbx.units();
    const primary = leaderOf(before)!;
    const addresses = Object.values(before).map((u) => u.address);
    const watch = new LeaderWatch(sbx, before[primary]!.address, 1_000);
    await underWrites(
      'dcs-down-60s',
      () => addresses,
      async (cw) => {
        const faultAt = Date.now();
        await sbx.cliOk(['chaos', 'dcs-down']);
        watch.start();
        const gapBefore = cw.report().longestGapMs;
        await sleep(60_000);
        await cw.waitForWrites(10, 5_000);
        const servedThroughout = cw.report().primaries.at(-1) === before[primary]!.address;
        const gapDuring = cw.report().longestGapMs;
        await sbx.cliOk(['chaos', 'dcs-up']);
        const upAt = Date.now();
        const status = await sbx.waitFor(healthy, 'the cluster healthy again', 3 * MIN);
        const activeAt = Date.now();
        timings['dcs-up-to-active'] = seconds(activeAt - upAt);
        await watch.stop();
        expect(servedThroughout, JSON.stringify(cw.report().primaries)).toBe(true);
        expect(gapDuring, `longest write gap while the DCS was down (before: ${gapBefore} ms)`).toBeLessThan(10_000);
        expect(leaderOf(status.applications[APP]!.units)).toBe(primary);
        expect(watch.leaders().filter((l) => l !== '(none)')).toEqual([member(primary)]);
        return { faultAt, activeAt, note: 'the primary never changed (no writable-primary time); the DCS is down 60 s, all active counts from the fault' };
      },
      async () => {
        await watch.stop();
        await sbx.cli(['chaos', 'dcs-up']);
      },
    );
  }, 6 * MIN);

  for (const target of ['replica', 'primary'] as const) {
    it(`the data volume full on the ${target}: the unit says so, nothing is lost or corrupted, and it heals when space returns`, async () => {
      const before = await sbx.units();
      const primary = leaderOf(before)!;
      const victim = target === 'primary' ? primary : unitNames(before).find((u) => u !== primary)!;
      const addresses = Object.values(before).map((u) => u.address);
      await underWrites(
        `disk-full-${target}`,
        () => addresses,
        async (cw) => {
          const faultAt = Date.now();
          await sbx.cliOk(['chaos', 'disk-full', victim]);
          const enospc = await sbx.ssh(victim, ['sh', '-c', 'head -c 1048576 /dev/zero > /var/lib/postgresql/data/enospc-probe; s=$?; rm -f /var/lib/postgresql/data/enospc-probe; exit $s']);
          expect(enospc.exitCode).not.toBe(0);
          expect(enospc.stderr).toMatch(/No space left on device/);
          await sbx.waitFor((u) => u[victim]?.['workload-status'].message === LOW_SPACE, `${victim} to say its volume is full`, 2 * MIN);
          timings[`disk-full-${target}-status`] = seconds(Date.now() - faultAt);
          // a full replica: the primary keeps taking writes (the longest gap says how well)
          if (target === 'replica') await cw.waitForWrites(10, MIN);
          const freeAt = Date.now();
          await sbx.cliOk(['chaos', 'disk-free', victim]);
          const writableAt = target === 'primary' ? await nextWrite(cw, 2 * MIN) : undefined;
          await sbx.waitFor(healthy, 'the cluster healthy again, the full-disk status gone', 3 * MIN);
          const activeAt = Date.now();
          timings[`disk-full-${target}-freed-to-active`] = seconds(activeAt - freeAt);
          const units = await sbx.units();
          expect(units[victim]!['workload-status'].message).not.toBe(LOW_SPACE);
          const rows = await sbx.sql(leaderOf(units)!, `SELECT count(*)::int AS n FROM cw_disk_full_${target}`);
          expect(rows[0]!['n']).toBeGreaterThan(0);
          return { faultAt, ...(writableAt === undefined ? {} : { writableAt }), activeAt, note: `disk-free ${seconds(freeAt - faultAt)} s after the fault (once the status showed)` };
        },
        async () => void (await sbx.cli(['chaos', 'disk-free', victim])),
      );
    }, 8 * MIN);
  }

  it('remove-unit of the primary under writes: another member leads, writes go on there; 2 units active', async () => {
    const before = await sbx.units();
    const primary = leaderOf(before)!;
    const rest = unitNames(before).filter((u) => u !== primary);
    const addresses = Object.values(before).map((u) => u.address);
    const oldAddress = before[primary]!.address;
    await underWrites('remove-unit-primary', () => addresses, async (cw) => {
      const faultAt = Date.now();
      // the writer looks for the primary among the remaining units only
      addresses.splice(addresses.indexOf(oldAddress), 1);
      const moved = firstWriteAway(cw, oldAddress, 4 * MIN);
      await sbx.removeUnit(primary);
      const status = await sbx.waitFor((u) => healthyOf(2)(u) && !(primary in u), `${rest.join(', ')} active, one leading`, 4 * MIN);
      const activeAt = Date.now();
      const writableAt = await moved;
      expect(rest).toContain(leaderOf(status.applications[APP]!.units));
      return { faultAt, writableAt, activeAt };
    });
  }, 6 * MIN);
});
