import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import WebSocket from 'ws';
import { startTestPebble, type TestPebble } from '../../unit/sandbox-pebble/helpers.ts';

let p: TestPebble;
beforeAll(async () => {
  p = await startTestPebble({ env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', PEBBLE_ONLY: 'yes', HOME: '/root', USER: 'root' } });
});
afterAll(async () => {
  await p?.close();
});

function connect(taskId: string, id: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws+unix://${p.socket}:/v1/tasks/${taskId}/websocket/${id}`);
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => reject(new Error(`${res.statusCode} ${body}`)));
    });
  });
}

/** Collect binary frames until the {"command":"end"} text frame. */
function collect(ws: WebSocket): Promise<{ data: Buffer; binaryFrames: number }> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (isBinary) chunks.push(data);
      else if (JSON.parse(data.toString()).command === 'end') resolve({ data: Buffer.concat(chunks), binaryFrames: chunks.length });
    });
  });
}

interface ExecOutcome {
  start: any;
  change: any;
  stdout: string;
  stderr: string | undefined;
  control: WebSocket;
}

async function execute(body: Record<string, unknown>, opts: { stdin?: string; during?: (control: WebSocket) => Promise<void> } = {}): Promise<ExecOutcome> {
  const res = await p.post('/v1/exec', body);
  expect(res.status).toBe(202);
  const taskId = res.json.result['task-id'];
  const control = await connect(taskId, 'control');
  const stdio = await connect(taskId, 'stdio');
  const stderr = body['split-stderr'] ? await connect(taskId, 'stderr') : undefined;
  const out = collect(stdio);
  const err = stderr ? collect(stderr) : undefined;
  if (opts.stdin !== undefined) stdio.send(Buffer.from(opts.stdin), { binary: true });
  if (opts.during) await opts.during(control);
  stdio.send(JSON.stringify({ command: 'end' }));
  const change = await p.waitChange(res.json.change);
  const result = { start: res.json, change, stdout: (await out).data.toString(), stderr: err ? (await err).data.toString() : undefined, control };
  stdio.terminate();
  stderr?.terminate();
  return result;
}

describe.concurrent('exec', () => {
  test('runs a real command with stdin, merged output and the exit code in the task data', async () => {
    const r = await execute({ command: ['/bin/sh', '-c', 'cat; echo to-err >&2; exit 3'], environment: { EXTRA: '1' } }, { stdin: 'hello from stdin\n' });
    expect(r.start.type).toBe('async');
    expect(r.start.result['working-dir']).toBe('/root');
    expect(r.start.result.environment).toMatchObject({ EXTRA: '1', PEBBLE_ONLY: 'yes', LANG: 'C.UTF-8', HOME: '/root', USER: 'root' });
    expect(r.stdout).toBe('hello from stdin\nto-err\n');
    expect(r.change).toMatchObject({ kind: 'exec', summary: 'Execute command "/bin/sh"', status: 'Done', ready: true });
    expect(r.change.err).toBeUndefined();
    expect(r.change.tasks[0]).toMatchObject({ kind: 'exec', status: 'Done', data: { 'exit-code': 3 } });
  });

  test('split stderr goes to its own websocket; environment and working dir apply', async () => {
    const dir = join(p.dir, 'work');
    mkdirSync(dir);
    const r = await execute({
      command: ['sh', '-c', 'pwd; echo "$EXTRA $PEBBLE_ONLY"; echo problem >&2'],
      environment: { EXTRA: 'x' },
      'working-dir': dir,
      'split-stderr': true,
    });
    expect(r.stdout).toBe(`${dir}\nx yes\n`);
    expect(r.stderr).toBe('problem\n');
    expect(r.change.tasks[0].data).toEqual({ 'exit-code': 0 });
  });

  test('user switching drops HOME/USER and fills them from passwd', async () => {
    const r = await execute({ command: ['/bin/sh', '-c', 'id -u; echo $USER $HOME'], user: 'nobody', 'working-dir': '/' });
    const nobody = readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith('nobody:'))?.split(':') ?? [];
    expect(r.stdout).toBe(`${nobody[2]}\nnobody ${nobody[5]}\n`);
  });

  test('timeout kills the command: task Error with exit code -1', async () => {
    const started = Date.now();
    const r = await execute({ command: ['/bin/sleep', '10'], timeout: '300ms' });
    expect(Date.now() - started).toBeLessThan(5000);
    expect(r.change.status).toBe('Error');
    expect(r.change.err).toBe('cannot perform the following tasks:\n- Execute command "/bin/sleep" (timed out after 300ms: context deadline exceeded)');
    expect(r.change.tasks[0].data).toEqual({ 'exit-code': -1 });
  });

  test('signals over the control websocket reach the process', async () => {
    const r = await execute(
      { command: ['/bin/sh', '-c', 'trap "echo caught; exit 7" TERM; echo ready; while true; do sleep 0.05; done'] },
      {
        during: async (control) => {
          await new Promise((resolve) => setTimeout(resolve, 300));
          control.send(JSON.stringify({ command: 'signal', signal: { name: 'SIGTERM' } }));
        },
      },
    );
    expect(r.stdout).toBe('ready\ncaught\n');
    expect(r.change.tasks[0].data).toEqual({ 'exit-code': 7 });
  });

  test('a process killed by a signal reports 128+n', async () => {
    const r = await execute({ command: ['/bin/sh', '-c', 'kill -9 $$'] });
    expect(r.change.tasks[0].data).toEqual({ 'exit-code': 137 });
  });

  test('websocket errors', async () => {
    const res = await p.post('/v1/exec', { command: ['/bin/true'], 'split-stderr': false });
    const taskId = res.json.result['task-id'];
    await expect(connect(taskId, 'stderr')).rejects.toThrow(`404 {"type":"error","status-code":404,"status":"Not Found","result":{"message":"cannot find stderr websocket for task \\"${taskId}\\""}}`);
    await expect(connect('99999', 'stdio')).rejects.toThrow('cannot find task \\"99999\\"');
    const control = await connect(taskId, 'control');
    await expect(connect(taskId, 'control')).rejects.toThrow('500 {"type":"error","status-code":500,"status":"Internal Server Error","result":{"message":"control websocket already connected"}}');
    const stdio = await connect(taskId, 'stdio');
    stdio.send(JSON.stringify({ command: 'end' }));
    await p.waitChange(res.json.change);
    control.terminate();
    stdio.terminate();

    const svc = await p.addLayer('ws', 'services:\n  quick:\n    override: replace\n    command: /bin/sleep 30\n');
    expect(svc.status).toBe(200);
    const start = await p.post('/v1/services', { action: 'start', services: ['quick'] });
    const change = await p.waitChange(start.json.change);
    await expect(connect(change.tasks[0].id, 'control')).rejects.toThrow('"start\\" tasks do not have websockets');
    await p.serviceAction('stop', ['quick']);
  });

  test('without websockets the task fails after 5s and the process never runs', async () => {
    const marker = join(p.dir, 'never-ran');
    const res = await p.post('/v1/exec', { command: ['/bin/sh', '-c', `touch ${marker}`] });
    const change = await p.waitChange(res.json.change);
    expect(existsSync(marker)).toBe(false);
    expect(change.status).toBe('Error');
    expect(change.err).toBe(
      `cannot perform the following tasks:\n- Execute command "/bin/sh" (exec ${res.json.result['task-id']}: timeout waiting for websocket connections: context deadline exceeded)`,
    );
  }, 10_000);
});
