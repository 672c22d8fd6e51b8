import { mkdtemp, readlink, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HookToolAgent } from '../../../sandbox/juju/agent.ts';
import { HOOK_TOOL_NAMES } from '../../../sandbox/juju/engine/index.ts';
import { loadModel, ModelStore } from '../../../sandbox/juju/model.ts';
import { installToolLinks, JUJUC_NAME } from '../../../sandbox/juju/tool-links.ts';
import { addressBag, buildModel } from './fixtures.ts';

/**
 * The agent and jujuc for real: the agent listens on a unix socket in a temp dir, the tools are
 * symlinks to jujuc.cjs, and each call below is a child process found through PATH.
 */

let dir: string;
let toolsDir: string;
let stateDir: string;
let agent: HookToolAgent;
let dbRelation: number;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'agent-'));
  toolsDir = path.join(dir, 'tools');
  stateDir = path.join(dir, 'state');
  const fixture = buildModel();
  dbRelation = fixture.dbRelation;
  const store = new ModelStore(stateDir);
  await store.save(fixture.model);
  agent = await HookToolAgent.start({ socketPath: path.join(dir, 'agent.socket'), model: fixture.model, store });
  await installToolLinks(toolsDir);
});

afterAll(async () => {
  await agent?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Run a hook tool the way a charm does: by name through PATH, with the dispatch environment. */
function tool(env: Record<string, string>, command: string, args: string[], options: { input?: string; cwd?: string } = {}) {
  return execa(command, args, {
    env: { ...env, PATH: `${toolsDir}:${path.dirname(process.execPath)}:/usr/bin:/bin` },
    extendEnv: false,
    reject: false,
    input: options.input ?? '',
    cwd: options.cwd ?? dir,
  });
}

describe('installToolLinks', () => {
  it('links every tool name to an executable jujuc', async () => {
    const mode = (await stat(path.join(toolsDir, JUJUC_NAME))).mode & 0o777;
    expect(mode).toBe(0o755);
    expect(HOOK_TOOL_NAMES).toContain('relation-set');
    for (const name of HOOK_TOOL_NAMES) expect(await readlink(path.join(toolsDir, name))).toBe(JUJUC_NAME);
  });
});

describe('hook tools through the agent', () => {
  it('answer with real exit codes and output, read stdin on demand, and discard leaves the model alone', async () => {
    const ctx = agent.openContext({ unit: 'pg/0', hookName: 'database-relation-joined', relationId: dbRelation, remoteUnit: 'client/0', remoteApp: 'client' });
    const env = agent.environment(ctx.id);
    const before = structuredClone(agent.model);

    const config = await tool(env, 'config-get', ['--format=json']);
    expect(config.exitCode).toBe(0);
    expect(JSON.parse(config.stdout)).toEqual({ cpu_wal_compression: true, durability_wal_keep_size: 4096, synchronous_node_count: 'all' });

    const set = await tool(env, 'relation-set', ['-r', `database:${dbRelation}`, '--file', '-'], { input: JSON.stringify({ endpoints: 'pg:5432' }) });
    expect({ code: set.exitCode, stdout: set.stdout, stderr: set.stderr }).toEqual({ code: 0, stdout: '', stderr: '' });
    const get = await tool(env, 'relation-get', ['--format=json', '-', 'pg/0']);
    expect(JSON.parse(get.stdout)).toEqual({ ...addressBag('10.0.0.1'), endpoints: 'pg:5432' });

    const usage = await tool(env, 'relation-get', ['-r', '99', '-', 'pg/0']);
    expect(usage.exitCode).toBe(2);
    expect(usage.stderr).toBe('ERROR invalid value "99" for flag -r: relation not found');
    const missing = await tool(env, 'secret-get', ['secret:aaaaaaaaaaaaaaaaaaaa']);
    expect(missing.exitCode).toBe(1);
    expect(missing.stderr).toContain('not found');

    await agent.discard(ctx.id);
    expect(agent.model).toEqual(before);
    expect(await loadModel(stateDir)).toEqual(before);
  });

  it('resolves relative file arguments against the tool’s cwd and commits to disk', async () => {
    const ctx = agent.openContext({ unit: 'pg/1', hookName: 'config-changed' });
    const env = agent.environment(ctx.id);
    await writeFile(path.join(dir, 'state.yaml'), 'cluster: initialised\n');
    const set = await tool(env, 'state-set', ['--file', 'state.yaml'], { cwd: dir });
    expect(set.exitCode).toBe(0);
    // Immediate tools are saved at once, before the dispatch ends; pending state is not.
    expect((await tool(env, 'status-set', ['active', 'ready'])).exitCode).toBe(0);
    await agent.flush();
    const midway = await loadModel(stateDir);
    expect(midway?.units['pg/1']?.workloadStatus).toMatchObject({ status: 'active', message: 'ready' });
    expect(midway?.units['pg/1']?.state).toEqual({});
    const report = await agent.commit(ctx.id);
    expect(report.events).toEqual([]);
    const saved = await loadModel(stateDir);
    expect(saved?.units['pg/1']?.state).toEqual({ cluster: 'initialised' });
    expect(saved?.units['pg/1']?.workloadStatus).toMatchObject({ status: 'active', message: 'ready' });
  });

  it('fail on the client side without a context or an agent, and on unknown contexts', async () => {
    const noContext = await tool({ JUJU_AGENT_SOCKET_ADDRESS: agent.socketPath }, 'is-leader', []);
    expect({ code: noContext.exitCode, stderr: noContext.stderr }).toEqual({ code: 1, stderr: 'ERROR JUJU_CONTEXT_ID not set' });
    const noAgent = await tool({ JUJU_CONTEXT_ID: 'x', JUJU_AGENT_SOCKET_ADDRESS: path.join(dir, 'absent.socket') }, 'is-leader', []);
    expect(noAgent.exitCode).toBe(1);
    expect(noAgent.stderr).toMatch(/^ERROR dial unix .*absent\.socket: connect ENOENT/);
    const stale = await tool({ JUJU_CONTEXT_ID: 'pg/0-gone-1', JUJU_AGENT_SOCKET_ADDRESS: agent.socketPath, JUJU_AGENT_SOCKET_NETWORK: 'unix' }, 'is-leader', []);
    expect({ code: stale.exitCode, stderr: stale.stderr }).toEqual({ code: 1, stderr: 'ERROR bad request: unknown hook context "pg/0-gone-1"' });
  });

  it('refuses a second commit of the same context', async () => {
    const ctx = agent.openContext({ unit: 'pg/2' });
    await agent.commit(ctx.id);
    await expect(agent.commit(ctx.id)).rejects.toThrow(/unknown hook context/);
    expect(() => agent.environment(ctx.id)).toThrow(/unknown hook context/);
  });
});

describe('file arguments from a unit with its own filesystem view', () => {
  it('uses the content jujuc read where the charm wrote it, not the agent’s view of that path', async () => {
    const ctx = agent.openContext({ unit: 'pg/0', hookName: 'update-status' });
    // The path exists only in the "pod": the agent cannot stat it, only the client's copy counts.
    const podOnly = '/pod-private-tmp/charm-secret-1/operator-password';
    const added = agent.handle(
      JSON.stringify({
        contextId: ctx.id,
        dir: '/',
        command: 'secret-add',
        args: ['--owner', 'application', '--label', 'from-pod', `operator-password#file=${podOnly}`],
        files: { [podOnly]: 's3cret-from-pod' },
      }),
    );
    expect(added).toMatchObject({ code: 0 });
    const read = agent.handle(
      JSON.stringify({ contextId: ctx.id, dir: '/', command: 'secret-get', args: ['--format=json', '--label', 'from-pod'] }),
    );
    expect(read).toMatchObject({ code: 0 });
    expect(JSON.parse((read as { stdout: string }).stdout)).toEqual({ 'operator-password': 's3cret-from-pod' });
    await agent.discard(ctx.id);
  });

  it('jujuc sends the files it names, read relative to its working directory', async () => {
    const ctx = agent.openContext({ unit: 'pg/0', hookName: 'update-status' });
    const env = agent.environment(ctx.id);
    await writeFile(path.join(dir, 'state-input.yaml'), 'from-file: yes-it-is\n');
    const set = await tool(env, 'state-set', ['--file', 'state-input.yaml']);
    expect({ code: set.exitCode, stderr: set.stderr }).toEqual({ code: 0, stderr: '' });
    const got = await tool(env, 'state-get', ['--format=json', 'from-file']);
    expect(JSON.parse(got.stdout)).toBe('yes-it-is');
    await agent.discard(ctx.id);
  });
});
