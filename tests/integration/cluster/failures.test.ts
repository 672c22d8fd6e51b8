import { execa } from 'execa';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listLeftovers, namePrefix } from '../../../sandbox/pods/index.ts';
import type { ContinuousWrites, ReplicatedCheck } from '../../support/continuous-writes.ts';
import { APP, allActive, isCaughtUpReplica, isClean, SandboxFixture, summarize, type UnitStatus } from '../../support/sandbox-fixture.ts';
import { processesMentioning } from '../sandbox-cli/helpers.ts';
import { describeReport, LeaderWatch, leaderAwayFromUnit0, member, unitNames, writer } from './helpers.ts';

// One 3-unit sandbox running the real charm, and the failures a Kubernetes cluster brings, in
// order: the primary's PostgreSQL crashing under a live Patroni, a primary crash (Pebble
// restarts Patroni, which still holds the leader key and leads again), a primary that crashes
// and stays down past the ttl (failover), scaling 3 → 1 → 3, every pod killed at once, and
// destroy. A writer runs through each fault; afterwards every
// acknowledged write must be on every member, none twice. Juju leadership starts on a unit other
// than 0 (a seeded choice), as Juju may give it, so the scale-down runs with a leader there.

const MIN = 60_000;
const LEADERSHIP = leaderAwayFromUnit0(3);
let sbx: SandboxFixture;
const timings: Record<string, number> = {};

beforeAll(async () => {
  sbx = await SandboxFixture.create('failures', { leaderSeed: LEADERSHIP.seed });
});

afterAll(async () => {
  const leftovers = await sbx?.teardown();
  if (Object.keys(timings).length > 0) console.info(`cluster failure timings (s): ${JSON.stringify(timings)}`);
  expect(leftovers === null || isClean(leftovers), JSON.stringify(leftovers)).toBe(true);
}, 5 * MIN);

const seconds = (ms: number): number => Math.round(ms / 100) / 10;
const leaderOf = (units: Record<string, UnitStatus>): string | undefined => Object.entries(units).find(([, u]) => u.patroni?.role === 'leader')?.[0];
const healthyCluster = (units: Record<string, UnitStatus>, count: number): boolean => {
  const list = Object.values(units);
  return list.length === count && list.filter((u) => u.patroni?.role === 'leader').length === 1 && list.filter((u) => u.patroni?.role !== 'leader').every((u) => isCaughtUpReplica(u.patroni));
};

/**
 * Stops the writer and checks its writes on every host: nothing lost, nothing doubled. Each host
 * is read once it has replayed up to the primary's flushed WAL position after the last write
 * (ContinuousWrites.verifyReplicated), so a replica still catching up is not mistaken for one
 * that lost writes, and one that never catches up is reported as behind, with its position.
 * When a value is doubled, each copy (with its commit time and xmin) on each host goes in the
 * failure. Called from a `finally`: `earlier` is the test's own failure, if any, which a failing
 * check here would otherwise hide, so the check's message carries it.
 */
async function stopAndVerify(cw: ContinuousWrites, table: string, hosts: readonly string[], label: string, earlier?: unknown): Promise<void> {
  const report = await cw.stop();
  console.info(`${label} writes: ${describeReport(report)}`);
  const context = earlier === undefined ? '' : ` (the test had already failed: ${String(earlier)})`;
  expect(report.acknowledged.length, `${label}${context}`).toBeGreaterThan(0);
  let checks: Record<string, ReplicatedCheck>;
  try {
    checks = await cw.verifyReplicated(hosts);
  } catch (error) {
    throw new Error(`${label}: cannot check the writes: ${String(error)}${context}`, { cause: error });
  }
  const doubled = [...new Set(Object.values(checks).flatMap((c) => c.duplicated))];
  const copies: Record<string, unknown> = {};
  if (doubled.length > 0) {
    for (const host of hosts) {
      copies[host] = await sbx
        .sql(host, `SELECT value, written_at, xmin::text AS xmin FROM ${table} WHERE value = ANY($1::bigint[]) ORDER BY value, written_at`, { params: [doubled] })
        .catch((error: unknown) => String(error));
    }
  }
  const expected = Object.fromEntries(hosts.map((h) => [h, { missing: [], duplicated: [], unexpected: [], caughtUp: true }]));
  expect(checks, `${label}${context}: ${JSON.stringify({ uncertain: report.uncertain, copies })}`).toMatchObject(expected);
}

describe('failures of a 3-unit cluster of the real charm', () => {
  let addresses: string[] = [];

  it('deploys 3 units to active', async () => {
    const started = Date.now();
    await sbx.deploy(3);
    const status = await sbx.waitFor((u) => allActive(u, 3) && healthyCluster(u, 3), '3 active units, a leader and caught-up replicas', 3 * MIN);
    timings['deploy'] = seconds(Date.now() - started);
    const units = status.applications[APP]!.units;
    addresses = Object.values(units).map((u) => u.address);
    expect(Object.entries(units).filter(([, u]) => u.leader).map(([n]) => n), summarize(units)).toEqual([LEADERSHIP.leader]);
    expect(LEADERSHIP.leader).not.toBe(`${APP}/0`);
  }, 8 * MIN);

  it('e0. kill -9 of the primary\'s postmaster and children: Patroni starts PostgreSQL again, writes resume, none lost or doubled', async () => {
    const cw = writer(() => addresses, await sbx.operatorPassword(), 'cw_postgres_crash');
    await cw.start();
    let failure: unknown;
    try {
      await cw.waitForWrites(50, MIN);
      const victim = await sbx.primary();
      const killed = await sbx.killMember(victim, { postgresOnly: true });
      expect(killed.patroni).toEqual([]);
      expect(killed.children.length).toBeGreaterThanOrEqual(3);
      await cw.waitForWrites(50, 3 * MIN);
      timings['postgres-crash-writes-resumed'] = seconds(Date.now() - killed.killedAt);
      await sbx.waitFor((u) => allActive(u, 3, { primaryLabel: false }) && healthyCluster(u, 3), 'the cluster healthy again', 4 * MIN);
      timings['postgres-crash-healthy'] = seconds(Date.now() - killed.killedAt);
      // A new postmaster, not the one killed.
      const pid = await sbx.ssh(victim, ['head', '-1', '/var/lib/postgresql/data/pgdata/postmaster.pid']);
      expect(Number(pid.stdout.trim())).not.toBe(killed.postmaster);
    } catch (error) {
      failure = error;
      throw error;
    } finally {
      await stopAndVerify(cw, 'cw_postgres_crash', addresses, 'postgres crash', failure);
    }
  }, 8 * MIN);

  it('e1. kill -9 of the primary\'s Patroni, postmaster and children: Pebble restarts Patroni, writes resume, none lost or doubled', async () => {
    const cw = writer(() => addresses, await sbx.operatorPassword(), 'cw_crash');
    await cw.start();
    let failure: unknown;
    let killedAt = 0;
    let victim = '';
    try {
      await cw.waitForWrites(50, MIN);
      victim = await sbx.primary();
      const killed = await sbx.killMember(victim);
      killedAt = killed.killedAt;
      expect(killed.patroni.length).toBeGreaterThanOrEqual(1);
      expect(killed.children.length).toBeGreaterThanOrEqual(3);
      await cw.waitForWrites(50, 3 * MIN);
      timings['crash-writes-resumed'] = seconds(Date.now() - killedAt);
      const status = await sbx.waitFor((u) => allActive(u, 3, { primaryLabel: false }) && healthyCluster(u, 3), 'the cluster healthy again', 4 * MIN);
      timings['crash-healthy'] = seconds(Date.now() - killedAt);
      console.info(`after the crash of ${victim}, Patroni's leader is ${leaderOf(status.applications[APP]!.units) ?? '?'}`);
    } catch (error) {
      failure = error;
      throw error;
    } finally {
      await stopAndVerify(cw, 'cw_crash', addresses, 'crash', failure);
    }
    // Who brought Patroni back: Pebble's on-failure restart, with no hook (update-status or other) in between.
    const pebble = (await sbx.pebbleLog(victim)).filter((e) => Date.parse(e.time) >= killedAt);
    const stopped = pebble.find((e) => e.msg === 'service "postgresql" stopped unexpectedly');
    expect(stopped, JSON.stringify(pebble.slice(0, 5))).toBeDefined();
    const restarted = pebble.find((e) => Date.parse(e.time) >= Date.parse(stopped!.time) && e.msg.startsWith('service "postgresql" starting'));
    expect(restarted, JSON.stringify(pebble.slice(0, 5))).toBeDefined();
    const restartedAt = Date.parse(restarted!.time);
    timings['crash-pebble-restart'] = seconds(restartedAt - killedAt);
    expect(await sbx.hooksStarted(victim, killedAt).then((h) => h.filter((x) => x.at <= restartedAt))).toEqual([]);
  }, 10 * MIN);

  it('e2. failover: the primary crashes (kill -9) and stays down past the leader ttl: a new primary takes the writes, the old one, restarted, rejoins as a replica; none lost or doubled', async () => {
    const before = await sbx.units();
    const oldPrimary = leaderOf(before)!;
    const oldAddress = before[oldPrimary]!.address;
    const others = unitNames(before).filter((u) => u !== oldPrimary);
    const cw = writer(() => addresses, await sbx.operatorPassword(), 'cw_failover');
    await cw.start();
    let failure: unknown;
    let frozen = false;
    try {
      await cw.waitForWrites(50, MIN);
      // Pebble would restart Patroni within a second and, still holding the leader key, it would
      // lead again (e1). Frozen, its container stays down, as a node that does not come back.
      await sbx.signalPebble(oldPrimary, 'freeze');
      frozen = true;
      const { killedAt } = await sbx.killMember(oldPrimary);
      const leader = await sbx.until(
        async () => (await sbx.patroniCluster(before[others[0]!]!.address, 2_000)).find((m) => m.role === 'leader' && m.state === 'running')?.name,
        (name) => name !== undefined && name !== member(oldPrimary),
        'another member to lead',
        3 * MIN,
        250,
      );
      const newPrimary = unitNames(before).find((u) => member(u) === leader)!;
      timings['failover-new-leader'] = seconds(Date.now() - killedAt);
      await cw.waitForWrites(50, 2 * MIN);
      timings['failover-writes-resumed'] = seconds(Date.now() - killedAt);
      expect(cw.report().primaries.at(-1)).toBe(before[newPrimary]!.address);
      expect(cw.report().primaries.at(-1)).not.toBe(oldAddress);

      // The container comes back, as the kubelet restarts it: a new Pebble, pebble-ready, Patroni.
      await sbx.chaos([oldPrimary]);
      frozen = false;
      const status = await sbx
        .waitFor(
          // "Primary" moves too: the old primary's hooks announce its new role, and the new
          // primary's relation-changed shows its own.
          (u) => allActive(u, 3) && healthyCluster(u, 3) && leaderOf(u) === newPrimary,
          `${oldPrimary} back as a caught-up replica of ${newPrimary}, which shows "Primary"`,
          4 * MIN,
        )
        .catch(async (error: unknown) => {
          throw new Error(`${String(error)}\n${await sbx.workloadLogTail(oldPrimary)}`);
        });
      timings['failover-rejoined'] = seconds(Date.now() - killedAt);
      expect(['replica', 'sync_standby']).toContain(status.applications[APP]!.units[oldPrimary]!.patroni?.role);
      expect(await sbx.sql(oldPrimary, 'SELECT pg_is_in_recovery() AS r')).toEqual([{ r: true }]);
    } catch (error) {
      failure = error;
      throw error;
    } finally {
      if (frozen) await sbx.chaos([oldPrimary]).catch(() => undefined);
      await stopAndVerify(cw, 'cw_failover', addresses, 'failover', failure);
    }
  }, 10 * MIN);

  it('f. scale 3 → 1 → 3: the primary stays primary throughout, no ghost member, data kept, new units join as sync replicas', async () => {
    const before = await sbx.units();
    const keep = leaderOf(before)!;
    const keepAddress = before[keep]!.address;
    const leaving = unitNames(before).filter((u) => u !== keep);
    // Nothing has moved Juju's leadership since the deploy: the scale-down starts with it away from unit 0.
    const jujuLeader = Object.entries(before).find(([, u]) => u.leader)?.[0];
    expect(jujuLeader, summarize(before)).toBe(LEADERSHIP.leader);
    console.info(`scale-down: Juju leader ${jujuLeader ?? '?'}, Patroni leader ${keep}, removing ${leaving.join(', ')}`);
    let hosts = [keepAddress];
    const cw = writer(() => hosts, await sbx.operatorPassword(), 'cw_scale');
    await cw.start();
    let failure: unknown;
    const watch = new LeaderWatch(sbx, keepAddress).start();
    const started = Date.now();
    const added: string[] = [];
    try {
      await cw.waitForWrites(50, MIN);
      for (const unit of leaving) await sbx.removeUnit(unit);
      timings['scale-down'] = seconds(Date.now() - started);
      const members = await sbx.until(
        () => sbx.patroniCluster(keepAddress),
        (m) => m.length === 1,
        'a single member in /cluster',
        2 * MIN,
        1_000,
      );
      expect(members.map((m) => [m.name, m.role])).toEqual([[member(keep), 'leader']]);
      const listed = await sbx.ssh(keep, ['patronictl', '-c', '/var/lib/postgresql/data/patroni.yml', 'list', '-f', 'json']);
      expect(listed.exitCode, listed.stderr).toBe(0);
      expect((JSON.parse(listed.stdout) as { Member: string; Role: string }[]).map((m) => [m.Member, m.Role])).toEqual([[member(keep), 'Leader']]);
      await sbx.waitForActive(1, 2 * MIN);
      await cw.waitForWrites(50, MIN);

      const upStarted = Date.now();
      for (let i = 0; i < 2; i++) added.push(...(await sbx.addUnit(1)));
      const units = await sbx.units();
      hosts = [keepAddress, ...added.map((u) => units[u]!.address)];
      const status = await sbx.waitFor(
        (u) => allActive(u, 3) && healthyCluster(u, 3) && leaderOf(u) === keep && added.every((a) => u[a]?.patroni?.role === 'sync_standby'),
        `${added.join(', ')} caught-up sync standbys of ${keep}`,
        4 * MIN,
      );
      timings['scale-up'] = seconds(Date.now() - upStarted);
      expect(unitNames(status.applications[APP]!.units)).toEqual([keep, ...added].sort());
      await cw.waitForWrites(50, MIN);
    } catch (error) {
      failure = error;
      throw error;
    } finally {
      await watch.stop();
      await stopAndVerify(cw, 'cw_scale', hosts, 'scale', failure);
    }
    expect(cw.report().primaries).toEqual([keepAddress]);
    expect(watch.samples.length).toBeGreaterThan(10);
    expect(watch.leaders(), JSON.stringify(watch.samples.filter((s) => s.leader !== member(keep)).slice(0, 5))).toEqual([member(keep)]);
    expect(watch.errors.length, JSON.stringify(watch.errors.slice(0, 5))).toBeLessThanOrEqual(Math.ceil(watch.samples.length / 10));
    // No ghost: the members Patroni knows are exactly the units.
    expect((await sbx.patroniCluster(keepAddress)).map((m) => m.name).sort()).toEqual(unitNames(await sbx.units()).map(member));
    addresses = hosts;
  }, 14 * MIN);

  it('g. every pod killed at once (kill-all-pods): back to active with one Primary, data intact', async () => {
    addresses = Object.values(await sbx.units()).map((u) => u.address);
    const primary = await sbx.primary();
    await sbx.sql(primary, 'CREATE TABLE before_outage AS SELECT i FROM generate_series(1, 1000) AS i');
    const cw = writer(() => addresses, await sbx.operatorPassword(), 'cw_outage');
    await cw.start();
    let failure: unknown;
    const started = Date.now();
    try {
      await cw.waitForWrites(50, MIN);
      await sbx.chaos();
      timings['kill-all-settled'] = seconds(Date.now() - started);
      await sbx.waitForActive(3, 6 * MIN);
      timings['kill-all-active'] = seconds(Date.now() - started);
      await cw.waitForWrites(50, 3 * MIN);
      timings['kill-all-writes'] = seconds(Date.now() - started);
      await sbx.waitFor((u) => allActive(u, 3) && healthyCluster(u, 3), 'every replica caught up', 3 * MIN);
    } catch (error) {
      failure = error;
      throw error;
    } finally {
      await stopAndVerify(cw, 'cw_outage', addresses, 'kill-all-pods', failure);
    }
    const units = await sbx.units();
    expect(Object.values(units).filter((u) => u['workload-status'].message === 'Primary'), summarize(units)).toHaveLength(1);
    for (const unit of unitNames(units)) {
      expect(await sbx.sql(unit, 'SELECT count(*)::int AS n, sum(i)::int AS s FROM before_outage'), unit).toEqual([{ n: 1000, s: 500500 }]);
    }
  }, 14 * MIN);

  it('h. destroy leaves no process, namespace, link or mount of a sandbox that ran PostgreSQL', async () => {
    const units = unitNames(await sbx.units());
    for (const unit of units) {
      const pid = await sbx.ssh(unit, ['head', '-1', '/var/lib/postgresql/data/pgdata/postmaster.pid']);
      expect(pid.exitCode, pid.stderr).toBe(0);
    }
    // postmaster.pid holds pids of the pods' own PID namespaces: the host sees them under others.
    const postmasters = (await listLeftovers(sbx.sandboxId, sbx.stateDir)).processes.filter((p) => p.command.startsWith('/usr/lib/postgresql/')).map((p) => p.pid);
    expect(postmasters.length).toBeGreaterThanOrEqual(units.length);
    const { result, leftovers } = await sbx.destroy();
    expect(result.exitCode, result.stderr).toBe(0);
    // etcd only runs with --dcs etcd; the Kubernetes stand-in stops with the daemon.
    expect(result.stderr).toMatch(/daemon stopped; 3 Pebbles stopped; (etcd stopped|no etcd running)/);
    expect(isClean(leftovers), JSON.stringify(leftovers)).toBe(true);
    expect(existsSync(sbx.stateDir)).toBe(false);
    for (const pid of postmasters) expect(existsSync(`/proc/${pid}`) && (await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')).includes('postgres'), `postmaster ${pid}`).toBe(false);
    const prefix = namePrefix(sbx.sandboxId);
    expect((await execa('ip', ['netns', 'list'])).stdout).not.toContain(prefix);
    expect((await execa('ip', ['link', 'show'])).stdout).not.toContain(prefix);
    expect(await readFile('/proc/mounts', 'utf8')).not.toContain(sbx.stateDir);
    expect(await processesMentioning(sbx.stateDir)).toEqual([]);
  }, 5 * MIN);
});
