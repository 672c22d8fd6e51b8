import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HookToolAgent } from '../../sandbox/juju/agent.ts';
import type { HookEnv } from '../../sandbox/juju/engine/index.ts';
import { addApplication, addUnit, createModel, enterScope, type Model } from '../../sandbox/juju/model.ts';
import { HOOK_TOOL_NAMES } from '../../sandbox/juju/engine/index.ts';
import { installToolLinks } from '../../sandbox/juju/tool-links.ts';
import { charmMeta } from './juju-harness.ts';

const REPO = join(import.meta.dirname, '../..');

/** Packs the charm (building it first if needed) and unzips it; returns the charm dir. */
export function unpackCharm(into: string): string {
  if (!existsSync(join(REPO, 'dist/charm.cjs'))) execFileSync('node', ['scripts/build.mjs'], { cwd: REPO, stdio: 'inherit' });
  execFileSync('bash', ['scripts/pack.sh'], { cwd: REPO, stdio: 'pipe' });
  const charm = readdirSync(REPO).find((f) => f.endsWith('.charm'));
  if (!charm) throw new Error('pack wrote no .charm');
  const dir = join(into, 'charm');
  execFileSync('unzip', ['-q', join(REPO, charm), '-d', dir]);
  return dir;
}

export interface DispatchRun {
  exitCode: number | null;
  stdout: string;
  stderr: string;
  /** `tool arg…` per hook-tool process the dispatch started, in order. */
  toolCalls: string[];
}

/**
 * Runs an unpacked charm's `dispatch` as Juju would: the sandbox's agent answers the hook tools,
 * which are jujuc links first on PATH behind a thin shim that records each call.
 */
export class PackedCharmRunner {
  readonly model: Model;
  private constructor(
    readonly charmDir: string,
    private readonly work: string,
    private readonly agent: HookToolAgent,
    private readonly shimDir: string,
  ) {
    this.model = agent.model;
  }

  static async start(options: { units?: number; config?: Record<string, string | number | boolean> } = {}): Promise<PackedCharmRunner> {
    const work = mkdtempSync(join(tmpdir(), 'packed-charm-'));
    const charmDir = unpackCharm(work);
    const model = createModel({ name: 'packed', uuid: '1b4e28ba-2fa1-41d2-883f-0016d3cca427' });
    addApplication(model, { name: 'postgresql-k8s', charm: charmMeta(), ...(options.config ? { config: options.config } : {}) });
    for (let i = 0; i < (options.units ?? 1); i++) {
      const unit = addUnit(model, 'postgresql-k8s', { address: `10.1.0.${10 + i}` });
      for (const relation of model.relations) enterScope(model, relation.id, unit.name);
    }
    const agent = await HookToolAgent.start({ socketPath: join(work, 'agent.socket'), model });
    const toolsDir = join(work, 'tools');
    await installToolLinks(toolsDir);
    const shimDir = join(work, 'shims');
    mkdirSync(shimDir);
    for (const tool of HOOK_TOOL_NAMES) {
      const shim = join(shimDir, tool);
      writeFileSync(shim, `#!/bin/sh\necho "${tool} $*" >> "$TOOL_CALL_LOG"\nexec "${join(toolsDir, tool)}" "$@"\n`);
      chmodSync(shim, 0o755);
    }
    return new PackedCharmRunner(charmDir, work, agent, shimDir);
  }

  /** Dispatch one hook/action; commits the hook's changes on exit 0 and discards them otherwise. */
  async dispatch(path: string, event: Omit<HookEnv, 'unit'> = {}, options: { unit?: string; env?: Record<string, string> } = {}): Promise<DispatchRun> {
    const unit = options.unit ?? 'postgresql-k8s/0';
    const hookName = path.startsWith('hooks/') ? path.slice('hooks/'.length) : '';
    const context = this.agent.openContext({ unit, hookName, ...event });
    const log = join(this.work, `tools-${context.id.replace(/[^a-z0-9-]/gi, '_')}.log`);
    writeFileSync(log, '');
    const env: Record<string, string> = {
      PATH: `${this.shimDir}:${process.env['PATH']}`,
      HOME: this.work,
      TOOL_CALL_LOG: log,
      JUJU_DISPATCH_PATH: path,
      JUJU_HOOK_NAME: hookName,
      JUJU_CHARM_DIR: this.charmDir,
      JUJU_UNIT_NAME: unit,
      JUJU_MODEL_NAME: this.model.name,
      JUJU_MODEL_UUID: this.model.uuid,
      JUJU_VERSION: '3.6.8',
      ...this.agent.environment(context.id),
      ...options.env,
    };
    const child = spawn(join(this.charmDir, 'dispatch'), [], { cwd: this.charmDir, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk));
    const exitCode = await new Promise<number | null>((resolve) => child.on('close', resolve));
    if (exitCode === 0) await this.agent.commit(context.id);
    else await this.agent.discard(context.id);
    const toolCalls = readFileSync(log, 'utf8').split('\n').filter(Boolean);
    return { exitCode, stdout, stderr, toolCalls };
  }

  async stop(): Promise<void> {
    await this.agent.close();
    rmSync(this.work, { recursive: true, force: true });
  }
}
