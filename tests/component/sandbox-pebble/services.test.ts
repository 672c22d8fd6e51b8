import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { eventually, processAlive, startTestPebble, type TestPebble } from '../../unit/sandbox-pebble/helpers.ts';

async function withPebble(fn: (p: TestPebble) => Promise<void>, env?: Record<string, string>): Promise<void> {
  const p = await startTestPebble(env ? { env } : {});
  try {
    await fn(p);
  } finally {
    await p.close();
  }
}

const read = (path: string): string => (existsSync(path) ? readFileSync(path, 'utf8') : '');
const pidOf = (path: string): number => Number(read(path).trim().split('\n')[0]);

async function current(p: TestPebble, name: string): Promise<string> {
  const res = await p.get(`/v1/services?names=${name}`);
  return res.json.result[0]?.current;
}

describe.concurrent('services', () => {
  test('start pulls in requirements in after/before order and reports them', async () => {
    await withPebble(async (p) => {
      const log = join(p.dir, 'order.log');
      await p.addLayer(
        'base',
        `services:
  web:
    override: replace
    command: /bin/sh -c 'echo web >> ${log}; exec sleep 60'
    requires: [db]
    after: [db]
  db:
    override: replace
    command: /bin/sh -c 'echo db >> ${log}; exec sleep 60'
  other:
    override: replace
    command: /bin/sleep 60
`,
      );
      const change = await p.serviceAction('start', ['web']);
      expect(change.summary).toBe('Start service "web" and 1 more');
      expect(change.status).toBe('Done');
      expect(change.tasks.map((t: { summary: string }) => t.summary)).toEqual(['Start service "db"', 'Start service "web"']);
      expect(read(log)).toBe('db\nweb\n');
      const services = (await p.get('/v1/services')).json.result;
      expect(services.map((s: { name: string; current: string; startup: string }) => [s.name, s.current, s.startup])).toEqual([
        ['db', 'active', 'disabled'],
        ['other', 'inactive', 'disabled'],
        ['web', 'active', 'disabled'],
      ]);
      expect(services[0]['current-since']).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
      expect(services[1]['current-since']).toBeUndefined();

      // Starting again is a no-op with a task log line.
      const again = await p.serviceAction('start', ['db']);
      expect(again.tasks[0].log[0]).toMatch(/ INFO Service "db" already started\.$/);

      // Stopping db stops web, which requires it, first.
      const stop = await p.serviceAction('stop', ['db']);
      expect(stop.tasks.map((t: { summary: string }) => t.summary)).toEqual(['Stop service "web"', 'Stop service "db"']);
      expect(await current(p, 'web')).toBe('inactive');

      const changes = (await p.get('/v1/changes?select=all&for=db')).json.result;
      expect(changes.map((c: { kind: string }) => c.kind)).toEqual(['start', 'stop']);
      expect((await p.get('/v1/changes')).json.result).toEqual([]);
    });
  });

  test('replan restarts services whose config changed and starts enabled ones', async () => {
    await withPebble(async (p) => {
      const pidA = join(p.dir, 'a.pid');
      const pidB = join(p.dir, 'b.pid');
      const empty = await p.serviceAction('replan');
      expect(empty).toMatchObject({ summary: 'Replan - no services', status: 'Done', ready: true });
      expect(empty.tasks).toBeUndefined();
      await p.addLayer(
        'base',
        `services:
  a:
    override: replace
    startup: enabled
    command: /bin/sh -c 'echo $$ > ${pidA}; echo $GREETING >> ${pidA}; exec sleep 60'
    environment: {GREETING: hello}
  b:
    override: replace
    startup: enabled
    command: /bin/sh -c 'echo $$ > ${pidB}; exec sleep 60'
`,
      );
      const first = await p.serviceAction('replan');
      expect(first.summary).toBe('Replan service "a" and 1 more');
      const [a1, b1] = [pidOf(pidA), pidOf(pidB)];
      expect(read(pidA)).toContain('hello');

      // Nothing changed: enabled services get start tasks that find them running.
      const idle = await p.serviceAction('replan');
      expect(idle.tasks.map((t: { log: string[] }) => t.log[0]?.replace(/^\S+ /, ''))).toEqual([
        'INFO Service "a" already started.',
        'INFO Service "b" already started.',
      ]);

      await p.addLayer('change', 'services:\n  a:\n    override: merge\n    environment: {GREETING: bonjour}\n');
      const second = await p.serviceAction('replan');
      expect(second.summary).toBe('Replan service "a" and 1 more');
      expect(second.tasks.map((t: { summary: string; status: string }) => [t.summary, t.status])).toEqual([
        ['Stop service "a"', 'Done'],
        ['Start service "a"', 'Done'],
        ['Start service "b"', 'Done'],
      ]);
      expect(second.tasks[2].log[0]).toMatch(/Service "b" already started\.$/);
      const a2 = pidOf(pidA);
      expect(a2).not.toBe(a1);
      expect(read(pidA)).toContain('bonjour');
      expect(processAlive(a1)).toBe(false);
      expect(pidOf(pidB)).toBe(b1);
      expect(processAlive(b1)).toBe(true);
    });
  });

  test('a service exiting within 1s fails its start task', async () => {
    await withPebble(async (p) => {
      await p.addLayer(
        'base',
        `services:
  flaky:
    override: replace
    command: /bin/sh -c 'echo line one; echo boom >&2; exit 3'
    on-failure: ignore
`,
      );
      const change = await p.serviceAction('start', ['flaky']);
      expect(change.status).toBe('Error');
      expect(change.err).toBe(
        'cannot perform the following tasks:\n- Start service "flaky" (service start attempt: exited quickly with code 3, will ignore)',
      );
      const log: string[] = change.tasks[0].log;
      expect(log.some((l) => l.includes(' INFO Most recent service output:\n    line one\n    boom'))).toBe(true);
      expect(log.at(-1)).toMatch(/ ERROR service start attempt: exited quickly with code 3, will ignore$/);
      expect(await current(p, 'flaky')).toBe('error');
    });
  });

  test('on-failure restart backs off, retries, and stop ends it', async () => {
    await withPebble(async (p) => {
      const runs = join(p.dir, 'runs');
      await p.addLayer(
        'base',
        `services:
  crashy:
    override: replace
    command: /bin/sh -c 'echo run >> ${runs}; exit 1'
    backoff-delay: 50ms
    backoff-factor: 1.5
    backoff-limit: 200ms
`,
      );
      const change = await p.serviceAction('start', ['crashy']);
      expect(change.err).toContain('service start attempt: exited quickly with code 1, will restart');
      await eventually(() => read(runs).split('\n').length > 4, 5000);
      const seen = new Set<string>();
      await eventually(async () => {
        seen.add(await current(p, 'crashy'));
        return seen.has('backoff');
      });
      const stop = await p.serviceAction('stop', ['crashy']);
      expect(stop.status).toBe('Done');
      expect(await current(p, 'crashy')).toBe('inactive');
      const count = read(runs).length;
      await new Promise((r) => setTimeout(r, 400));
      expect(read(runs).length).toBe(count);
    });
  });

  test('services run with the plan environment over the Pebble one, as the configured user', async () => {
    const outDir = `/tmp/pebble-user-test-${process.pid}`;
    mkdirSync(outDir, { recursive: true });
    chmodSync(outDir, 0o777);
    await withPebble(
      async (p) => {
        const out = join(outDir, 'who');
        await p.addLayer(
          'base',
          `services:
  lowly:
    override: replace
    command: /bin/sh -c 'id -u > ${out}; id -g >> ${out}; echo $USER $HOME $FROM_PEBBLE $SHARED >> ${out}; pwd >> ${out}; exec sleep 60'
    user: nobody
    working-dir: /tmp
    environment: {SHARED: from-plan}
`,
        );
        await p.serviceAction('start', ['lowly']);
        const nobody = readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith('nobody:'))?.split(':') ?? [];
        expect(read(out).split('\n')).toEqual([nobody[2], nobody[3], `nobody ${nobody[5]} pebble-env from-plan`, '/tmp', '']);
      },
      { PATH: process.env['PATH'] ?? '/usr/bin:/bin', FROM_PEBBLE: 'pebble-env', SHARED: 'from-pebble' },
    ).finally(() => rmSync(outDir, { recursive: true, force: true }));
  });

  test('signals reach running services; restart cycles the process', async () => {
    await withPebble(async (p) => {
      const out = join(p.dir, 'sig');
      await p.addLayer(
        'base',
        `services:
  trapper:
    override: replace
    command: /bin/sh -c 'trap "echo got-usr1 >> ${out}" USR1; echo $$ > ${out}.pid; while true; do sleep 0.05; done'
`,
      );
      await p.serviceAction('start', ['trapper']);
      const res = await p.post('/v1/signals', { signal: 'SIGUSR1', services: ['trapper'] });
      expect(res.json).toEqual({ type: 'sync', 'status-code': 200, status: 'OK', result: true });
      await eventually(() => read(out).includes('got-usr1'));
      const bad = await p.post('/v1/signals', { signal: 'SIGFOO', services: ['trapper'] });
      expect(bad.status).toBe(500);
      expect(bad.json.result.message).toBe('cannot send signal to "trapper": invalid signal name "SIGFOO"');

      const before = pidOf(`${out}.pid`);
      const restart = await p.serviceAction('restart', ['trapper']);
      expect(restart.summary).toBe('Restart service "trapper"');
      expect(restart.tasks.map((t: { kind: string }) => t.kind)).toEqual(['stop', 'start']);
      expect(pidOf(`${out}.pid`)).not.toBe(before);
      expect(processAlive(before)).toBe(false);
    });
  });

  test('output is served by /v1/logs as JSON lines', async () => {
    await withPebble(async (p) => {
      await p.addLayer(
        'base',
        `services:
  talker:
    override: replace
    command: /bin/sh -c 'for i in 1 2 3 4 5; do echo "line $i"; done; echo oops >&2; exec sleep 60'
`,
      );
      await p.serviceAction('start', ['talker']);
      const all = await p.get('/v1/logs?n=-1&services=talker');
      expect(all.headers['content-type']).toBe('application/x-ndjson');
      const lines = all.text.trim().split('\n').map((l) => JSON.parse(l));
      expect(lines.map((l) => l.message)).toEqual(['line 1', 'line 2', 'line 3', 'line 4', 'line 5', 'oops']);
      expect(lines[0]).toEqual({ time: expect.stringMatching(/Z$/), service: 'talker', message: 'line 1' });
      const last2 = (await p.get('/v1/logs?n=2')).text.trim().split('\n').map((l) => JSON.parse(l).message);
      expect(last2).toEqual(['line 5', 'oops']);
      expect((await p.get('/v1/logs?n=x')).json.result.message).toBe('n must be -1, 0, or a positive integer');
    });
  });

  test('/v1/logs?follow=true streams new output as it is written', async () => {
    await withPebble(async (p) => {
      await p.addLayer(
        'base',
        `services:
  ticker:
    override: replace
    command: /bin/sh -c 'i=0; while true; do i=$((i+1)); echo "tick $i"; sleep 0.1; done'
`,
      );
      await p.serviceAction('start', ['ticker']);
      const messages: string[] = [];
      await new Promise<void>((resolve, reject) => {
        const req = http.get({ socketPath: p.socket, path: '/v1/logs?follow=true&n=1', agent: false }, (res) => {
          expect(res.headers['content-type']).toBe('application/x-ndjson');
          let buffer = '';
          res.on('data', (chunk: Buffer) => {
            buffer += chunk.toString();
            const lines = buffer.split('\n');
            buffer = lines.pop() ?? '';
            messages.push(...lines.map((l) => JSON.parse(l).message));
            if (messages.length >= 4) {
              req.destroy();
              resolve();
            }
          });
        });
        req.on('error', (err) => (messages.length >= 4 ? resolve() : reject(err)));
      });
      const numbers = messages.map((m) => Number(m.replace('tick ', '')));
      expect(numbers.slice(1)).toEqual([numbers[0]! + 1, numbers[0]! + 2, numbers[0]! + 3]);
      expect(numbers[0]).toBeGreaterThanOrEqual(9); // n=1: only the latest line of the first second
    });
  });

  test('a shutdown action is reported instead of exiting the sandbox', async () => {
    const calls: Array<[string, string]> = [];
    const p = await startTestPebble({ onShutdown: (service, outcome) => calls.push([service, outcome]) });
    try {
      await p.addLayer('base', "services:\n  fatal:\n    override: replace\n    command: /bin/sh -c 'exit 2'\n    on-failure: shutdown\n");
      const change = await p.serviceAction('start', ['fatal']);
      expect(change.err).toContain('exited quickly with code 2, will shutdown');
      expect(calls).toEqual([['fatal', 'failure']]);
      expect(await current(p, 'fatal')).toBe('error');
    } finally {
      await p.close();
    }
  });

  test('stop escalates to SIGKILL after kill-delay', async () => {
    await withPebble(async (p) => {
      const pidFile = join(p.dir, 'stubborn.pid');
      await p.addLayer(
        'base',
        `services:
  stubborn:
    override: replace
    command: /bin/sh -c 'trap "" TERM; echo $$ > ${pidFile}; while true; do sleep 0.05; done'
    kill-delay: 300ms
`,
      );
      await p.serviceAction('start', ['stubborn']);
      const pid = pidOf(pidFile);
      const started = Date.now();
      const stop = await p.serviceAction('stop', ['stubborn']);
      expect(stop.status).toBe('Done');
      expect(Date.now() - started).toBeGreaterThanOrEqual(280);
      expect(processAlive(pid)).toBe(false);
    });
  });

  test('autostart starts enabled services; aborting a start kills the process', async () => {
    await withPebble(async (p) => {
      await p.addLayer(
        'base',
        'services:\n  on:\n    override: replace\n    startup: enabled\n    command: /bin/sleep 60\n  off:\n    override: replace\n    command: /bin/sleep 60\n',
      );
      const auto = await p.serviceAction('autostart');
      expect(auto.summary).toBe('Autostart service "on"');
      expect(await current(p, 'off')).toBe('inactive');

      const res = await p.post('/v1/services', { action: 'start', services: ['off'] });
      await new Promise((r) => setTimeout(r, 200));
      const aborted = await p.post(`/v1/changes/${res.json.change}`, { action: 'abort' });
      expect(aborted.status).toBe(200);
      const change = await p.waitChange(res.json.change);
      expect(change.status).toBe('Error');
      expect(change.err).toContain('start aborted, sent SIGKILL to process');
      expect(await current(p, 'off')).toBe('inactive');
    });
  });

  test('close() stops every service process, descendants included', async () => {
    const p = await startTestPebble();
    const pids = join(p.dir, 'tree.pids');
    await p.addLayer(
      'base',
      `services:
  tree:
    override: replace
    startup: enabled
    command: /bin/sh -c 'sleep 60 & echo $! >> ${pids}; echo $$ >> ${pids}; wait'
`,
    );
    await p.serviceAction('replan');
    const all = read(pids).trim().split('\n').map(Number);
    expect(all).toHaveLength(2);
    expect(all.every(processAlive)).toBe(true);
    await p.close();
    await eventually(() => all.every((pid) => !processAlive(pid)), 3000);
  });
});
