/**
 * Cluster benchmark on the sandbox (real charm, Pebble, Patroni 3.0.2, PostgreSQL 15, etcd):
 *
 *   deploy      `deploy --units 3 --wait` until every unit is active (the CLI's own wait), and on
 *               until Patroni has a caught-up sync standby
 *   failover    kill -9 of the primary's Patroni + postmaster + children (time taken inside the pod,
 *               just before the kill) with its Pebble frozen (SIGSTOP), so nothing restarts it, as
 *               a node that stays down → the first INSERT accepted by another member (≈ Patroni's
 *               ttl, the charm's failover_detection_timeout); then the pod's container restarts (chaos kill-pod) and the old primary
 *               rejoins
 *   crash       the same kill with Pebble running: Pebble restarts Patroni within a second and,
 *               still holding the leader key, it leads again → the first INSERT accepted anywhere
 *   switchover  `run <sync standby> promote-to-primary scope=unit` started → the first INSERT
 *               accepted by that unit (includes the CLI's start, ~1-2 s of Node + tsx)
 *
 * A ContinuousWrites writer runs through every fault and switchover; its longest gap between two
 * acknowledged writes is reported beside each, and its writes are checked afterwards (nothing
 * acknowledged lost or doubled). Each fault waits for the cluster to be healthy again before the
 * next. Results: bench/results/cluster.json, and a table on stdout.
 *
 * Usage: tsx bench/cluster/run.ts [--deploys 2] [--failovers 3] [--crashes 2] [--switchovers 3]
 *        [--failover-detection-timeout <s>]   (the charm option; default: the charm's default)
 */
import { execa } from 'execa';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { REPO_ROOT } from '../../sandbox/runtime/paths.ts';
import { CHARM_OPTIONS } from '../../src/config/index.ts';
import { patroniTiming } from '../../src/workload/patroni-dynamic-config.ts';
import { ContinuousWrites } from '../../tests/support/continuous-writes.ts';
import { byKind, bySteps, dispatchesOf, type Dispatch } from './hooks.ts';
import { rawPatroniBaseline } from './raw-patroni.ts';
import { formatTrace, kubeLeaderSource, Tracer } from './trace.ts';
import {
  APP,
  allActive,
  isCaughtUpReplica,
  isClean,
  newPgClient,
  OPERATOR,
  SandboxFixture,
  stats,
  type UnitStatus,
} from '../../tests/support/sandbox-fixture.ts';

const { values } = parseArgs({
  options: {
    deploys: { type: 'string', default: '2' },
    failovers: { type: 'string', default: '3' },
    crashes: { type: 'string', default: '2' },
    switchovers: { type: 'string', default: '3' },
    'failover-detection-timeout': { type: 'string' },
    /** Print (and keep in the results) a timeline of each failover and switchover (trace.ts). */
    trace: { type: 'boolean', default: false },
    /** The raw-Patroni baseline (raw-patroni.ts) after the sandbox, with the same counts and timing. */
    'raw-patroni': { type: 'boolean', default: true },
    /** pgbench at full CPU on the primary for this long after the deploy; the primary must not change. */
    'load-seconds': { type: 'string', default: '0' },
    /** The results file under bench/results/ (default cluster.json). */
    out: { type: 'string', default: 'cluster.json' },
  },
});
const detectionTimeout = values['failover-detection-timeout'] === undefined ? undefined : Number(values['failover-detection-timeout']);
const timing = patroniTiming(detectionTimeout ?? charmDefault('failover_detection_timeout'));
const counts = {
  /** 0: no sandbox, the raw-Patroni baseline only. */
  deploys: Math.max(0, Number(values.deploys)),
  failovers: Number(values.failovers),
  crashes: Number(values.crashes),
  switchovers: Number(values.switchovers),
};

const MIN = 60_000;
const samples: Record<string, number[]> = {};
const notes: string[] = [];
const traces: { label: string; lines: string[] }[] = [];
let hookReport: Record<string, unknown> | undefined;
let loadReport: Record<string, unknown> | undefined;
const PGBENCH = '/usr/lib/postgresql/15/bin/pgbench';

/**
 * pgbench (8 clients, 2 threads: both cores busy) on the primary for `seconds` while the sandbox
 * runs its hooks; Patroni's leader and timeline are read every second from every member. Under
 * load the leader must keep its lock: no change of primary, no new timeline.
 */
async function loadCheck(sbx: SandboxFixture, hosts: readonly string[], password: string, seconds: number): Promise<void> {
  const primary = await sbx.primary();
  const host = await sbx.unitAddress(primary);
  const env = { PGPASSWORD: password };
  await execa(PGBENCH, ['-i', '-q', '-s', '10', '-h', host, '-U', OPERATOR, 'postgres'], { env });
  const seen: { at: number; leader: string; timeline: number }[] = [];
  let stop = false;
  const watch = (async () => {
    while (!stop) {
      for (const h of hosts) {
        try {
          const leader = (await sbx.patroniCluster(h, 2_000)).find((m) => m.role === 'leader');
          if (leader !== undefined) {
            const last = seen.at(-1);
            const timeline = leader.timeline ?? 0;
            if (last === undefined || last.leader !== leader.name || last.timeline !== timeline) seen.push({ at: Date.now(), leader: leader.name, timeline });
            break;
          }
        } catch {
          // the next member
        }
      }
      await sleep(1_000);
    }
  })();
  const started = Date.now();
  const bench = await execa(PGBENCH, ['-c', '8', '-j', '2', '-T', String(seconds), '-P', '30', '-h', host, '-U', OPERATOR, 'postgres'], { env, reject: false });
  stop = true;
  await watch;
  const tps = /tps = ([\d.]+)/.exec(bench.stdout)?.[1];
  const changes = Math.max(0, seen.length - 1);
  loadReport = { seconds, clients: 8, threads: 2, tps: tps === undefined ? null : Number(tps), exitCode: bench.exitCode, leaders: seen.map((x) => ({ ...x, at: new Date(x.at).toISOString() })), primaryChanges: changes, elapsedSeconds: Math.round((Date.now() - started) / 1000) };
  process.stderr.write(`load: ${seconds} s pgbench, ${tps ?? '?'} tps, primary changes ${changes}\n${bench.stderr.split('\n').filter((l) => l.startsWith('progress')).join('\n')}\n`);
  if (changes > 0 || bench.exitCode !== 0) notes.push(`load: ${changes} primary change(s) during ${seconds} s of pgbench (exit ${String(bench.exitCode)}): ${JSON.stringify(seen)}`);
}

/** Every dispatch of `sbx`'s units so far, with the per-hook-kind and per-step distributions. */
async function collectHooks(sbx: SandboxFixture, unitNames: readonly string[], deployWindow: { from: number; to: number }): Promise<void> {
  const all: Dispatch[] = [];
  for (const unit of unitNames) all.push(...dispatchesOf(unit, await sbx.debugLogEntries(unit)));
  const deploy = all.filter((d) => d.endedAt >= deployWindow.from && d.endedAt <= deployWindow.to);
  const slowest = [...all].sort((a, b) => b.ms - a.ms).slice(0, 12);
  hookReport = {
    deploy: byKind(deploy),
    deploySteps: bySteps(deploy),
    all: byKind(all),
    allSteps: bySteps(all),
    over2s: all.filter((d) => d.ms > 2_000).length,
    dispatches: all.length,
    slowest: slowest.map((d) => ({ unit: d.unit, kind: d.kind, ms: d.ms, at: new Date(d.endedAt).toISOString(), ...(d.timings === undefined ? {} : { timings: d.timings }) })),
  };
  const fmt = (table: Record<string, { n: number; medianMs: number; p95Ms: number; maxMs: number }>): string =>
    Object.entries(table)
      .map(([k, d]) => `    ${k.padEnd(40)} n ${String(d.n).padStart(3)}  median ${String(d.medianMs).padStart(6)}  p95 ${String(d.p95Ms).padStart(6)}  max ${String(d.maxMs).padStart(6)} ms`)
      .join('\n');
  process.stderr.write(`hooks during deploy:\n${fmt(byKind(deploy))}\nsteps during deploy:\n${fmt(bySteps(deploy))}\nhooks, whole run:\n${fmt(byKind(all))}\n`);
}

/** Runs `work` under a Tracer of `members` when --trace is given; the timeline goes to stderr and the results. */
async function traced<T>(sbx: SandboxFixture, members: Record<string, string>, label: string, work: (tracer: Tracer | undefined) => Promise<T>): Promise<T> {
  if (!values.trace) return work(undefined);
  const tracer = new Tracer(members, kubeLeaderSource(sbx.stateDir, APP));
  tracer.start();
  await sleep(300);
  const zero = Date.now();
  try {
    return await work(tracer);
  } finally {
    const lines = formatTrace(await tracer.stop(), zero);
    traces.push({ label, lines });
    process.stderr.write(`  timeline (${label}):\n${lines.map((l) => `    ${l}`).join('\n')}\n`);
  }
}
const record = (name: string, ms: number): void => {
  (samples[name] ??= []).push(ms);
  process.stderr.write(`  ${name}: ${(ms / 1000).toFixed(2)} s\n`);
};

const leaderOf = (units: Record<string, UnitStatus>): string | undefined => Object.entries(units).find(([, u]) => u.patroni?.role === 'leader')?.[0];
const healthy = (units: Record<string, UnitStatus>): boolean =>
  allActive(units, 3, { primaryLabel: false }) &&
  Object.values(units).filter((u) => u.patroni?.role !== 'leader').every((u) => isCaughtUpReplica(u.patroni)) &&
  Object.values(units).some((u) => u.patroni?.role === 'sync_standby');

/** Polls INSERTs on `hosts` until one is accepted; the epoch ms it was, and where. */
async function firstWrite(hosts: readonly string[], password: string, timeoutMs: number): Promise<{ at: number; host: string }> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    for (const host of hosts) {
      const client = newPgClient(host, { user: OPERATOR, password, timeoutMs: 2_000 });
      try {
        await client.connect();
        await client.query('INSERT INTO bench_probe DEFAULT VALUES');
        return { at: Date.now(), host };
      } catch {
        // not the primary (read-only), or not reachable yet
      } finally {
        await client.end().catch(() => undefined);
      }
    }
    await sleep(25);
  }
  throw new Error(`no write accepted on ${hosts.join(', ')} within ${timeoutMs} ms`);
}

async function withWriter<T>(sbx: SandboxFixture, hosts: string[], label: string, work: () => Promise<T>): Promise<T> {
  const cw = new ContinuousWrites({ hosts: () => hosts, user: OPERATOR, password: await sbx.operatorPassword(), table: 'bench_writes', intervalMs: 20 });
  await cw.start();
  await cw.waitForWrites(20, MIN);
  let result: T;
  try {
    result = await work();
    await cw.waitForWrites(20, 2 * MIN);
  } finally {
    const report = await cw.stop();
    record(`${label} write gap`, report.longestGapMs);
    const primary = await sbx.primary();
    const check = await cw.verify(await sbx.unitAddress(primary));
    if (check.missing.length + check.duplicated.length + check.unexpected.length > 0) {
      notes.push(`${label}: writes LOST or DOUBLED: ${JSON.stringify({ missing: check.missing.slice(0, 10), duplicated: check.duplicated.slice(0, 10), unexpected: check.unexpected.slice(0, 10) })}`);
    }
  }
  return result;
}

/** `--deploys 0`: the sandbox part is skipped. */
class NoSandbox extends Error {}

async function main(): Promise<number> {
  let sbx: SandboxFixture | undefined;
  const started = Date.now();
  let failed = false;
  let deployWindow = { from: 0, to: 0 };
  try {
    if (counts.deploys === 0) throw new NoSandbox();
    for (let i = 0; i < counts.deploys; i++) {
      process.stderr.write(`deploy ${i + 1}/${counts.deploys}\n`);
      sbx = await SandboxFixture.create('bench');
      const t0 = Date.now();
      await sbx.deploy(3, detectionTimeout === undefined ? {} : { config: { failover_detection_timeout: String(detectionTimeout) } });
      record('deploy → all active', Date.now() - t0);
      deployWindow = { from: t0, to: Date.now() };
      await sbx.waitFor(healthy, 'a caught-up sync standby', 3 * MIN);
      record('deploy → sync standby', Date.now() - t0);
      if (i < counts.deploys - 1) await destroy(sbx);
    }
    if (sbx === undefined) throw new Error('no sandbox deployed');
    const fixture = sbx;
    const units = await fixture.units();
    const hosts = Object.values(units).map((u) => u.address);
    const password = await fixture.operatorPassword();
    const memberHosts = Object.fromEntries(Object.entries(units).map(([name, u]) => [name, u.address]));
    await fixture.sql(await fixture.primary(), 'CREATE TABLE bench_probe (at timestamptz NOT NULL DEFAULT clock_timestamp())');
    const loadSeconds = Number(values['load-seconds']);
    if (loadSeconds > 0) await loadCheck(fixture, hosts, password, loadSeconds);

    for (let i = 0; i < counts.crashes; i++) {
      process.stderr.write(`crash ${i + 1}/${counts.crashes}\n`);
      await withWriter(fixture, hosts, 'crash', async () => {
        const victim = await fixture.primary();
        const { killedAt } = await fixture.killMember(victim);
        const { at, host } = await firstWrite(hosts, password, 3 * MIN);
        record('crash: kill → first write', at - killedAt);
        if (host !== units[victim]!.address) notes.push(`crash ${i + 1}: the primary moved (${victim} → ${host})`);
        await fixture.waitFor(healthy, 'healthy again', 5 * MIN);
        record('crash: kill → healthy', Date.now() - killedAt);
      });
    }

    for (let i = 0; i < counts.failovers; i++) {
      process.stderr.write(`failover ${i + 1}/${counts.failovers}\n`);
      await withWriter(fixture, hosts, 'failover', async () => {
        const victim = await fixture.primary();
        const others = hosts.filter((h) => h !== units[victim]!.address);
        await fixture.signalPebble(victim, 'freeze');
        let killedAt = Date.now();
        try {
          await traced(fixture, memberHosts, `failover ${i + 1}`, async (tracer) => {
            ({ killedAt } = await fixture.killMember(victim));
            tracer?.mark(`killed ${victim}`, killedAt);
            const { at, host } = await firstWrite(others, password, 3 * MIN);
            tracer?.mark(`first write on ${host}`, at);
            record('failover: kill → first write on new primary', at - killedAt);
            if (tracer !== undefined) {
              for (const survivor of Object.keys(units).filter((u) => u !== victim)) process.stderr.write(await replicationLog(fixture, survivor));
            }
          });
        } finally {
          // The container comes back as the kubelet restarts it (backoff: at once, then 10 s, 20 s…).
          await fixture.chaos([victim]);
        }
        await fixture.waitFor((u) => healthy(u) && leaderOf(u) !== victim, 'the old primary back as a replica', 5 * MIN).catch(async (error: unknown) => {
          throw new Error(`${String(error)}\n${await fixture.workloadLogTail(victim)}`);
        });
        record('failover: kill → old primary rejoined', Date.now() - killedAt);
      });
    }

    for (let i = 0; i < counts.switchovers; i++) {
      process.stderr.write(`switchover ${i + 1}/${counts.switchovers}\n`);
      await withWriter(fixture, hosts, 'switchover', async () => {
        const now = await fixture.waitFor(healthy, 'a sync standby', 3 * MIN);
        const current = now.applications[APP]!.units;
        const candidate = Object.keys(current).find((u) => current[u]!.patroni?.role === 'sync_standby')!;
        const t0 = Date.now();
        await traced(fixture, memberHosts, `switchover ${i + 1}`, async (tracer) => {
          tracer?.mark(`promote-to-primary on ${candidate}`, t0);
          const action = fixture.runOk(candidate, 'promote-to-primary', { scope: 'unit' }).then(() => Date.now());
          const { at } = await firstWrite([current[candidate]!.address], password, 3 * MIN);
          tracer?.mark('first write', at);
          record('switchover: request → first write on new primary', at - t0);
          const returned = await action;
          tracer?.mark('action returned', returned);
          record('switchover: action returned', returned - t0);
          record('switchover: first write → action returned', returned - at);
        });
        await fixture.waitFor((u) => healthy(u) && leaderOf(u) === candidate, 'healthy again', 5 * MIN);
        record('switchover: request → healthy', Date.now() - t0);
      });
    }
  } catch (error) {
    // A run that does not finish ends the benchmark: what was measured so far is still written.
    if (!(error instanceof NoSandbox)) {
      failed = true;
      notes.push(`FAILED: ${String(error).slice(0, 4_000)}`);
    }
  } finally {
    if (sbx !== undefined) {
      await collectHooks(sbx, Object.keys(await sbx.units().catch(() => ({}))), deployWindow).catch((error: unknown) => notes.push(`hook durations: ${String(error)}`));
      await destroy(sbx);
    }
  }
  if (values['raw-patroni'] && (counts.failovers > 0 || counts.switchovers > 0)) {
    try {
      await rawPatroniBaseline({ timing, failovers: counts.failovers, switchovers: counts.switchovers, record, note: (text) => notes.push(text) });
    } catch (error) {
      failed = true;
      notes.push(`raw patroni baseline FAILED: ${String(error).slice(0, 4_000)}`);
    }
  }
  report(Date.now() - started);
  return failed ? 1 : 0;
}

/** A member's Patroni and PostgreSQL log lines about leadership, promotion and streaming (--trace). */
async function replicationLog(sbx: SandboxFixture, unit: string): Promise<string> {
  const pattern = 'slot|could not connect|streaming|promot|timeline|waiting for WAL|leader|lock|following|Synchronous';
  const script = [
    'cd /var/log/postgresql 2>/dev/null || exit 0',
    `ls -tr patroni.log* 2>/dev/null | xargs -r cat | grep -E "${pattern}" | grep -v "no action" | tail -n 12`,
    `ls -t postgresql-*.log 2>/dev/null | head -1 | xargs -r grep -E "${pattern}" | grep -v LOCATION | tail -n 16 | cut -c1-220`,
  ].join('\n');
  const result = await sbx.ssh(unit, ['bash', '-c', script]);
  return `--- ${unit}\n${result.stdout}\n`;
}

async function destroy(sbx: SandboxFixture): Promise<void> {
  const leftovers = await sbx.teardown();
  if (leftovers !== null && !isClean(leftovers)) notes.push(`sandbox left things behind: ${JSON.stringify(leftovers)}`);
}

function report(totalMs: number): void {
  const rows = Object.entries(samples).map(([name, list]) => ({ name, ...stats(list), runsMs: list }));
  const result = {
    date: new Date().toISOString(),
    machine: { cpus: os.cpus().length, memoryGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version },
    stack: `sandbox: real charm, Pebble stand-in, Patroni 3.0.2 (ttl ${timing.ttl}, loop_wait ${timing.loop_wait}, retry_timeout ${timing.retry_timeout}), PostgreSQL 15, DCS ${
      process.env['SANDBOX_DCS'] === 'etcd' ? 'etcd 3.4' : 'Kubernetes API stand-in'
    }`,
    runs: counts,
    totalSeconds: Math.round(totalMs / 1000),
    results: rows.map((r) => ({ name: r.name, n: r.n, minMs: r.min, medianMs: r.median, maxMs: r.max, runsMs: r.runsMs })),
    notes,
    ...(loadReport === undefined ? {} : { load: loadReport }),
    ...(hookReport === undefined ? {} : { hooks: hookReport }),
    ...(traces.length > 0 ? { traces } : {}),
  };
  const dir = path.join(REPO_ROOT, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const out = path.join(dir, path.basename(values.out));
  writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
  const width = Math.max(...rows.map((r) => r.name.length), 10);
  const s = (ms: number): string => (ms / 1000).toFixed(2).padStart(8);
  const lines = [`${'measure'.padEnd(width)}  ${'n'.padStart(2)}  ${'min s'.padStart(8)}  ${'median s'.padStart(8)}  ${'max s'.padStart(8)}`];
  for (const r of rows) lines.push(`${r.name.padEnd(width)}  ${String(r.n).padStart(2)}  ${s(r.min)}  ${s(r.median)}  ${s(r.max)}`);
  process.stdout.write(`${lines.join('\n')}\n${notes.map((n) => `note: ${n}`).join('\n')}${notes.length > 0 ? '\n' : ''}total ${Math.round(totalMs / 1000)} s; results: ${out}\n`);
}

process.exitCode = await main();

function charmDefault(name: string): number {
  const option = CHARM_OPTIONS.find((o) => o.name === name);
  if (option === undefined || typeof option.default !== 'number') throw new Error(`no numeric default for ${name}`);
  return option.default;
}
