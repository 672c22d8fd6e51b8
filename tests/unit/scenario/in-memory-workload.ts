import { posix } from 'node:path';
import picomatch from 'picomatch';
import type { StartedCommand, WorkloadPebble } from '../../../src/clients/workload-pebble.ts';
import { ExecError, PathError, PebbleConnectionError } from '../../../src/pebble/index.ts';
import type { ExecOptions, FileInfo, Layer, Plan, ServiceInfo } from '../../../src/pebble/index.ts';

/**
 * The workload container as plain state, for the unit tier: files and directories with their
 * owners and modes, the Pebble plan, which services run, and canned answers for the commands
 * the charm executes. It implements the part of Pebble the charm uses (WorkloadPebble) and
 * records every change the charm made, so a test asserts what came out. It is no protocol
 * implementation: the Pebble client and the sandbox's Pebble are checked against the real
 * Pebble's documented exchanges in tests/unit/pebble-contract.
 */

export interface WorkloadFile {
  content: string;
  permissions: number;
  user: string;
  group: string;
}

export interface WorkloadDir {
  permissions: number;
  user: string;
  group: string;
}

/** A command's canned result: stdout, or a failure with an exit code. */
export type CommandResult = { stdout: string; stderr?: string } | { exitCode: number; stdout?: string; stderr?: string };

export interface WorkloadState {
  /** Whether Pebble answers at all (false: the container is not up yet). */
  reachable: boolean;
  files: Record<string, WorkloadFile>;
  dirs: Record<string, WorkloadDir>;
  plan: Plan;
  /** Service name → whether it runs; planned services not listed are inactive. */
  running: Record<string, boolean>;
  /** First argv word (e.g. `locale`, `df`, `/usr/lib/postgresql/15/bin/postgres`) → result. */
  commands: Record<string, CommandResult>;
}

/** What the charm did to the workload in one hook, in order. */
export type WorkloadOperation =
  | { op: 'push'; path: string; permissions: number | undefined; user: string | undefined; group: string | undefined }
  | { op: 'make-dir'; path: string; permissions: number | undefined; user: string | undefined }
  | { op: 'exec'; command: readonly string[]; workingDir: string | undefined }
  | { op: 'add-layer'; label: string; layer: Layer; combine: boolean }
  | { op: 'replan' }
  | { op: 'restart'; services: readonly string[] }
  | { op: 'stop'; services: readonly string[] }
  | { op: 'signal'; signal: string; services: readonly string[] };

const ROOT_DIR: WorkloadDir = { permissions: 0o755, user: 'root', group: 'root' };

/** A Debian workload with PostgreSQL 15, 8 GiB and 4 CPUs, its storage mounted and root-owned. */
export function debianWorkload(overrides: Partial<WorkloadState> = {}): WorkloadState {
  const file = (content: string): WorkloadFile => ({ content, permissions: 0o644, user: 'root', group: 'root' });
  return {
    reachable: true,
    files: {
      '/usr/lib/postgresql/15/lib/pgaudit.so': file(''),
      '/usr/lib/postgresql/15/lib/pg_stat_statements.so': file(''),
      '/proc/meminfo': file(`MemTotal:       ${8 * 1024 * 1024} kB\nMemFree:         1000 kB\n`),
      '/sys/devices/system/cpu/online': file('0-3\n'),
      ...overrides.files,
    },
    dirs: {
      '/usr/lib/postgresql/15/bin': ROOT_DIR,
      '/var/lib/postgresql/data': ROOT_DIR,
      ...overrides.dirs,
    },
    plan: overrides.plan ?? { services: {}, checks: {}, 'log-targets': {}, extensions: {} },
    running: overrides.running ?? {},
    commands: {
      '/usr/lib/postgresql/15/bin/postgres': { stdout: 'postgres (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)\n' },
      locale: { stdout: 'C\nC.utf8\nPOSIX\nen_US.utf8\n' },
      df: { stdout: 'Filesystem 1024-blocks Used Available Capacity Mounted on\n/dev/sda1 1000000 500000 500000 50% /var/lib/postgresql/data\n' },
      ...overrides.commands,
    },
    ...(overrides.reachable === undefined ? {} : { reachable: overrides.reachable }),
  };
}

function info(path: string, entry: WorkloadFile | WorkloadDir, type: 'file' | 'directory'): FileInfo {
  return {
    path,
    name: posix.basename(path),
    type,
    ...(type === 'file' ? { size: Buffer.byteLength((entry as WorkloadFile).content) } : {}),
    permissions: entry.permissions,
    lastModified: '2026-01-01T00:00:00Z',
    userId: null,
    user: entry.user,
    groupId: null,
    group: entry.group,
  };
}

export class InMemoryWorkload implements WorkloadPebble {
  readonly operations: WorkloadOperation[] = [];

  constructor(readonly state: WorkloadState) {}

  #reach(): void {
    if (!this.state.reachable) throw new PebbleConnectionError('/charm/containers/postgresql/pebble.socket', 'connection refused');
  }

  async canConnect(): Promise<boolean> {
    return this.state.reachable;
  }

  /** A directory listed in `dirs`, or implied by a file or directory below it (root-owned). */
  #directory(path: string): WorkloadDir | undefined {
    const explicit = this.state.dirs[path];
    if (explicit !== undefined) return explicit;
    const prefix = path.endsWith('/') ? path : `${path}/`;
    const implied = [...Object.keys(this.state.files), ...Object.keys(this.state.dirs)].some((p) => p.startsWith(prefix));
    return implied ? ROOT_DIR : undefined;
  }

  async stat(path: string): Promise<FileInfo | undefined> {
    this.#reach();
    const file = this.state.files[path];
    if (file !== undefined) return info(path, file, 'file');
    const dir = this.#directory(path);
    return dir === undefined ? undefined : info(path, dir, 'directory');
  }

  async exists(path: string): Promise<boolean> {
    return (await this.stat(path)) !== undefined;
  }

  async pullText(path: string): Promise<string> {
    this.#reach();
    const file = this.state.files[path];
    if (file === undefined) throw new PathError('not-found', `stat ${path}: no such file or directory`, path);
    return file.content;
  }

  async listFiles(path: string, options: { pattern?: string; itself?: boolean } = {}): Promise<FileInfo[]> {
    this.#reach();
    const entry = this.#directory(path);
    if (entry === undefined) throw new PathError('not-found', `stat ${path}: no such file or directory`, path);
    if (options.itself === true) return [info(path, entry, 'directory')];
    const match = options.pattern === undefined ? () => true : picomatch(options.pattern);
    const children = new Map<string, FileInfo>();
    const prefix = path.endsWith('/') ? path : `${path}/`;
    const visit = (candidate: string, type: 'file' | 'directory', value: WorkloadFile | WorkloadDir) => {
      if (!candidate.startsWith(prefix)) return;
      const name = candidate.slice(prefix.length).split('/')[0]!;
      const child = prefix + name;
      if (children.has(child) || !match(name)) return;
      const direct = child === candidate;
      children.set(child, direct ? info(child, value, type) : info(child, ROOT_DIR, 'directory'));
    };
    for (const [p, file] of Object.entries(this.state.files)) visit(p, 'file', file);
    for (const [p, dir] of Object.entries(this.state.dirs)) visit(p, 'directory', dir);
    return [...children.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  async push(path: string, data: string, options: { permissions?: number; user?: string; group?: string; makeDirs?: boolean } = {}): Promise<void> {
    this.#reach();
    const parent = posix.dirname(path);
    if (this.#directory(parent) === undefined && options.makeDirs !== true) {
      throw new PathError('not-found', `open ${path}: no such file or directory`, path);
    }
    this.operations.push({ op: 'push', path, permissions: options.permissions, user: options.user, group: options.group });
    this.state.files[path] = { content: data, permissions: options.permissions ?? 0o644, user: options.user ?? 'root', group: options.group ?? 'root' };
  }

  async makeDir(path: string, options: { permissions?: number; user?: string; group?: string; makeParents?: boolean } = {}): Promise<void> {
    this.#reach();
    this.operations.push({ op: 'make-dir', path, permissions: options.permissions, user: options.user });
    this.state.dirs[path] = { permissions: options.permissions ?? 0o755, user: options.user ?? 'root', group: options.group ?? 'root' };
  }

  async exec(command: readonly string[], options: ExecOptions = {}): Promise<StartedCommand> {
    this.#reach();
    this.operations.push({ op: 'exec', command: [...command], workingDir: options.workingDir });
    const [program, ...args] = command;
    if (program === 'chown' && args.length === 2 && args[1] === '.' && options.workingDir !== undefined) {
      const [user, group] = args[0]!.split(':');
      const target = this.state.dirs[options.workingDir];
      if (target !== undefined) this.state.dirs[options.workingDir] = { ...target, user: user!, group: group ?? user! };
      return { waitOutput: async () => ({ stdout: '', stderr: '' }) };
    }
    const result = this.state.commands[program ?? ''];
    return {
      waitOutput: async () => {
        if (result === undefined) throw new ExecError(command, 127, '', `${program}: command not found`);
        if ('exitCode' in result) throw new ExecError(command, result.exitCode, result.stdout ?? '', result.stderr ?? '');
        return { stdout: result.stdout, stderr: result.stderr ?? '' };
      },
    };
  }

  async plan(): Promise<Plan> {
    this.#reach();
    return structuredClone(this.state.plan);
  }

  /** Layers the charm adds replace its services and checks by name (the charm's layer uses `override: replace`). */
  async addLayer(label: string, layer: Layer, options: { combine?: boolean } = {}): Promise<void> {
    this.#reach();
    this.operations.push({ op: 'add-layer', label, layer: structuredClone(layer), combine: options.combine === true });
    Object.assign(this.state.plan.services, structuredClone(layer.services ?? {}));
    Object.assign(this.state.plan.checks, structuredClone(layer.checks ?? {}));
  }

  async replan(): Promise<string> {
    this.#reach();
    this.operations.push({ op: 'replan' });
    for (const [name, service] of Object.entries(this.state.plan.services)) {
      if (service.startup === 'enabled') this.state.running[name] = true;
    }
    return '1';
  }

  async services(names?: readonly string[]): Promise<ServiceInfo[]> {
    this.#reach();
    return Object.entries(this.state.plan.services)
      .filter(([name]) => names === undefined || names.length === 0 || names.includes(name))
      .map(([name, service]) => ({ name, startup: service.startup ?? 'disabled', current: this.state.running[name] === true ? 'active' : 'inactive' }));
  }

  async restart(names: readonly string[]): Promise<string> {
    this.#reach();
    this.operations.push({ op: 'restart', services: [...names] });
    for (const name of names) this.state.running[name] = true;
    return '2';
  }

  async stop(names: readonly string[]): Promise<string> {
    this.#reach();
    this.operations.push({ op: 'stop', services: [...names] });
    for (const name of names) this.state.running[name] = false;
    return '3';
  }

  async sendSignal(signal: string, serviceNames: readonly string[]): Promise<void> {
    this.#reach();
    this.operations.push({ op: 'signal', signal, services: [...serviceNames] });
  }
}
