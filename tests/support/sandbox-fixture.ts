import { execa } from 'execa';
import { existsSync } from 'node:fs';
import http from 'node:http';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { readDebugLog, type DebugLogEntry } from '../../sandbox/controller/debug-log.ts';
import { isClean, listLeftovers, type Leftovers } from '../../sandbox/pods/index.ts';
import { podNameOf, REPO_ROOT, SandboxPaths, TSX_LOADER } from '../../sandbox/runtime/paths.ts';
import { destroyEverything } from '../../sandbox/runtime/teardown.ts';
import { errorCode } from '../../src/errors.ts';

/**
 * One sandbox (real pods, Pebbles, Patroni, PostgreSQL and the real charm from `dist/`) driven
 * through its CLI as a user would: every verb is a child process against a state dir of its
 * own. PostgreSQL and Patroni's REST API are reached directly on the pods' addresses.
 *
 * Every wait is on a condition, with a timeout; every failure says what was awaited and what
 * was seen last.
 */

export const APP = 'postgresql-k8s';
export const PG_PORT = 5432;
export const PATRONI_PORT = 8008;
export const OPERATOR = 'operator';
const CLI = path.join(REPO_ROOT, 'sandbox', 'cli.ts');
const PGDATA = '/var/lib/postgresql/data/pgdata';

export interface CliResult {
  args: string[];
  exitCode: number;
  stdout: string;
  stderr: string;
  durationMs: number;
}

/** A unit in `status --format json` (the `juju status` document plus Patroni's view). */
export interface UnitStatus {
  'workload-status': { current: string; message?: string };
  'juju-status': { current: string };
  address: string;
  leader?: boolean;
  patroni?: { role: string; state: string; lag?: number | string };
}

export interface StatusDoc {
  model: { name: string };
  applications: Record<string, { scale: number; 'application-status': { current: string; message?: string }; units: Record<string, UnitStatus> }>;
}

/** A member in Patroni's `GET /cluster`. */
export interface PatroniMember {
  name: string;
  role: string;
  state: string;
  host: string;
  lag?: number | string;
  timeline?: number;
  pending_restart?: boolean;
}

export type ActionOutcome =
  | { status: 'completed'; results: Record<string, unknown> }
  | { status: 'failed' | 'aborted'; message: string; results: Record<string, unknown> };

/** An action that ended other than `completed` (its message is the charm's `action-fail`). */
export class ActionFailedError extends Error {
  constructor(
    readonly unit: string,
    readonly action: string,
    readonly status: string,
    readonly actionMessage: string,
  ) {
    super(`action ${action} on ${unit} ${status}: ${actionMessage}`);
    this.name = 'ActionFailedError';
  }
}

/** A CLI verb that exited non-zero. */
export class CliFailedError extends Error {
  constructor(readonly result: CliResult) {
    super(`sandbox ${result.args.join(' ')} exited ${result.exitCode} after ${result.durationMs} ms\n--- stderr (tail) ---\n${tail(result.stderr, 40)}\n--- stdout (tail) ---\n${tail(result.stdout, 20)}`);
    this.name = 'CliFailedError';
  }
}

/** What `killMember` killed, and when (epoch ms, taken inside the pod just before the kill). */
export interface KilledMember {
  unit: string;
  patroni: number[];
  postmaster: number;
  children: number[];
  killedAt: number;
}

/** A password that may change while a client runs (pg.Client asks for it at every connect). */
export type PasswordSource = string | (() => string | Promise<string>);

export interface SqlOptions {
  password?: PasswordSource;
  user?: string;
  database?: string;
  params?: unknown[];
  timeoutMs?: number;
}

export class SandboxFixture {
  readonly stateDir: string;
  readonly #workDir: string;
  /** `SANDBOX_LEADER_SEED` for every CLI call (and so the daemon they start): who leads is repeatable. */
  readonly leaderSeed: string | undefined;
  #sandboxId: string | undefined;
  #operatorPassword: string | undefined;
  /** The last CLI calls made (tails of their output), for a report when a test fails. */
  readonly calls: CliResult[] = [];

  private constructor(workDir: string, stateDir = path.join(workDir, 'state'), leaderSeed?: string) {
    this.#workDir = workDir;
    this.stateDir = stateDir;
    this.leaderSeed = leaderSeed;
  }

  /**
   * A fixture with a fresh state dir of its own (nothing is created until `deploy`). With
   * `leaderSeed` the sandbox picks leaders from it (sandbox/controller/leader-choice.ts), so a
   * test can choose a deployment whose leader is not unit 0 and say so.
   */
  static async create(label = 'cluster', options: { leaderSeed?: string } = {}): Promise<SandboxFixture> {
    return new SandboxFixture(await mkdtemp(path.join(os.tmpdir(), `sbx-${label}-`)), undefined, options.leaderSeed);
  }

  /** A fixture over a sandbox that already runs in `stateDir` (for debugging by hand). */
  static async attach(stateDir: string): Promise<SandboxFixture> {
    const fixture = new SandboxFixture(stateDir, stateDir);
    await fixture.#readSandboxId();
    return fixture;
  }

  async #readSandboxId(): Promise<void> {
    const settings = JSON.parse(await readFile(new SandboxPaths(this.stateDir).settings, 'utf8')) as { sandboxId: string };
    this.#sandboxId = settings.sandboxId;
  }

  get sandboxId(): string {
    if (this.#sandboxId === undefined) throw new Error('no sandbox deployed yet');
    return this.#sandboxId;
  }

  // ---- the CLI -------------------------------------------------------------------------------

  async cli(args: string[], timeoutMs = 300_000): Promise<CliResult> {
    const started = Date.now();
    const r = await execa(process.execPath, ['--import', TSX_LOADER, CLI, ...args], {
      cwd: REPO_ROOT,
      // SANDBOX_DCS picks the DCS of a sandbox the deploy makes (`SANDBOX_DCS=etcd npx vitest run ...`).
      env: {
        SANDBOX_STATE_DIR: this.stateDir,
        ...(process.env['SANDBOX_DCS'] ? { SANDBOX_DCS: process.env['SANDBOX_DCS'] } : {}),
        ...(this.leaderSeed === undefined ? {} : { SANDBOX_LEADER_SEED: this.leaderSeed }),
      },
      reject: false,
      timeout: timeoutMs,
      stdin: 'ignore',
    });
    const result: CliResult = { args, exitCode: r.exitCode ?? -1, stdout: r.stdout, stderr: r.stderr, durationMs: Date.now() - started };
    this.calls.push({ ...result, stdout: tail(result.stdout, 20), stderr: tail(result.stderr, 20) });
    if (this.calls.length > 100) this.calls.shift();
    return result;
  }

  /** The CLI verb, which must succeed. */
  async cliOk(args: string[], timeoutMs?: number): Promise<CliResult> {
    const result = await this.cli(args, timeoutMs);
    if (result.exitCode !== 0) throw new CliFailedError(result);
    return result;
  }

  /**
   * `deploy --units N --trust --wait`: returns once every unit is active and idle. `--trust` as
   * the charm needs it on Kubernetes (`trust: false` leaves it out: the units block then, and
   * the deploy does not wait); `dcs` picks the sandbox's DCS (its default otherwise).
   */
  async deploy(
    units: number,
    options: { config?: Record<string, string>; timeout?: string; subnet?: string; dcs?: 'kubernetes' | 'etcd'; trust?: boolean } = {},
  ): Promise<CliResult> {
    const trust = options.trust ?? true;
    const args = ['deploy', '--units', String(units), ...(trust ? ['--trust', '--wait'] : []), '--timeout', options.timeout ?? '10m'];
    for (const [k, v] of Object.entries(options.config ?? {})) args.push('--config', `${k}=${v}`);
    if (options.subnet !== undefined) args.push('--subnet', options.subnet);
    if (options.dcs !== undefined) args.push('--dcs', options.dcs);
    const result = await this.cliOk(args, 12 * 60_000);
    await this.#readSandboxId();
    return result;
  }

  async status(): Promise<StatusDoc> {
    const result = await this.cliOk(['status', '--format', 'json'], 60_000);
    return JSON.parse(result.stdout) as StatusDoc;
  }

  /** The application's units, by name. */
  async units(): Promise<Record<string, UnitStatus>> {
    return (await this.status()).applications[APP]?.units ?? {};
  }

  /** `run <unit> <action> k=v…`: the results, or the failure with the charm's message. */
  async run(unit: string, action: string, params: Record<string, string | number | boolean> = {}, timeout = '5m'): Promise<ActionOutcome> {
    const words = Object.entries(params).map(([k, v]) => `${k}=${String(v)}`);
    const result = await this.cli(['run', unit, action, ...words, '--format', 'json', '--timeout', timeout], 6 * 60_000);
    let document: Record<string, { status: string; message?: string; results?: Record<string, unknown> }>;
    try {
      document = JSON.parse(result.stdout) as typeof document;
    } catch {
      throw new CliFailedError(result);
    }
    const task = document[unit];
    if (task === undefined) throw new CliFailedError(result);
    const results = task.results ?? {};
    if (task.status === 'completed' && result.exitCode === 0) return { status: 'completed', results };
    return { status: task.status === 'aborted' ? 'aborted' : 'failed', message: task.message ?? '', results };
  }

  /** `run`, which must complete: its results. */
  async runOk(unit: string, action: string, params: Record<string, string | number | boolean> = {}): Promise<Record<string, unknown>> {
    const outcome = await this.run(unit, action, params);
    if (outcome.status !== 'completed') throw new ActionFailedError(unit, action, outcome.status, outcome.message);
    return outcome.results;
  }

  /** `trust <app>` (`--remove` with `remove`): follows the hooks until the model settles. */
  async trust(app: string = APP, options: { remove?: boolean } = {}): Promise<CliResult> {
    return this.cliOk(['trust', app, '--scope=cluster', ...(options.remove ? ['--remove'] : []), '--timeout', '10m'], 11 * 60_000);
  }

  /** `config k=v …` (or `--reset k`): follows config-changed until the model settles. */
  async config(...assignments: string[]): Promise<CliResult> {
    return this.cliOk(['config', ...assignments, '--timeout', '10m'], 11 * 60_000);
  }

  async resetConfig(...keys: string[]): Promise<CliResult> {
    return this.cliOk(['config', '--reset', keys.join(','), '--timeout', '10m'], 11 * 60_000);
  }

  /** `add-unit -n N --wait`: the new unit names, from the CLI's "added …" line. */
  async addUnit(count = 1): Promise<string[]> {
    const result = await this.cliOk(['add-unit', '-n', String(count), '--wait', '--timeout', '10m'], 11 * 60_000);
    const added = /added ([^\n]+)/.exec(result.stderr);
    if (!added) throw new Error(`add-unit did not say which units it added:\n${tail(result.stderr, 20)}`);
    return added[1]!.split(',').map((u) => u.trim());
  }

  /** `remove-unit`: returns once the unit left the model and its pod is gone. */
  async removeUnit(unit: string): Promise<CliResult> {
    return this.cliOk(['remove-unit', unit, '--timeout', '10m'], 11 * 60_000);
  }

  /** `chaos kill-pod <units…>` or, with no unit, `chaos kill-all-pods`; follows until settled. */
  async chaos(units: string[] = []): Promise<CliResult> {
    const args = units.length === 0 ? ['chaos', 'kill-all-pods'] : ['chaos', 'kill-pod', ...units];
    return this.cliOk([...args, '--timeout', '10m'], 11 * 60_000);
  }

  /** `ssh <unit> -- <command…>` (the workload container). */
  async ssh(unit: string, command: string[], timeoutMs = 60_000): Promise<CliResult> {
    return this.cli(['ssh', unit, '--', ...command], timeoutMs);
  }

  async debugLog(unit?: string): Promise<string> {
    return (await this.cliOk(['debug-log', '--replay', ...(unit === undefined ? [] : ['--unit', unit])], 60_000)).stdout;
  }

  /** The unit's debug-log entries (what `debug-log --replay` prints), with full timestamps. */
  async debugLogEntries(unit: string): Promise<DebugLogEntry[]> {
    return readDebugLog(new SandboxPaths(this.stateDir).debugLogDir, unit);
  }

  /** The hooks (and actions) the controller started on `unit` at or after `sinceMs` (epoch ms). */
  async hooksStarted(unit: string, sinceMs: number): Promise<{ at: number; hook: string }[]> {
    return (await this.debugLogEntries(unit))
      .filter((e) => e.stream === 'controller' && e.line.startsWith('running "') && Date.parse(e.time) >= sinceMs)
      .map((e) => ({ at: Date.parse(e.time), hook: e.hook }));
  }

  /** The JSON lines of the unit's Pebble log for `container` (`<state>/pebble/<pod>/<container>/pebble.log`). */
  async pebbleLog(unit: string, container = 'postgresql'): Promise<{ time: string; msg: string; [key: string]: unknown }[]> {
    const file = path.join(new SandboxPaths(this.stateDir).pebbleDir(podNameOf(unit), container), 'pebble.log');
    const text = await readFile(file, 'utf8');
    return text
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as { time: string; msg: string });
  }

  // ---- waiting -------------------------------------------------------------------------------

  /**
   * Polls `status --format json` until `predicate` holds; the status it held on. On timeout the
   * error names what was awaited and shows the last status seen.
   */
  async waitFor(predicate: (units: Record<string, UnitStatus>, status: StatusDoc) => boolean, what: string, timeoutMs: number): Promise<StatusDoc> {
    const started = Date.now();
    let last: StatusDoc | undefined;
    let lastError: unknown;
    for (let attempt = 0; ; attempt++) {
      try {
        last = await this.status();
        if (predicate(last.applications[APP]?.units ?? {}, last)) return last;
      } catch (error) {
        lastError = error;
      }
      if (Date.now() - started > timeoutMs) {
        const seen = last === undefined ? `no status (${String(lastError)})` : summarize(last.applications[APP]?.units ?? {});
        throw new Error(`timed out after ${Math.round((Date.now() - started) / 1000)} s (${attempt + 1} polls) waiting for ${what}; last seen:\n${seen}`);
      }
      await sleep(500);
    }
  }

  /** Polls any async read until `ok(value)`; the value. Bounded by `timeoutMs`. */
  async until<T>(read: () => Promise<T>, ok: (value: T) => boolean, what: string, timeoutMs: number, intervalMs = 500): Promise<T> {
    const started = Date.now();
    let last: { value?: T; error?: unknown } = {};
    for (;;) {
      try {
        const value = await read();
        last = { value };
        if (ok(value)) return value;
      } catch (error) {
        last = { error };
      }
      if (Date.now() - started > timeoutMs) {
        const seen = 'error' in last ? `error: ${String(last.error)}` : JSON.stringify(last.value);
        throw new Error(`timed out after ${Math.round((Date.now() - started) / 1000)} s waiting for ${what}; last seen: ${seen}`);
      }
      await sleep(intervalMs);
    }
  }

  /** See `allActive`. */
  async waitForActive(count: number, timeoutMs = 300_000, options: { primaryLabel?: boolean } = {}): Promise<StatusDoc> {
    const what = `${count} units active and idle, Patroni with one leader${options.primaryLabel === false ? '' : ' that the "Primary" unit is'}`;
    return this.waitFor((units) => allActive(units, count, options), what, timeoutMs);
  }

  // ---- the cluster ---------------------------------------------------------------------------

  /** The unit Patroni says is the leader (status json), else what `get-primary` answers. */
  async primary(): Promise<string> {
    const units = await this.units();
    const leaders = Object.entries(units).filter(([, u]) => u.patroni?.role === 'leader');
    if (leaders.length === 1) return leaders[0]![0];
    const anyUnit = Object.keys(units)[0];
    if (anyUnit === undefined) throw new Error('no units');
    const results = await this.runOk(anyUnit, 'get-primary');
    if (typeof results['primary'] !== 'string') throw new Error(`get-primary answered ${JSON.stringify(results)}`);
    return results['primary'];
  }

  async unitAddress(unit: string): Promise<string> {
    const address = (await this.units())[unit]?.address;
    if (address === undefined || address === '') throw new Error(`unit ${unit} has no address`);
    return address;
  }

  /** The `operator` user's password, from `get-password` (cached until `forgetPassword`). */
  async operatorPassword(unit?: string): Promise<string> {
    if (this.#operatorPassword !== undefined) return this.#operatorPassword;
    const on = unit ?? Object.entries(await this.units()).find(([, u]) => u.leader)?.[0] ?? `${APP}/0`;
    const results = await this.runOk(on, 'get-password', { username: OPERATOR });
    if (typeof results['password'] !== 'string') throw new Error(`get-password answered ${JSON.stringify(results)}`);
    this.#operatorPassword = results['password'];
    return this.#operatorPassword;
  }

  forgetPassword(): void {
    this.#operatorPassword = undefined;
  }

  /** Resolves a unit name (`app/n`) to its address; an address stays as it is. */
  async host(target: string): Promise<string> {
    return target.includes('/') ? this.unitAddress(target) : target;
  }

  /** A query on one unit (or address) as `operator` (or `options.user`); the rows. */
  async sql<R extends Record<string, unknown> = Record<string, unknown>>(target: string, query: string, options: SqlOptions = {}): Promise<R[]> {
    const client = newPgClient(await this.host(target), {
      user: options.user ?? OPERATOR,
      password: options.password ?? (await this.operatorPassword()),
      database: options.database ?? 'postgres',
      timeoutMs: options.timeoutMs ?? 10_000,
    });
    try {
      await client.connect();
      const { rows } = await client.query<R>(query, options.params);
      return rows;
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  /** Patroni's `GET /cluster` from one unit (or address). */
  async patroniCluster(target: string, timeoutMs = 3_000): Promise<PatroniMember[]> {
    const body = (await getJson(`http://${await this.host(target)}:${PATRONI_PORT}/cluster`, timeoutMs)) as { members?: PatroniMember[] };
    if (!Array.isArray(body.members)) throw new Error(`no members in /cluster: ${JSON.stringify(body)}`);
    return body.members;
  }

  /**
   * Crashes a member, inside its pod: SIGKILL of the Patroni process(es) of the pod and, in the
   * same `kill`, the postmaster (from `postmaster.pid`) and its children. The pod has its own PID
   * namespace and /proc, so every pid here is the pod's; the network namespace check is a guard.
   * With `postgresOnly`, Patroni is left running: only PostgreSQL crashes. With `patroniOnly`,
   * PostgreSQL is left running: only Patroni crashes (Pebble starts it again).
   */
  async killMember(unit: string, options: { postgresOnly?: boolean; patroniOnly?: boolean } = {}): Promise<KilledMember> {
    const killPatroni = options.postgresOnly !== true;
    const killPostgres = options.patroniOnly !== true;
    const script = [
      'set -eu',
      'me=$(readlink /proc/self/ns/net)',
      'patroni=""',
      'for p in /proc/[0-9]*; do',
      '  [ "$(readlink "$p/ns/net" 2>/dev/null)" = "$me" ] || continue',
      // argv[0] or argv[1] is the patroni script (`python3 /usr/bin/patroni <yml>`); never this shell.
      '  [ "${p#/proc/}" != "$$" ] || continue',
      '  if tr "\\0" "\\n" < "$p/cmdline" 2>/dev/null | head -2 | grep -qx /usr/bin/patroni; then patroni="$patroni ${p#/proc/}"; fi',
      'done',
      `pm=$(head -1 ${PGDATA}/postmaster.pid)`,
      '[ "$(readlink /proc/$pm/ns/net)" = "$me" ] || { echo "postmaster $pm is not in this pod" >&2; exit 3; }',
      '[ -n "$patroni" ] || { echo "no patroni process in this pod" >&2; exit 4; }',
      ...(killPatroni ? [] : ['patroni=""']),
      'kids=$(ps -o pid= --ppid "$pm" | tr "\\n" " ")',
      'echo "patroni=$patroni"; echo "postmaster=$pm"; echo "children=$kids"',
      'echo "at=$(date +%s%3N)"',
      ...(killPostgres ? [] : ['pm=""', 'kids=""']),
      'kill -9 $patroni $pm $kids',
    ].join('\n');
    const result = await this.ssh(unit, ['bash', '-c', script]);
    if (result.exitCode !== 0) throw new CliFailedError(result);
    const field = (name: string): string => new RegExp(`^${name}=(.*)$`, 'm').exec(result.stdout)?.[1]?.trim() ?? '';
    const pids = (text: string): number[] => text.split(/\s+/).filter((s) => s !== '').map(Number);
    return { unit, patroni: pids(field('patroni')), postmaster: Number(field('postmaster')), children: pids(field('children')), killedAt: Number(field('at')) };
  }

  /**
   * SIGSTOP (`freeze`) or SIGCONT (`thaw`) the unit's Pebble(s), found inside the pod like
   * `killMember` finds Patroni. A frozen Pebble restarts nothing: with `killMember` it is a
   * primary whose container stays down (a node that does not come back at once) instead of one
   * Pebble restarts within a second. The sandbox keeps a stopped Pebble (it is alive); bring the
   * container back with `chaos([unit])`, as the kubelet would (pebble-ready fires), rather than
   * by thawing: hooks that ran meanwhile (update-status) found no Pebble, and only a new Pebble
   * makes Juju fire pebble-ready.
   */
  async signalPebble(unit: string, action: 'freeze' | 'thaw'): Promise<number[]> {
    const signal = action === 'freeze' ? 'STOP' : 'CONT';
    const script = [
      'set -eu',
      'me=$(readlink /proc/self/ns/net)',
      'pebbles=""',
      'for p in /proc/[0-9]*; do',
      '  [ "$(readlink "$p/ns/net" 2>/dev/null)" = "$me" ] || continue',
      '  [ "${p#/proc/}" != "$$" ] || continue',
      '  if tr "\\0" "\\n" < "$p/cmdline" 2>/dev/null | grep -q "/sandbox/pebble/main\\.ts$"; then pebbles="$pebbles ${p#/proc/}"; fi',
      'done',
      '[ -n "$pebbles" ] || { echo "no pebble process in this pod" >&2; exit 4; }',
      'echo "pebbles=$pebbles"',
      `kill -${signal} $pebbles`,
    ].join('\n');
    const result = await this.ssh(unit, ['bash', '-c', script]);
    if (result.exitCode !== 0) throw new CliFailedError(result);
    return (/^pebbles=(.*)$/m.exec(result.stdout)?.[1] ?? '').split(/\s+/).filter((x) => x !== '').map(Number);
  }

  /** The last lines of the unit's Patroni log and newest PostgreSQL log, for a failure report. */
  async workloadLogTail(unit: string, lines = 40): Promise<string> {
    const script = [
      'cd /var/log/postgresql 2>/dev/null || exit 0',
      `echo "--- patroni (last ${lines} lines)"; ls -tr patroni.log* 2>/dev/null | xargs -r cat | grep -v "^  " | tail -n ${lines}`,
      `echo "--- postgresql (last ${lines} lines)"; ls -t postgresql-*.log 2>/dev/null | head -1 | xargs -r tail -n ${lines}`,
    ].join('\n');
    const result = await this.ssh(unit, ['bash', '-c', script]);
    return `${unit}:\n${result.stdout}${result.stderr === '' ? '' : `\n${result.stderr}`}`;
  }

  // ---- teardown ------------------------------------------------------------------------------

  /** `destroy` through the CLI; then what is left of the sandbox on this machine (should be nothing). */
  async destroy(): Promise<{ result: CliResult; leftovers: Leftovers }> {
    const result = await this.cli(['destroy'], 180_000);
    const leftovers = await listLeftovers(this.sandboxId, this.stateDir);
    return { result, leftovers };
  }

  /**
   * For afterAll: whatever a failed test left goes (CLI destroy, and the in-process teardown if
   * that did not finish), then the work dir. Returns the leftovers (empty lists when clean).
   */
  async teardown(): Promise<Leftovers | null> {
    if (existsSync(this.stateDir)) {
      const destroyed = await this.cli(['destroy'], 180_000);
      if (destroyed.exitCode !== 0 || existsSync(this.stateDir)) await destroyEverything(new SandboxPaths(this.stateDir));
    }
    const leftovers = this.#sandboxId === undefined ? null : await listLeftovers(this.#sandboxId, this.stateDir);
    await rm(this.#workDir, { recursive: true, force: true });
    return leftovers;
  }
}

// ---- helpers ---------------------------------------------------------------------------------

export { isClean };

/**
 * Every unit active and idle, exactly `count` of them, and Patroni has one leader. With
 * `primaryLabel` (the default) exactly one unit shows "Primary" and it is that leader. After a
 * switchover or failover no hook runs by itself, so the label follows at the next hook (at the
 * latest update-status): checks made right after one pass `primaryLabel: false`.
 */
export function allActive(units: Record<string, UnitStatus>, count: number, options: { primaryLabel?: boolean } = {}): boolean {
  const list = Object.values(units);
  const primaries = list.filter((u) => u['workload-status'].message === 'Primary');
  const leaders = list.filter((u) => u.patroni?.role === 'leader');
  return (
    list.length === count &&
    list.every((u) => u['workload-status'].current === 'active' && u['juju-status'].current === 'idle') &&
    leaders.length === 1 &&
    (options.primaryLabel === false || (primaries.length === 1 && primaries[0] === leaders[0]))
  );
}

/** Patroni's view of a healthy replica: running (3.0.2) or streaming (later), no lag. */
export function isCaughtUpReplica(p: UnitStatus['patroni'] | PatroniMember | undefined): boolean {
  return p !== undefined && ['replica', 'sync_standby'].includes(p.role) && ['running', 'streaming'].includes(p.state) && (p.lag === 0 || p.lag === '0');
}

export function summarize(units: Record<string, UnitStatus>): string {
  return Object.entries(units)
    .map(([name, u]) => {
      const ws = u['workload-status'];
      const p = u.patroni === undefined ? 'patroni: -' : `patroni: ${u.patroni.role}/${u.patroni.state}${u.patroni.lag === undefined ? '' : ` lag ${u.patroni.lag}`}`;
      return `  ${name}${u.leader ? '*' : ''} ${ws.current}${ws.message ? ` "${ws.message}"` : ''} agent ${u['juju-status'].current} ${u.address} ${p}`;
    })
    .join('\n');
}

export function newPgClient(host: string, options: { user: string; password: PasswordSource; database?: string; timeoutMs?: number }): pg.Client {
  const client = new pg.Client({
    host,
    port: PG_PORT,
    user: options.user,
    // pg.Client calls a password function at every connect.
    password: options.password,
    database: options.database ?? 'postgres',
    connectionTimeoutMillis: Math.min(options.timeoutMs ?? 5_000, 5_000),
    query_timeout: options.timeoutMs ?? 10_000,
  });
  client.on('error', () => undefined);
  return client;
}

/** The SQLSTATE of a failed connect or query (e.g. `28P01`, wrong password), or undefined. */
export async function connectError(host: string, user: string, password: string): Promise<string | undefined> {
  const client = newPgClient(host, { user, password });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return undefined;
  } catch (error) {
    return errorCode(error) ?? String(error);
  } finally {
    await client.end().catch(() => undefined);
  }
}

function getJson(url: string, timeoutMs: number): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { timeout: timeoutMs, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => {
        try {
          resolve(JSON.parse(body));
        } catch (error) {
          reject(new Error(`${url}: ${res.statusCode ?? '?'} ${body.slice(0, 200)}`, { cause: error }));
        }
      });
    });
    req.on('timeout', () => req.destroy(new Error(`${url}: timeout`)));
    req.on('error', reject);
  });
}

export function tail(text: string, lines: number): string {
  return text.split('\n').slice(-lines).join('\n');
}

/** min / median / max of a list of numbers. */
export function stats(values: readonly number[]): { n: number; min: number; median: number; max: number } {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length === 0 ? NaN : sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return { n: sorted.length, min: sorted[0] ?? NaN, median, max: sorted.at(-1) ?? NaN };
}
