/**
 * Test harness: a real sandbox Pebble on a unix socket in a temp dir, and a tiny HTTP client
 * over that socket (node:http with socketPath), the way the charm's client talks to Pebble.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startPebbleServer, type PebbleServer, type PebbleServerOptions } from '../../../sandbox/pebble/server.ts';

export interface HttpResult {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  text: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  json: any;
}

export function request(
  socketPath: string,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    let payload: Buffer | undefined;
    if (Buffer.isBuffer(body)) payload = body;
    else if (typeof body === 'string') payload = Buffer.from(body);
    else if (body !== undefined) payload = Buffer.from(JSON.stringify(body));
    const allHeaders: Record<string, string> = { ...headers };
    if (payload && !Object.keys(allHeaders).some((h) => h.toLowerCase() === 'content-type')) {
      allHeaders['Content-Type'] = 'application/json';
    }
    if (payload) allHeaders['Content-Length'] = String(payload.length);
    // No agent: a pooled keep-alive socket could outlive a restarted server on the same path.
    const req = http.request({ socketPath, method, path, headers: allHeaders, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const buf = Buffer.concat(chunks);
        const text = buf.toString();
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: buf, text, json });
      });
    });
    req.on('error', reject);
    if (payload) req.write(payload);
    req.end();
  });
}

export interface TestPebble {
  server: PebbleServer;
  dir: string;
  socket: string;
  stateDir: string;
  rootDir: string;
  get(path: string, headers?: Record<string, string>): Promise<HttpResult>;
  post(path: string, body?: unknown, headers?: Record<string, string>): Promise<HttpResult>;
  addLayer(label: string, layer: string, combine?: boolean): Promise<HttpResult>;
  /** POST /v1/services and wait for the change to be ready; returns the change. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  serviceAction(action: string, services?: string[]): Promise<any>;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  waitChange(id: string, timeout?: string): Promise<any>;
  close(): Promise<void>;
}

export async function startTestPebble(options: Partial<PebbleServerOptions> = {}): Promise<TestPebble> {
  const dir = mkdtempSync(join(tmpdir(), 'pebble-test-'));
  const socket = join(dir, 'pebble.socket');
  const stateDir = options.stateDir ?? join(dir, 'state');
  const rootDir = options.rootDir ?? '/';
  const server = await startPebbleServer({ socketPath: socket, stateDir, ...options });
  const t: TestPebble = {
    server,
    dir,
    socket,
    stateDir,
    rootDir,
    get: (path, headers) => request(socket, 'GET', path, undefined, headers),
    post: (path, body, headers) => request(socket, 'POST', path, body, headers),
    addLayer: (label, layer, combine = false) =>
      request(socket, 'POST', '/v1/layers', { action: 'add', label, format: 'yaml', layer, combine }),
    async waitChange(id, timeout = '20s') {
      const res = await request(socket, 'GET', `/v1/changes/${id}/wait?timeout=${timeout}`);
      if (res.status !== 200) throw new Error(`wait ${id}: ${res.status} ${res.text}`);
      return res.json.result;
    },
    async serviceAction(action, services = []) {
      const res = await request(socket, 'POST', '/v1/services', { action, services });
      if (res.status !== 202) throw new Error(`${action}: ${res.status} ${res.text}`);
      return t.waitChange(res.json.change);
    },
    async close() {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return t;
}

/** Poll until fn returns a truthy value (or throw after timeoutMs). */
export async function eventually<T>(fn: () => Promise<T> | T, timeoutMs = 10_000, intervalMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await fn();
      if (value) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`condition not met in ${timeoutMs}ms${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** Whether a process with this pid exists. */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
