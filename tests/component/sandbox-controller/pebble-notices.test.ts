import { execFile } from 'node:child_process';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Controller } from '../../../sandbox/controller/controller.ts';
import { startPebbleServer, type PebbleServer } from '../../../sandbox/pebble/server.ts';
import { installPebbleCli } from '../../../sandbox/runtime/pebble-cli.ts';
import { PebbleNotices } from '../../../sandbox/runtime/pebble-notices.ts';
import { createLogger } from '../../../src/logging.ts';
import { TestBed, waitFor } from './test-charm.ts';

const run = promisify(execFile);

let bed: TestBed;
let controller: Controller | undefined;
let pebble: PebbleServer | undefined;

beforeEach(async () => {
  bed = await TestBed.create();
});

afterEach(async () => {
  await controller?.stop();
  controller = undefined;
  await pebble?.close();
  pebble = undefined;
  await bed.cleanup();
});

describe('Pebble custom notices and check changes', () => {
  it('become <container>-pebble-custom-notice hooks with the notice fields; repeats fire again, restarts repeat nothing', async () => {
    const socket = path.join(bed.dir, 'workload.socket');
    const pebbleState = path.join(bed.dir, 'pebble-state');
    await mkdir(pebbleState, { recursive: true });
    const startPebble = () => startPebbleServer({ socketPath: socket, stateDir: pebbleState, logger: createLogger({ level: 'silent' }) });
    pebble = await startPebble();
    const notices = new PebbleNotices(async () => socket);
    const open = () => bed.open({ notices, noticeWaitMs: 500, noticeRetryMs: 100 });
    // What the workload runs: the sandbox's `pebble` command, as the runtime installs it.
    const cli = await installPebbleCli(path.join(bed.dir, 'bin'));
    const notify = async (...args: string[]) => (await run(cli, ['notify', ...args], { env: { PEBBLE_SOCKET: socket } })).stdout;
    const seen = async (): Promise<string[]> =>
      (await readFile(path.join(bed.controlDir, 'notices-a-0'), 'utf8').catch(() => '')).split('\n').filter(Boolean);

    controller = await open();
    await bed.deploy(controller, 'a');
    await controller.settled({ timeoutMs: 20_000 });
    await bed.runInHook('a/0', 'workload-pebble-custom-notice', 'printf "%s %s %s %s\\n" "$JUJU_WORKLOAD_NAME" "$JUJU_NOTICE_ID" "$JUJU_NOTICE_TYPE" "$JUJU_NOTICE_KEY" >> "$ctl/notices-$unit_id"');

    expect(await notify('example.com/db/user-created', 'user=alice')).toMatch(/^Recorded notice \d+\n$/);
    await waitFor(async () => (await seen()).length === 1);
    const [first] = await seen();
    expect(first).toMatch(/^workload \d+ custom example\.com\/db\/user-created$/);
    const id = first!.split(' ')[1];

    // The same key again: the same notice, repeated, fires again.
    await notify('example.com/db/user-created', 'user=bob');
    await waitFor(async () => (await seen()).length === 2);
    expect((await seen())[1]).toBe(`workload ${id} custom example.com/db/user-created`);

    // Pebble restarts (its notices survive in its state): nothing fires again.
    await pebble.close();
    await new Promise((resolve) => setTimeout(resolve, 300));
    pebble = await startPebble();
    // The daemon restarts too.
    await controller.stop();
    controller = await open();
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    await controller.settled({ timeoutMs: 20_000 });
    expect(await seen()).toHaveLength(2);

    await notify('example.com/other/thing');
    await waitFor(async () => (await seen()).length === 3);
    expect((await seen())[2]).toMatch(/^workload \d+ custom example\.com\/other\/thing$/);
    expect(await bed.sequence('a/0')).toContain('workload-pebble-custom-notice');
  }, 60_000);

  it('a check that fails and recovers becomes <container>-pebble-check-failed and -check-recovered with its name', async () => {
    const socket = path.join(bed.dir, 'workload.socket');
    pebble = await startPebbleServer({ socketPath: socket, stateDir: path.join(bed.dir, 'pebble-state'), logger: createLogger({ level: 'silent' }) });
    controller = await bed.open({ notices: new PebbleNotices(async () => socket), noticeWaitMs: 500, noticeRetryMs: 100 });
    await bed.deploy(controller, 'a');
    await controller.settled({ timeoutMs: 20_000 });
    for (const hook of ['check-failed', 'check-recovered']) {
      await bed.runInHook('a/0', `workload-pebble-${hook}`, `echo "${hook} $JUJU_WORKLOAD_NAME $JUJU_PEBBLE_CHECK_NAME" >> "$ctl/checks-$unit_id"`);
    }
    const seen = async (): Promise<string[]> => (await readFile(path.join(bed.controlDir, 'checks-a-0'), 'utf8').catch(() => '')).split('\n').filter(Boolean);
    const healthy = path.join(bed.dir, 'healthy');
    await writeFile(healthy, '');
    const layer = `checks:\n  ready:\n    override: replace\n    period: 200ms\n    threshold: 2\n    exec:\n      command: test -e ${healthy}\n`;
    await postJson(socket, '/v1/layers', { action: 'add', label: 'checks', combine: true, format: 'yaml', layer });

    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(await seen()).toEqual([]); // passing: no hook
    await rm(healthy);
    await waitFor(async () => (await seen()).length === 1);
    expect(await seen()).toEqual(['check-failed workload ready']);
    await writeFile(healthy, '');
    await waitFor(async () => (await seen()).length === 2);
    expect(await seen()).toEqual(['check-failed workload ready', 'check-recovered workload ready']);
  }, 60_000);

  it('the pebble command refuses what Pebble refuses, with its words', async () => {
    const socket = path.join(bed.dir, 'workload.socket');
    pebble = await startPebbleServer({ socketPath: socket, stateDir: path.join(bed.dir, 'pebble-state'), logger: createLogger({ level: 'silent' }) });
    const cli = await installPebbleCli(path.join(bed.dir, 'bin'));
    const failed = await run(cli, ['notify', 'not-a-key'], { env: { PEBBLE_SOCKET: socket } }).then(
      () => null,
      (error: { code: number; stderr: string }) => error,
    );
    expect(failed).toMatchObject({ code: 1, stderr: 'error: invalid key "not-a-key" (must be in "example.com/path" format)\n' });
    const badData = await run(cli, ['notify', 'example.com/a/b', 'nodata'], { env: { PEBBLE_SOCKET: socket } }).then(
      () => null,
      (error: { code: number; stderr: string }) => error,
    );
    expect(badData).toMatchObject({ code: 1, stderr: 'error: data args must be in "name=value" format, not "nodata"\n' });
    expect((await run(cli, ['notify', '--repeat-after=1h', 'example.com/a/b'], { env: { PEBBLE_SOCKET: socket } })).stdout).toMatch(/^Recorded notice \d+\n$/);
  });
});

function postJson(socketPath: string, urlPath: string, body: unknown): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath, path: urlPath, method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => (res.statusCode === 200 ? resolve(text) : reject(new Error(`POST ${urlPath}: ${res.statusCode ?? 0} ${text}`))));
    });
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}
