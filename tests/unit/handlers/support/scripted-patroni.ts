import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A scripted Patroni REST endpoint that routes by method and path and keeps the little state the
 * reconcile reads and writes: this member's /health, the /cluster members, the dynamic /config
 * (PATCH merges as Patroni does, JSON merge patch) and restarts. The shapes follow Patroni 3.0.2
 * as observed in local-stack.md §3. `down` makes it drop every connection (Patroni not running).
 */
export interface SeenCall {
  method: string;
  path: string;
  body: string;
  authorization: string | undefined;
}

export interface ScriptedMember {
  name: string;
  role: 'leader' | 'sync_standby' | 'replica' | 'standby_leader';
  state: string;
  /** What the member's own /health says when it differs from the DCS (/cluster lags a loop). */
  localState?: string;
  host: string;
  port?: number;
  pending_restart?: boolean;
}

export interface ScriptedPatroni {
  readonly url: string;
  readonly calls: SeenCall[];
  down: boolean;
  /** This member's name: /health answers for it, /restart restarts it. */
  self: string;
  members: ScriptedMember[];
  config: Record<string, unknown>;
  /** When set, unsafe verbs need `Basic patroni:<password>` (else 401). */
  password: string | undefined;
  close(): Promise<void>;
}

type Json = Record<string, unknown>;

function mergePatch(target: Json, patch: Json): Json {
  const result: Json = { ...target };
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else if (typeof value === 'object' && !Array.isArray(value)) {
      const base = result[key];
      result[key] = mergePatch(typeof base === 'object' && base !== null && !Array.isArray(base) ? (base as Json) : {}, value as Json);
    } else result[key] = value;
  }
  return result;
}

export async function startScriptedPatroni(options: { self: string; members?: ScriptedMember[]; password?: string }): Promise<ScriptedPatroni> {
  const calls: SeenCall[] = [];
  const fake: ScriptedPatroni = {
    url: '',
    calls,
    down: false,
    self: options.self,
    members: options.members ?? [],
    config: { ttl: 30, loop_wait: 10, retry_timeout: 10, synchronous_mode: true, postgresql: { parameters: {} } },
    password: options.password,
    close: async () => undefined,
  };
  const server = http.createServer((req, res) => {
    if (fake.down) {
      req.socket.destroy();
      return;
    }
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      const method = req.method ?? '';
      const path = req.url ?? '';
      calls.push({ method, path, body, authorization: req.headers.authorization });
      const json = (status: number, value: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(value));
      };
      const text = (status: number, value: string) => {
        res.writeHead(status, { 'content-type': 'text/plain' });
        res.end(value);
      };
      const unsafe = method !== 'GET';
      const expected = fake.password === undefined ? undefined : `Basic ${Buffer.from(`patroni:${fake.password}`).toString('base64')}`;
      if (unsafe && expected !== undefined && req.headers.authorization !== expected) return text(401, 'no auth header received');
      const me = fake.members.find((member) => member.name === fake.self);
      if (method === 'GET' && (path === '/health' || path === '/patroni')) {
        if (me === undefined) return json(503, { state: 'stopped', role: 'uninitialized' });
        const state = me.localState ?? me.state;
        const running = state === 'running' || state === 'streaming';
        return json(running ? 200 : 503, {
          state,
          role: me.role === 'leader' ? 'master' : 'replica',
          ...(me.pending_restart ? { pending_restart: true } : {}),
          patroni: { version: '3.0.2', scope: 'patroni-postgresql-k8s' },
        });
      }
      if (method === 'GET' && path === '/cluster') {
        return json(200, { members: fake.members.map(({ localState: _local, ...member }) => ({ api_url: `${fake.url}/patroni`, port: 5432, timeline: 1, ...member })) });
      }
      if (method === 'GET' && path === '/config') return json(200, fake.config);
      if (method === 'PATCH' && path === '/config') {
        fake.config = mergePatch(fake.config, JSON.parse(body) as Json);
        return json(200, fake.config);
      }
      if (method === 'POST' && path === '/reload') return text(202, 'reload scheduled');
      if (method === 'POST' && path === '/restart') {
        if (me === undefined || !me.pending_restart) return text(503, 'restart conditions are not satisfied');
        delete me.pending_restart;
        return text(200, 'restarted successfully');
      }
      if (method === 'POST' && path === '/switchover') {
        const request = JSON.parse(body) as { leader: string; candidate: string | null };
        const candidate = request.candidate ?? fake.members.find((member) => member.role === 'sync_standby')?.name;
        const target = fake.members.find((member) => member.name === candidate);
        if (target === undefined) return text(412, 'candidate name does not match with sync_standby');
        for (const member of fake.members) member.role = member.name === target.name ? 'leader' : member.name === request.leader ? 'sync_standby' : member.role;
        return text(200, `Successfully switched over to "${target.name}"`);
      }
      return text(404, 'not found');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  (fake as { url: string }).url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  fake.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return fake;
}
