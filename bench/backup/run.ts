/**
 * Backup and restore benchmark on the sandbox (real charm, Pebble stand-in, Patroni 3.0.2,
 * PostgreSQL 15, pgBackRest from the workload, the sandbox's S3 server and s3-integrator):
 * the charm's actions against pgBackRest alone on the same data, in the same run, interleaved.
 *
 * Setup (untimed): a 1-unit deployment related to the sandbox S3 through s3-integrator (stanza,
 * WAL archiving), then `pgbench -i -s <scale>` (server-side generation; scale 70 ≈ 1 GB), a
 * CHECKPOINT and every WAL segment archived.
 *
 *   backup   charm: `run postgresql-k8s/0 create-backup type=full`, from the action's enqueue to
 *            its completion as the model records them (controller queue + dispatch: Node start,
 *            the charm's checks, metadata upload, `pgbackrest backup`, `pgbackrest info`, the log
 *            upload, the reconcile after it); beside it the dispatch alone (debug log) and
 *            pgBackRest's own "backup command end (N ms)" from its log.
 *            raw: `pgbackrest --stanza=<the charm's> --type=full backup --no-backup-standby` as
 *            postgres in the pod, timed in the pod; same pgbackrest.conf, same repository and
 *            stanza. A fresh stanza or repo path would get no WAL (archive_command pushes to the
 *            charm's), so its backup would have to skip the archive check the charm's does.
 *   restore  charm: `run … restore backup-id=<the last charm backup>` from the action's enqueue
 *            to the first INSERT committed on the restored primary (and, coarser, to the unit
 *            active "Primary" in status): the action (checks, Patroni stopped, DCS state and the
 *            old PGDATA removed) + Patroni's pgBackRest bootstrap + recovery and promotion.
 *            raw: `pgbackrest restore` of the same backup set (same options as the charm's
 *            bootstrap: --type=immediate --target-action=promote) into an empty directory in the
 *            pod's storage, `pg_ctl start -w` on a private socket (archiving off), then the first
 *            INSERT committed. Removing the previous raw restore's directory is timed apart.
 *
 * Order: charm, raw, raw, charm, charm, raw, … (so drift falls on both sides). Between runs the
 * model settles and the WAL archive is drained. Memory: the peak RSS (VmHWM) of the unit's
 * charm dispatches, sampled from /proc. Results: bench/results/backup.json, and a table.
 *
 * Usage: tsx bench/backup/run.ts [--scale 70] [--backups 3] [--restores 2]
 *        (or BENCH_PGBENCH_SCALE=10 npm run bench:backup for a quick run)
 * The sandbox is destroyed on any exit (error, Ctrl-C, SIGTERM).
 */
import { execa } from 'execa';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { unitCharmDir } from '../../sandbox/controller/unit-charm-dir.ts';
import { REPO_ROOT } from '../../sandbox/runtime/paths.ts';
import { readModel } from '../../tests/integration/relations/helpers.ts';
import { APP, CliFailedError, isClean, newPgClient, OPERATOR, SandboxFixture, stats, type StatusDoc, type UnitStatus } from '../../tests/support/sandbox-fixture.ts';
import { DispatchMemorySampler, peaksByDispatch } from './dispatch-memory.ts';
import { fields, lastBackupSpanScript, lastCommandEndScript, pgbenchInitScript, rawBackupScript, rawCountScript, rawRestoreScript, rawStopScript } from './pod-scripts.ts';

const { values } = parseArgs({
  options: {
    scale: { type: 'string' },
    backups: { type: 'string', default: '3' },
    restores: { type: 'string', default: '2' },
  },
});
const SCALE = Number(values.scale ?? process.env['BENCH_PGBENCH_SCALE'] ?? '70');
const BACKUPS = Math.max(1, Number(values.backups));
const RESTORES = Math.max(0, Number(values.restores));
if (!Number.isInteger(SCALE) || SCALE < 1) throw new Error(`pgbench scale must be a positive integer, not ${String(SCALE)}`);

const MIN = 60_000;
const UNIT = `${APP}/0`;
const S3_APP = 's3';
const CONF = '/etc/pgbackrest/pgbackrest.conf';
const STORAGE = '/var/lib/postgresql/data';
const RAW_DIR = `${STORAGE}/bench-raw-restore`;
const RAW_HBA = `${STORAGE}/bench-raw-hba.conf`;

const samples: Record<string, number[]> = {};
const notes: string[] = [];
const info: Record<string, unknown> = {};
const record = (name: string, ms: number): void => {
  (samples[name] ??= []).push(ms);
  process.stderr.write(`  ${name}: ${(ms / 1000).toFixed(2)} s\n`);
};
const log = (line: string): void => void process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`);

interface Repo {
  stanza: string;
  logPath: string;
}

// ---- the sandbox -------------------------------------------------------------------------------

async function waitPrimary(sbx: SandboxFixture, timeoutMs: number): Promise<StatusDoc> {
  return sbx.waitFor(
    (units) => {
      const u = units[UNIT];
      return u?.['workload-status'].current === 'active' && u['workload-status'].message === 'Primary' && u['juju-status'].current === 'idle';
    },
    `${UNIT} active "Primary" and idle`,
    timeoutMs,
  );
}

async function sshOk(sbx: SandboxFixture, script: string, timeoutMs: number): Promise<Record<string, string>> {
  const result = await sbx.ssh(UNIT, ['bash', '-c', script], timeoutMs);
  if (result.exitCode !== 0) throw new CliFailedError(result);
  return fields(result.stdout);
}

async function setUp(sbx: SandboxFixture): Promise<Repo> {
  log('deploy 1 unit');
  await sbx.deploy(1);
  const shown = (await sbx.cliOk(['s3'], 2 * MIN)).stdout;
  const field = (name: string): string => {
    const value = new RegExp(`^${name}: (.+)$`, 'm').exec(shown)?.[1]?.trim();
    if (value === undefined) throw new Error(`sandbox s3 printed no ${name}`);
    return value;
  };
  log('deploy s3-integrator and relate');
  await sbx.cliOk(
    [
      'deploy', 's3-integrator', S3_APP, '--timeout', '5m',
      '--config', `endpoint=${field('endpoint')}`, '--config', 'bucket=pg-bench', '--config', 'path=/bench',
      '--config', 's3-uri-style=path', '--config', 'region=us-east-1', '--config', `tls-ca-chain=${field('tls-ca-chain')}`,
    ],
    6 * MIN,
  );
  await sbx.runOk(`${S3_APP}/0`, 'sync-s3-credentials', { 'access-key': field('access-key'), 'secret-key': field('secret-key') });
  await sbx.cliOk(['relate', `${S3_APP}:s3-credentials`, `${APP}:s3-parameters`, '--timeout', '5m'], 6 * MIN);
  await waitPrimary(sbx, 5 * MIN);
  // The rendered config holds the S3 keys: read two values from it, print nothing of it.
  const conf = (await sbx.ssh(UNIT, ['cat', CONF])).stdout;
  const stanza = [...conf.matchAll(/^\[([^\]]+)\]$/gm)].map((m) => m[1]!).find((s) => !s.startsWith('global'));
  const logPath = /^log-path=(.+)$/m.exec(conf)?.[1]?.trim();
  if (stanza === undefined || logPath === undefined) throw new Error(`${CONF} has no stanza section or log-path`);
  const processMax = /^\[global:restore\]\n(?:.*\n)*?process-max=(\d+)/m.exec(conf)?.[1];
  info['pgbackrestConf'] = { stanza, logPath, restoreProcessMax: processMax === undefined ? null : Number(processMax), compress: /^compress-type=(.+)$/m.exec(conf)?.[1] ?? null };
  return { stanza, logPath };
}

async function loadData(sbx: SandboxFixture): Promise<void> {
  await sbx.sql(UNIT, 'CREATE TABLE bench_probe (id serial PRIMARY KEY, tag text NOT NULL, at timestamptz NOT NULL DEFAULT clock_timestamp())');
  await sbx.sql(UNIT, "INSERT INTO bench_probe (tag) VALUES ('before')");
  log(`pgbench -i -s ${SCALE}`);
  const host = await sbx.unitAddress(UNIT);
  // On this host, against the pod (data generated server-side: -I G); the password in the
  // environment, not in an argument.
  const started = Date.now();
  await execa('bash', ['-c', pgbenchInitScript({ host, user: OPERATOR, scale: SCALE })], {
    env: { BENCH_PGPASSWORD: await sbx.operatorPassword() },
    timeout: 30 * MIN,
    stdin: 'ignore',
  });
  info['pgbenchInitSeconds'] = Math.round((Date.now() - started) / 100) / 10;
  const [size] = await sbx.sql<{ bytes: string }>(UNIT, "SELECT pg_database_size('postgres')::text AS bytes");
  info['databaseMiB'] = Math.round(Number(size?.bytes ?? 0) / 2 ** 20);
  log(`database ${String(info['databaseMiB'])} MiB; archiving its WAL`);
  const drained = Date.now();
  await sbx.sql(UNIT, 'CHECKPOINT', { timeoutMs: 10 * MIN });
  await drainArchive(sbx, 20 * MIN);
  info['walArchiveDrainSeconds'] = Math.round((Date.now() - drained) / 100) / 10;
}

/** Switches WAL and waits until no segment is waiting for archive_command. */
async function drainArchive(sbx: SandboxFixture, timeoutMs: number): Promise<void> {
  await sbx.sql(UNIT, 'SELECT pg_switch_wal()');
  await sbx.until(
    () => sbx.sql<{ n: number }>(UNIT, "SELECT count(*)::int AS n FROM pg_ls_dir('pg_wal/archive_status') f WHERE f LIKE '%.ready'"),
    (rows) => rows[0]?.n === 0,
    'every WAL segment archived',
    timeoutMs,
    1_000,
  );
}

/** Before a measured run: the model settled, the archive drained, a few quiet seconds. */
async function quiet(sbx: SandboxFixture): Promise<void> {
  await waitPrimary(sbx, 5 * MIN);
  await drainArchive(sbx, 5 * MIN);
  await sleep(5_000);
}

async function pgbackrestMs(sbx: SandboxFixture, repo: Repo, command: 'backup' | 'restore'): Promise<number | undefined> {
  const ms = (await sshOk(sbx, lastCommandEndScript({ ...repo, command }), MIN))['ms'];
  return ms === undefined || ms === '' ? undefined : Number(ms);
}

async function lastLabel(sbx: SandboxFixture, repo: Repo): Promise<string> {
  const label = (await sshOk(sbx, `echo "label=$(grep -o "new backup label = [0-9A-Z_-]*" ${repo.logPath}/${repo.stanza}-backup.log | tail -1 | cut -d" " -f5)"`, MIN))['label'];
  if (label === undefined || label === '') throw new Error('no "new backup label" in pgBackRest\'s backup log');
  return label;
}

/** The action's enqueue and completion as the model recorded them (epoch ms). */
async function actionTimes(sbx: SandboxFixture, id: string): Promise<{ enqueued: number; completed: number }> {
  // The daemon writes model.json a moment after the action's end is visible to the CLI.
  const action = await sbx.until(
    async () => ((await readModel(sbx)) as unknown as { actions: Record<string, { enqueuedAt: string; completedAt: string | null }> }).actions[id],
    (a) => a?.completedAt != null,
    `action ${id}'s completion time in model.json`,
    30_000,
    200,
  );
  return { enqueued: Date.parse(action!.enqueuedAt), completed: Date.parse(action!.completedAt!) };
}

/** The last `running`/`ran "<name>" action` debug-log entries: when the dispatch started and ended. */
async function dispatchSpan(sbx: SandboxFixture, name: string): Promise<{ start: number; end: number } | undefined> {
  const entries = (await sbx.debugLogEntries(UNIT)).filter((e) => e.stream === 'controller');
  const start = entries.filter((e) => e.line === `running "${name}" action`).at(-1);
  const end = entries.filter((e) => e.line.startsWith(`ran "${name}" action`)).at(-1);
  return start === undefined || end === undefined ? undefined : { start: Date.parse(start.time), end: Date.parse(end.time) };
}

/** The last `ran "<name>" action … (N ms)` of the unit's debug log: the dispatch's duration. */
async function dispatchMs(sbx: SandboxFixture, name: string): Promise<number | undefined> {
  const entries = await sbx.debugLogEntries(UNIT);
  const line = entries.filter((e) => e.stream === 'controller' && e.line.startsWith(`ran "${name}" action`)).at(-1)?.line;
  const ms = line === undefined ? undefined : /\((\d+) ms\)$/.exec(line)?.[1];
  return ms === undefined ? undefined : Number(ms);
}

async function runAction(sbx: SandboxFixture, action: string, params: string[], timeoutMs: number): Promise<{ id: string; results: Record<string, unknown> }> {
  const result = await sbx.cli(['run', UNIT, action, ...params, '--format', 'json', '--timeout', `${Math.round(timeoutMs / MIN)}m`], timeoutMs + MIN);
  let task: { id?: string; status?: string; message?: string; results?: Record<string, unknown> } | undefined;
  try {
    task = (JSON.parse(result.stdout) as Record<string, typeof task>)[UNIT];
  } catch {
    throw new CliFailedError(result);
  }
  if (task?.status !== 'completed' || task.id === undefined) throw new Error(`${action} ${task?.status ?? 'no task'}: ${task?.message ?? result.stderr.slice(-2_000)}`);
  return { id: task.id, results: task.results ?? {} };
}

// ---- the measurements --------------------------------------------------------------------------

async function charmBackup(sbx: SandboxFixture, repo: Repo): Promise<{ backupId: string; label: string }> {
  await quiet(sbx);
  log('charm create-backup');
  const { id, results } = await runAction(sbx, 'create-backup', ['type=full'], 30 * MIN);
  const times = await actionTimes(sbx, id);
  record('backup charm: create-backup enqueued → completed', times.completed - times.enqueued);
  const dispatch = await dispatchMs(sbx, 'create-backup');
  if (dispatch !== undefined) record('backup charm: create-backup dispatch', dispatch);
  const own = await pgbackrestMs(sbx, repo, 'backup');
  if (own !== undefined) record('backup charm: pgbackrest backup (its log)', own);
  // Where the charm's time goes: before pgBackRest starts, and after its expire ends.
  const span = await dispatchSpan(sbx, 'create-backup');
  const stamps = await sshOk(sbx, lastBackupSpanScript(repo), MIN);
  const stamp = (text: string | undefined): number => Date.parse(`${(text ?? '').replace(' ', 'T')}Z`);
  const begin = stamp(stamps['begin']);
  const end = stamp(stamps['end']);
  if (span !== undefined && Number.isFinite(begin) && Number.isFinite(end)) {
    record('backup charm: dispatch start → pgbackrest begins', begin - span.start);
    record('backup charm: pgbackrest backup + expire (its log stamps)', end - begin);
    record('backup charm: expire ends → dispatch end', span.end - end);
  }
  return { backupId: String(results['backup-id']), label: await lastLabel(sbx, repo) };
}

async function rawBackup(sbx: SandboxFixture, repo: Repo): Promise<void> {
  await quiet(sbx);
  log('raw pgbackrest backup');
  const out = await sshOk(sbx, rawBackupScript(repo), 31 * MIN);
  record('backup raw: pgbackrest backup (timed in the pod)', Number(out['end']) - Number(out['start']));
  const own = await pgbackrestMs(sbx, repo, 'backup');
  if (own !== undefined) record('backup raw: pgbackrest backup (its log)', own);
}

async function tryWrite(host: string, password: string, tag: string): Promise<boolean> {
  const client = newPgClient(host, { user: OPERATOR, password, timeoutMs: 2_000 });
  try {
    await client.connect();
    await client.query('INSERT INTO bench_probe (tag) VALUES ($1)', [tag]);
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function charmRestore(sbx: SandboxFixture, repo: Repo, backupId: string, round: number): Promise<void> {
  await quiet(sbx);
  const host = await sbx.unitAddress(UNIT);
  const password = await sbx.operatorPassword();
  // A row the restored database must not have: proves the first write below is on it.
  await sbx.sql(UNIT, 'INSERT INTO bench_probe (tag) VALUES ($1)', { params: [`after-${round}`] });
  log(`charm restore backup-id=${backupId}`);
  const { id } = await runAction(sbx, 'restore', [`backup-id=${backupId}`], 10 * MIN);
  const { enqueued, completed } = await actionTimes(sbx, id);
  // The action stopped Patroni and removed the old PGDATA before it completed: a write now is on
  // the restored cluster.
  const deadline = Date.now() + 30 * MIN;
  while (!(await tryWrite(host, password, 'charm-restore'))) {
    if (Date.now() > deadline) throw new Error('no write accepted within 30 min of the restore');
    await sleep(100);
  }
  const written = Date.now();
  record('restore charm: action enqueued → completed', completed - enqueued);
  record('restore charm: enqueued → first write', written - enqueued);
  // Writes go on until the model settles: does anything after the restore interrupt them?
  let writing = true;
  let lastWrite = written;
  let longestGap = 0;
  const writer = (async () => {
    while (writing) {
      if (await tryWrite(host, password, 'charm-restore')) {
        longestGap = Math.max(longestGap, Date.now() - lastWrite);
        lastWrite = Date.now();
      }
      await sleep(100);
    }
  })();
  try {
    const shown = (units: Record<string, UnitStatus>): { current: string; message?: string } | undefined => units[UNIT]?.['workload-status'];
    await sbx.waitFor((units) => shown(units)?.current === 'active' && shown(units)?.message === 'Primary', `${UNIT} active "Primary"`, 20 * MIN);
    record('restore charm: enqueued → active "Primary" in status (polled)', Date.now() - enqueued);
    await waitPrimary(sbx, 20 * MIN);
    record('restore charm: enqueued → model settled (active, agent idle; polled)', Date.now() - enqueued);
  } finally {
    writing = false;
    await writer;
  }
  record('restore charm: longest write gap from the first write until settled', Math.max(longestGap, Date.now() - lastWrite));
  const own = await pgbackrestMs(sbx, repo, 'restore');
  if (own !== undefined) record('restore charm: pgbackrest restore (its log)', own);
  const [check] = await sbx.sql<{ accounts: string; after: number }>(
    UNIT,
    "SELECT (SELECT count(*) FROM pgbench_accounts)::text AS accounts, (SELECT count(*) FROM bench_probe WHERE tag LIKE 'after-%')::int AS after",
    { timeoutMs: 5 * MIN },
  );
  if (Number(check?.accounts) !== SCALE * 100_000 || check?.after !== 0) notes.push(`charm restore ${round}: WRONG DATA: ${JSON.stringify(check)}`);
}

async function rawRestore(sbx: SandboxFixture, repo: Repo, label: string, round: number): Promise<void> {
  await quiet(sbx);
  await sbx.sql(UNIT, 'INSERT INTO bench_probe (tag) VALUES ($1)', { params: [`after-raw-${round}`] });
  log(`raw pgbackrest restore --set=${label}`);
  const out = await sshOk(sbx, rawRestoreScript({ stanza: repo.stanza, label, dir: RAW_DIR, hbaFile: RAW_HBA }), 31 * MIN);
  const start = Number(out['start']);
  if (round > 0) record('restore raw: remove the previous restore (not in the raw total)', Number(out['removed']));
  record('restore raw: pgbackrest restore (timed in the pod)', Number(out['restored']) - start);
  record('restore raw: restore + pg_ctl start -w', Number(out['accepting']) - start);
  record('restore raw: restore → first write', Number(out['written']) - start);
  const own = await pgbackrestMs(sbx, repo, 'restore');
  if (own !== undefined) record('restore raw: pgbackrest restore (its log)', own);
  const count = await sbx.ssh(UNIT, ['bash', '-c', rawCountScript("SELECT (SELECT count(*) FROM pgbench_accounts) || ' ' || (SELECT count(*) FROM bench_probe WHERE tag LIKE 'after-%')")], 5 * MIN);
  if (count.stdout.trim() !== `${SCALE * 100_000} 0`) notes.push(`raw restore ${round}: WRONG DATA: ${count.stdout.trim()} ${count.stderr.trim()}`);
  await sshOk(sbx, rawStopScript({ dir: RAW_DIR }), 2 * MIN);
}

// ---- the run -----------------------------------------------------------------------------------

let active: SandboxFixture | undefined;
let sampler: DispatchMemorySampler | undefined;
let stopping = false;

async function destroy(): Promise<void> {
  const sbx = active;
  active = undefined;
  if (sbx === undefined) return;
  log('destroy the sandbox');
  const leftovers = await sbx.teardown();
  if (leftovers !== null && !isClean(leftovers)) notes.push(`sandbox left things behind: ${JSON.stringify(leftovers)}`);
}

for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(signal, () => {
    // `on`, not `once`: execa's signal-exit re-raises the signal when it is the last listener.
    if (stopping) return;
    stopping = true;
    log(`${signal}: tearing the sandbox down`);
    void destroy().finally(() => process.exit(130));
  });
}

/** The commit measured, and whether src/ differed from it (the tree is shared while others work). */
async function revision(): Promise<{ commit: string; srcDirty: boolean }> {
  const commit = (await execa('git', ['rev-parse', '--short', 'HEAD'], { cwd: REPO_ROOT })).stdout.trim();
  const dirty = (await execa('git', ['status', '--porcelain', '--', 'src'], { cwd: REPO_ROOT })).stdout.trim() !== '';
  return { commit, srcDirty: dirty };
}

async function main(): Promise<number> {
  const started = Date.now();
  info['revision'] = await revision();
  let failed = false;
  try {
    const sbx = await SandboxFixture.create('bench-backup');
    active = sbx;
    const repo = await setUp(sbx);
    sampler = new DispatchMemorySampler(unitCharmDir(sbx.stateDir, UNIT));
    sampler.start();
    await loadData(sbx);

    let last: { backupId: string; label: string } | undefined;
    for (let i = 0; i < BACKUPS * 2; i++) {
      // charm, raw, raw, charm, charm, raw, …
      const charmFirst = Math.floor(i / 2) % 2 === 0;
      if ((i % 2 === 0) === charmFirst) last = await charmBackup(sbx, repo);
      else await rawBackup(sbx, repo);
    }
    if (last === undefined) throw new Error('no charm backup');
    info['restoredBackup'] = last;
    for (let i = 0; i < RESTORES * 2; i++) {
      const round = Math.floor(i / 2);
      const charmFirst = round % 2 === 0;
      if ((i % 2 === 0) === charmFirst) await charmRestore(sbx, repo, last.backupId, round);
      else await rawRestore(sbx, repo, last.label, round);
    }
  } catch (error) {
    failed = true;
    notes.push(`FAILED: ${String(error).slice(0, 4_000)}`);
    log(notes.at(-1)!);
  } finally {
    const peaks = sampler?.stop() ?? [];
    info['dispatchPeakRssMiB'] = peaksByDispatch(peaks);
    if (peaks.length === 0) notes.push('no charm dispatch seen by the /proc sampler');
    await destroy();
  }
  report(Date.now() - started);
  return failed ? 1 : 0;
}

function ratio(numerator: string, denominator: string): number | null {
  const a = samples[numerator];
  const b = samples[denominator];
  if (a === undefined || b === undefined || a.length === 0 || b.length === 0) return null;
  return Math.round((stats(a).median / stats(b).median) * 1000) / 1000;
}

function report(totalMs: number): void {
  const rows = Object.entries(samples).map(([name, list]) => ({ name, ...stats(list), runsMs: list }));
  const ratios = {
    'backup: charm action (enqueued → completed) / raw pgbackrest': ratio('backup charm: create-backup enqueued → completed', 'backup raw: pgbackrest backup (timed in the pod)'),
    'backup: charm dispatch / raw pgbackrest': ratio('backup charm: create-backup dispatch', 'backup raw: pgbackrest backup (timed in the pod)'),
    "backup: pgbackrest's own time, charm's / raw's (its log)": ratio('backup charm: pgbackrest backup (its log)', 'backup raw: pgbackrest backup (its log)'),
    'restore: charm (enqueued → first write) / raw (restore → first write)': ratio('restore charm: enqueued → first write', 'restore raw: restore → first write'),
    "restore: pgbackrest's own time, charm's / raw's (its log)": ratio('restore charm: pgbackrest restore (its log)', 'restore raw: pgbackrest restore (its log)'),
  };
  const result = {
    date: new Date().toISOString(),
    command: `npm run bench:backup -- --scale ${SCALE} --backups ${BACKUPS} --restores ${RESTORES}`,
    machine: { cpus: os.cpus().length, memoryGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version, loadAverage: os.loadavg().map((l) => Math.round(l * 10) / 10) },
    stack: 'sandbox: real charm, Pebble stand-in, Patroni 3.0.2, PostgreSQL 15, pgBackRest (Debian 12) in the workload, sandbox S3 (s3rver over HTTPS) through the sandbox s3-integrator; 1 unit, DCS Kubernetes API stand-in',
    pgbenchScale: SCALE,
    runs: { backupsPerSide: BACKUPS, restoresPerSide: RESTORES },
    target: 'charm overhead under 5 % (ratio under 1.05)',
    totalSeconds: Math.round(totalMs / 1000),
    ...info,
    ratiosOfMedians: ratios,
    results: rows.map((r) => ({ name: r.name, n: r.n, minMs: r.min, medianMs: r.median, maxMs: r.max, runsMs: r.runsMs })),
    notes,
  };
  const dir = path.join(REPO_ROOT, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const out = path.join(dir, 'backup.json');
  writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
  const width = Math.max(...rows.map((r) => r.name.length), 10);
  const s = (ms: number): string => (ms / 1000).toFixed(2).padStart(8);
  const lines = [`${'measure'.padEnd(width)}  ${'n'.padStart(2)}  ${'min s'.padStart(8)}  ${'median s'.padStart(8)}  ${'max s'.padStart(8)}`];
  for (const r of rows) lines.push(`${r.name.padEnd(width)}  ${String(r.n).padStart(2)}  ${s(r.min)}  ${s(r.median)}  ${s(r.max)}`);
  for (const [name, value] of Object.entries(ratios)) lines.push(`ratio ${name}: ${value === null ? '-' : value.toFixed(3)}`);
  process.stdout.write(`${lines.join('\n')}\n${notes.map((n) => `note: ${n}`).join('\n')}${notes.length > 0 ? '\n' : ''}total ${Math.round(totalMs / 1000)} s; results: ${out}\n`);
}

process.exitCode = await main();
