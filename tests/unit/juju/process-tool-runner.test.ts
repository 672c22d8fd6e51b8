import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { processToolRunner, HookTools } from '../../../src/juju/hook-tools.ts';

/**
 * Real processes: tiny executables named like hook tools, in a temp dir put first on PATH, the
 * way Juju prepends its tools dir.
 */
let dir: string;
let savedPath: string | undefined;
const BIG_TEXT = `a${'𝄞'.repeat(800_000)}\n`;

const scripts: Record<string, string> = {
  // Prints each argument in brackets, so spacing and shell metacharacters are visible.
  'action-log': 'printf "[%s]" "$@"',
  // Echoes stdin (cat ends only when stdin is closed) and the context id it inherited.
  'relation-set': 'cat > "$TOOL_DIR/relation-set.stdin"; printf "%s" "$JUJU_CONTEXT_ID"',
  // Reads stdin although none is given: must see EOF at once, not hang.
  'is-leader': 'cat; echo true',
  'config-get': `printf '{"profile":"testing","args":"%s"}\\n' "$*"`,
  'status-set': 'echo "ERROR invalid status \\"x\\", expected one of [maintenance blocked waiting active]" >&2; exit 2',
  'relation-get': 'echo "ERROR relation not found" >&2; exit 1',
  'juju-log': 'kill -TERM $$',
  // ~3 MiB of four-byte characters after one one-byte one: pipe chunks end mid-character.
  'secret-get': 'cat "$TOOL_DIR/big.txt"',
  // Exits at once without reading the stdin it is given.
  'secret-set': 'exit 3',
};

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hook-tools-'));
  for (const [name, body] of Object.entries(scripts)) {
    const path = join(dir, name);
    await writeFile(path, `#!/bin/sh\n${body}\n`);
    await chmod(path, 0o755);
  }
  await writeFile(join(dir, 'big.txt'), BIG_TEXT);
  savedPath = process.env['PATH'];
  process.env['PATH'] = `${dir}:${savedPath ?? ''}`;
  process.env['TOOL_DIR'] = dir;
  process.env['JUJU_CONTEXT_ID'] = 'postgresql-k8s/0-install-1';
});

afterAll(async () => {
  process.env['PATH'] = savedPath;
  delete process.env['TOOL_DIR'];
  delete process.env['JUJU_CONTEXT_ID'];
  await rm(dir, { recursive: true, force: true });
});

describe('processToolRunner', () => {
  it('runs the tool by name from PATH with argv passed verbatim, no shell', async () => {
    const result = await processToolRunner().run('action-log', ['--', 'two words', '$(touch x)', '-flag', '']);
    expect(result).toEqual({ exitCode: 0, stdout: '[--][two words][$(touch x)][-flag][]', stderr: '' });
  });

  it('feeds stdin and closes it; keeps the environment (JUJU_CONTEXT_ID) unchanged', async () => {
    const result = await processToolRunner().run('relation-set', ['-r', 'database:5', '--file', '-'], { stdin: '{"a":"b"}' });
    expect(result).toEqual({ exitCode: 0, stdout: 'postgresql-k8s/0-install-1', stderr: '' });
    expect(await readFile(join(dir, 'relation-set.stdin'), 'utf8')).toBe('{"a":"b"}');
  });

  it('gives a closed stdin when there is nothing to feed', async () => {
    expect(await processToolRunner().run('is-leader', ['--format=json'])).toEqual({ exitCode: 0, stdout: 'true\n', stderr: '' });
  });

  it('returns non-zero exits and stderr instead of throwing', async () => {
    const usage = await processToolRunner().run('status-set', ['--application=False', 'x', '--', '']);
    expect(usage.exitCode).toBe(2);
    expect(usage.stderr).toBe('ERROR invalid status "x", expected one of [maintenance blocked waiting active]\n');
  });

  it('reports a signal death as 128+signal and a missing tool as 127', async () => {
    expect((await processToolRunner().run('juju-log', ['--log-level', 'INFO', '--', 'x'])).exitCode).toBe(143);
    const missing = await processToolRunner().run('no-such-hook-tool', []);
    expect(missing.exitCode).toBe(127);
    expect(missing.stderr).toMatch(/^ERROR cannot run no-such-hook-tool: ENOENT/);
  });

  it('captures large multi-byte output whole, however the pipe splits it', async () => {
    const result = await processToolRunner().run('secret-get', []);
    expect(result.exitCode).toBe(0);
    expect(result.stdout.length).toBe(BIG_TEXT.length);
    expect(result.stdout === BIG_TEXT).toBe(true);
  });

  it('reports the exit code of a tool that ignores a large stdin, not a broken pipe', async () => {
    const result = await processToolRunner().run('secret-set', ['x'], { stdin: 'x'.repeat(4 * 1024 * 1024) });
    expect(result).toEqual({ exitCode: 3, stdout: '', stderr: '' });
  });

  it('drives HookTools end to end', async () => {
    const hookTools = new HookTools(processToolRunner(), { unitName: 'postgresql-k8s/0' });
    expect(await hookTools.configGet()).toEqual({ profile: 'testing', args: '--format=json' });
    await hookTools.relationSet({ endpoint: 'database', id: 5 }, { endpoints: 'host:5432' }, { app: true });
    expect(await readFile(join(dir, 'relation-set.stdin'), 'utf8')).toBe('{"endpoints":"host:5432"}');
    await expect(hookTools.relationGet({ endpoint: 'database', id: 5 }, { unit: 'x/0' })).rejects.toMatchObject({ code: 'relation-not-found' });
    await expect(hookTools.statusSet('active', 'x')).rejects.toMatchObject({ code: 'hook-tool-usage', exitCode: 2 });
  });
});
