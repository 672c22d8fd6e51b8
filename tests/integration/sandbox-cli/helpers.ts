import { execa } from 'execa';
import { randomInt } from 'node:crypto';
import { appendFile, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { buildCharm, hasBuiltCharm, prepareCharm } from '../../../sandbox/runtime/charm-dir.ts';
import { REPO_ROOT, SandboxPaths, TSX_LOADER } from '../../../sandbox/runtime/paths.ts';
import { commandLine, isAlive } from '../../../sandbox/runtime/processes.ts';

/** The sandbox CLI as a user runs it, in a child process, against one state dir. */

export const CLI = path.join(REPO_ROOT, 'sandbox', 'cli.ts');

/** An action the packed test charm lists in actions.yaml but whose code does not handle it. */
export const UNHANDLED_ACTION = 'sandbox-cli-test-noop';

export interface CliResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export function runCli(stateDir: string, args: string[], timeoutMs = 180_000): Promise<CliResult> {
  return execa(process.execPath, ['--import', TSX_LOADER, CLI, ...args], {
    cwd: REPO_ROOT,
    env: { SANDBOX_STATE_DIR: stateDir },
    reject: false,
    timeout: timeoutMs,
    stdin: 'ignore',
  }).then((r) => ({ exitCode: r.exitCode ?? -1, stdout: r.stdout, stderr: r.stderr }));
}

/** A random /24 in the sandbox range (tests running side by side must not share one). */
export function randomSubnet(): string {
  return `10.213.${randomInt(100, 251)}.0/24`;
}

export async function newStateDir(): Promise<string> {
  return mkdtemp(path.join(os.tmpdir(), 'sandbox-cli-'));
}

/**
 * The current charm packed as a `.charm` (dispatch, yaml files, dist/, node/bin/node as a
 * symlink), with one extra action in actions.yaml that the charm's code does not know.
 */
export async function packTestCharm(dir: string): Promise<string> {
  if (!(await hasBuiltCharm())) await buildCharm(() => undefined);
  const scratch = new SandboxPaths(path.join(dir, 'scratch'));
  const charm = await prepareCharm(scratch);
  await appendFile(path.join(charm.dir, 'actions.yaml'), `\n${UNHANDLED_ACTION}:\n  description: An action the charm does not implement (sandbox CLI test).\n`);
  const file = path.join(dir, 'postgresql-k8s_test.charm');
  await execa('zip', ['-qry', file, '.'], { cwd: charm.dir });
  await rm(scratch.stateDir, { recursive: true, force: true });
  return file;
}

/** Live (not zombie) processes whose command line mentions `marker`. */
export async function processesMentioning(marker: string): Promise<string[]> {
  const found: string[] = [];
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    const argv = await commandLine(Number(name));
    if (argv && argv.join(' ').includes(marker) && (await isAlive(Number(name)))) found.push(`${name} ${argv.join(' ')}`);
  }
  return found;
}

export async function eventually<T>(read: () => Promise<T>, ok: (value: T) => boolean, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (ok(value) || Date.now() >= deadline) return value;
    await sleep(100);
  }
}

export async function readJson<T>(file: string): Promise<T> {
  return JSON.parse(await readFile(file, 'utf8')) as T;
}

interface UnitDoc {
  'workload-status': { current: string; message?: string };
  'juju-status': { current: string };
  address: string;
  leader?: boolean;
}

export interface StatusDoc {
  model: { name: string };
  applications: Record<string, { scale: number; units: Record<string, UnitDoc> }>;
}

export function parseStatus(result: CliResult): StatusDoc {
  if (result.exitCode !== 0) throw new Error(`status failed (${result.exitCode}): ${result.stderr}`);
  return JSON.parse(result.stdout) as StatusDoc;
}
