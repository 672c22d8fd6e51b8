import { existsSync, readFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { eventually, startTestPebble, type TestPebble } from './helpers.ts';

/** Registers cleanup with the running test (tests here run concurrently). */
type Finally = (fn: () => Promise<void>) => void;

async function pebble(onFinished: Finally): Promise<TestPebble> {
  const p = await startTestPebble();
  onFinished(() => p.close());
  return p;
}

/** A tiny health endpoint whose status code the test controls. */
async function healthServer(onFinished: Finally): Promise<{ url: string; setStatus: (s: number) => void }> {
  let status = 200;
  const server = http.createServer((_req, res) => {
    res.writeHead(status, { 'Content-Type': 'text/plain' });
    res.end(status === 200 ? 'ok' : 'database unavailable\nsecond line');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  onFinished(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/health`, setStatus: (s) => (status = s) };
}

async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', () => resolve()));
  const { port } = srv.address() as AddressInfo;
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}

async function check(p: TestPebble, name: string): Promise<any> {
  return (await p.get(`/v1/checks?names=${name}`)).json.result[0];
}

describe.concurrent('checks', () => {
  test('an HTTP check goes down after threshold failures, makes health 502, and recovers', async ({ onTestFinished }) => {
    const p = await pebble(onTestFinished);
    const web = await healthServer(onTestFinished);
    const added = await p.addLayer(
      'checks',
      `checks:
  up:
    override: replace
    level: alive
    period: 500ms
    threshold: 2
    http:
      url: ${web.url}
  other:
    override: replace
    level: ready
    period: 10s
    tcp:
      port: 1
`,
    );
    expect(added.status).toBe(200);
    // Checks start as soon as the plan changes.
    const initial = await check(p, 'up');
    expect(initial).toMatchObject({ name: 'up', level: 'alive', startup: 'enabled', status: 'up', threshold: 2, 'change-id': expect.any(String) });
    expect(initial.failures).toBeUndefined();
    const performId = initial['change-id'];
    const perform = (await p.get(`/v1/changes/${performId}`)).json.result;
    expect(perform).toMatchObject({ kind: 'perform-check', summary: 'Perform HTTP check "up"', status: 'Doing', ready: false });
    await eventually(async () => (await check(p, 'up')).successes >= 1);

    web.setStatus(500);
    const down = await eventually(async () => {
      const c = await check(p, 'up');
      return c.status === 'down' ? c : undefined;
    });
    expect(down.failures).toBeGreaterThanOrEqual(2);
    expect(down['prev-change-id']).toBe(performId);
    const failed = (await p.get(`/v1/changes/${performId}`)).json.result;
    expect(failed.status).toBe('Error');
    expect(failed.err).toContain('- Perform HTTP check "up" (non-2xx status code 500; database unavailable\nsecond line)');
    const recover = (await p.get(`/v1/changes/${down['change-id']}`)).json.result;
    expect(recover).toMatchObject({ kind: 'recover-check', summary: 'Recover HTTP check "up"', ready: false });

    const health = await p.get('/v1/health');
    expect(health.status).toBe(502);
    expect(health.json).toEqual({ type: 'sync', 'status-code': 502, status: 'Bad Gateway', result: { healthy: false } });
    expect((await p.get('/v1/health?level=ready')).status).toBe(502); // ready includes alive checks
    expect((await p.get('/v1/health?names=other')).status).toBe(200);
    expect((await p.get('/v1/checks?level=ready')).json.result.map((c: { name: string }) => c.name)).toEqual(['other']);

    const notices = (await p.get(`/v1/notices?types=change-update&keys=${performId}`)).json.result;
    expect(notices).toHaveLength(1);
    expect(notices[0]).toMatchObject({ type: 'change-update', key: performId, 'user-id': null, 'last-data': { kind: 'perform-check', 'check-name': 'up' } });

    web.setStatus(200);
    const upAgain = await eventually(async () => {
      const c = await check(p, 'up');
      return c.status === 'up' && c['change-id'] !== down['change-id'] ? c : undefined;
    });
    expect(upAgain['prev-change-id']).toBe(down['change-id']);
    expect((await p.get(`/v1/changes/${down['change-id']}`)).json.result.status).toBe('Done');
    expect((await p.get('/v1/health')).status).toBe(200);
  });

  test('tcp and exec checks report their failures in the task log', async ({ onTestFinished }) => {
    const p = await pebble(onTestFinished);
    const port = await freePort();
    await p.addLayer(
      'checks',
      `checks:
  port:
    override: replace
    period: 500ms
    threshold: 5
    tcp:
      port: ${port}
      host: 127.0.0.1
  script:
    override: replace
    period: 500ms
    threshold: 5
    exec:
      command: /bin/sh -c 'echo not ready; exit 4'
`,
    );
    const portChange = (await check(p, 'port'))['change-id'];
    const scriptChange = (await check(p, 'script'))['change-id'];
    const logOf = async (id: string) => ((await p.get(`/v1/changes/${id}`)).json.result.tasks[0].log ?? []) as string[];
    const portLog = await eventually(async () => (await logOf(portChange)).find((l) => l.includes('ERROR')));
    expect(portLog).toMatch(new RegExp(`ERROR dial tcp 127\\.0\\.0\\.1:${port}: connect: connection refused$`));
    const scriptLog = await eventually(async () => (await logOf(scriptChange)).find((l) => l.includes('ERROR')));
    expect(scriptLog).toMatch(/ERROR exit status 4; not ready$/);
    expect((await check(p, 'script')).status).toBe('up'); // below threshold
  });

  test('start/stop checks, startup: disabled, and refresh', async ({ onTestFinished }) => {
    const p = await pebble(onTestFinished);
    const web = await healthServer(onTestFinished);
    await p.addLayer(
      'checks',
      `checks:
  manual:
    override: replace
    startup: disabled
    period: 10s
    http: {url: "${web.url}"}
`,
    );
    expect(await check(p, 'manual')).toEqual({ name: 'manual', startup: 'disabled', status: 'inactive', successes: 0, threshold: 3 });
    const started = await p.post('/v1/checks', { action: 'start', checks: ['manual'] });
    expect(started.json.result).toEqual({ changed: ['manual'] });
    expect((await p.post('/v1/checks', { action: 'start', checks: ['manual'] })).json.result).toEqual({ changed: [] });
    const running = await check(p, 'manual');
    expect(running.status).toBe('up');

    const refreshed = await p.post('/v1/checks/refresh', { name: 'manual' });
    expect(refreshed.json.result.info).toMatchObject({ name: 'manual', status: 'up', successes: 1 });
    web.setStatus(503);
    const failing = await p.post('/v1/checks/refresh', { name: 'manual' });
    expect(failing.json.result.error).toBe('non-2xx status code 503; database unavailable\nsecond line');
    expect(failing.json.result.info.failures).toBe(1);
    expect((await p.post('/v1/checks/refresh', { name: 'nope' })).json.result.message).toBe('cannot find check with name "nope"');

    const stopped = await p.post('/v1/checks', { action: 'stop', checks: ['manual'] });
    expect(stopped.json.result).toEqual({ changed: ['manual'] });
    const inactive = await check(p, 'manual');
    expect(inactive.status).toBe('inactive');
    expect(inactive['change-id']).toBeUndefined();
    const change = await p.waitChange(running['change-id']);
    expect(change.status).toBe('Done');
    expect((await p.post('/v1/checks', { action: 'bounce', checks: ['manual'] })).json.result.message).toBe('invalid action "bounce"');
  });

  test('on-check-failure restart restarts the service', async ({ onTestFinished }) => {
    const p = await pebble(onTestFinished);
    const pidFile = join(p.dir, 'svc.pid');
    const flag = join(p.dir, 'healthy');
    await p.addLayer(
      'base',
      `services:
  watched:
    override: replace
    command: /bin/sh -c 'echo $$ >> ${pidFile}; touch ${flag}; exec sleep 60'
    on-check-failure:
      alive: restart
    backoff-delay: 50ms
checks:
  alive:
    override: replace
    period: 500ms
    threshold: 1
    exec:
      command: /bin/sh -c 'test -f ${flag}'
`,
    );
    await p.serviceAction('start', ['watched']);
    const pids = () => (existsSync(pidFile) ? readFileSync(pidFile, 'utf8').trim().split('\n') : []);
    expect(pids()).toHaveLength(1);
    (await import('node:fs')).rmSync(flag);
    await eventually(() => pids().length >= 2, 8000);
    const services = (await p.get('/v1/services?names=watched')).json.result;
    expect(['active', 'backoff']).toContain(services[0].current);
  });
});
