import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { eventually, processAlive, request } from '../../unit/sandbox-pebble/helpers.ts';

test('main.ts serves on --socket and stops its services on SIGTERM', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pebble-cli-'));
  const socket = join(dir, 'sock', 'pebble.socket');
  const child = spawn(process.execPath, ['--import', 'tsx', 'sandbox/pebble/main.ts', '--socket', socket, '--state', join(dir, 'state')], {
    cwd: join(import.meta.dirname, '../../..'),
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, PEBBLE_LOG_LEVEL: 'warn' },
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  try {
    await eventually(() => existsSync(socket), 20_000);
    const info = await request(socket, 'GET', '/v1/system-info');
    expect(info.json.result.version).toBeDefined();
    const pidFile = join(dir, 'svc.pid');
    await request(socket, 'POST', '/v1/layers', {
      action: 'add',
      label: 'cli',
      format: 'yaml',
      layer: `services:\n  svc:\n    override: replace\n    startup: enabled\n    command: /bin/sh -c 'echo $$ > ${pidFile}; exec sleep 60'\n`,
    });
    const replan = await request(socket, 'POST', '/v1/services', { action: 'replan', services: [] });
    await request(socket, 'GET', `/v1/changes/${replan.json.change}/wait?timeout=10s`);
    const pid = Number(readFileSync(pidFile, 'utf8').trim());
    expect(processAlive(pid)).toBe(true);

    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(processAlive(pid)).toBe(false);
    expect(existsSync(socket)).toBe(false);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}, 30_000);
