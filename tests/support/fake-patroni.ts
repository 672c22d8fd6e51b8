import http from 'node:http';
import type { AddressInfo } from 'node:net';

/*
 * An in-process stand-in for Patroni's REST API (https://patroni.readthedocs.io/en/latest/rest_api.html),
 * one HTTP server per member on a free loopback port. Its answers are derived from a mutable
 * cluster view that several members' servers can share (so a 3-member cluster is three servers
 * over one view); per-route overrides script anything else (errors, odd bodies, silence).
 * Shapes follow Patroni 3.0.2 (`/cluster` has no `scope`, `/patroni` says role `master`), as
 * docs/patroni-rest-api.md records them.
 */

type Json = Record<string, unknown>;

export interface FakeMember {
  name: string;
  role: 'leader' | 'sync_standby' | 'replica' | 'standby_leader';
  /** The state the DCS (`/cluster`) shows: running, streaming, starting, stopped, creating replica… */
  state: string;
  host: string;
  /** PostgreSQL's port (5432 by default). */
  port?: number;
  /** Default: the URL of the fake serving this member, else `http://<host>:8008/patroni`. */
  api_url?: string;
  /** Bytes behind the leader (replicas: 0 by default). */
  lag?: number | string;
  tags?: Json;
  pending_restart?: boolean;
  /** What the member's own /health says when it differs from the DCS (/cluster lags a loop). */
  localState?: string;
  /** The member's own `xlog` document (e.g. `{ replayed_location }`), as /health and /patroni show it. */
  xlog?: Json;
}

/** The cluster as every member's Patroni reports it: mutate it freely between requests. */
export interface FakeCluster {
  members: FakeMember[];
  /** The dynamic configuration (GET/PATCH /config). */
  config: Json;
  /** Member name → base URL of the fake serving it (kept by startFakePatroni). */
  readonly urls: Map<string, string>;
}

export function fakeCluster(members: FakeMember[] = [], config?: Json): FakeCluster {
  return {
    members,
    config: config ?? { ttl: 30, loop_wait: 10, retry_timeout: 10, synchronous_mode: true, postgresql: { parameters: {} } },
    urls: new Map(),
  };
}

/** A scripted answer: a status with a JSON or text body, a dropped connection, or silence. */
export type FakeAnswer = { status: number; json?: unknown; text?: string } | 'unreachable' | 'hang';

export interface SeenRequest {
  method: string;
  /** The path with its query string. */
  path: string;
  /** The body parsed as JSON (the raw text if it is not JSON; undefined when empty). */
  body: unknown;
  /** Whether an Authorization header came with the request. */
  auth: boolean;
  authorization: string | undefined;
  contentType: string | undefined;
}

export interface FakePatroni {
  readonly url: string;
  readonly port: number;
  /** The member this server is; undefined for a Patroni that is up but not (yet) a member. */
  readonly self: string | undefined;
  readonly cluster: FakeCluster;
  /** The shared dynamic configuration (same object as `cluster.config`). */
  config: Json;
  /** When set, unsafe methods need `Basic <username>:<password>` (401 otherwise), as with `restapi.authentication`. */
  password: string | undefined;
  readonly requests: SeenRequest[];
  /** Answer `route` ('POST /switchover', '/cluster' or '*') with `answer` until `off(route)`. */
  on(route: string, answer: FakeAnswer): void;
  /** Answer the next requests to `route` with `answers`, one each, before any `on` override or the view. */
  once(route: string, ...answers: FakeAnswer[]): void;
  /** Drop the overrides of `route`, or all of them. */
  off(route?: string): void;
  close(): Promise<void>;
}

export interface FakePatroniOptions {
  self?: string;
  /** Shared with other members' fakes; a fresh one (holding `members`) by default. */
  cluster?: FakeCluster;
  members?: FakeMember[];
  password?: string;
  username?: string;
  /** A fixed port (default: a free one). */
  port?: number;
}

export async function startFakePatroni(options: FakePatroniOptions = {}): Promise<FakePatroni> {
  const cluster = options.cluster ?? fakeCluster(options.members);
  const username = options.username ?? 'patroni';
  const sticky = new Map<string, FakeAnswer>();
  const queued = new Map<string, FakeAnswer[]>();
  const hanging = new Set<http.ServerResponse>();
  const requests: SeenRequest[] = [];
  let url = '';

  const fake: FakePatroni = {
    get url() {
      return url;
    },
    get port() {
      return Number(new URL(url).port);
    },
    self: options.self,
    cluster,
    get config() {
      return cluster.config;
    },
    set config(value: Json) {
      cluster.config = value;
    },
    password: options.password,
    requests,
    on: (route, answer) => void sticky.set(route, answer),
    once: (route, ...answers) => void queued.set(route, [...(queued.get(route) ?? []), ...answers]),
    off: (route) => (route === undefined ? (sticky.clear(), queued.clear()) : (sticky.delete(route), queued.delete(route))),
    close: async () => undefined,
  };

  function override(method: string, path: string): FakeAnswer | undefined {
    const routes = [`${method} ${path}`, path, '*'];
    for (const route of routes) {
      const next = queued.get(route)?.shift();
      if (next !== undefined) return next;
    }
    for (const route of routes) if (sticky.has(route)) return sticky.get(route);
    return undefined;
  }

  const server = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (chunk) => (raw += chunk));
    req.on('end', () => {
      const method = req.method ?? '';
      const target = req.url ?? '/';
      const [path = '/', query = ''] = target.split('?', 2);
      const body = parseBody(raw);
      requests.push({
        method,
        path: target,
        body,
        auth: req.headers.authorization !== undefined,
        authorization: req.headers.authorization,
        contentType: req.headers['content-type'],
      });
      const answer = override(method, path) ?? fromView(method, path, new URLSearchParams(query), body, req.headers.authorization);
      if (answer === 'unreachable') return void req.socket.destroy();
      if (answer === 'hang') return void hanging.add(res);
      const json = answer.text === undefined;
      res.writeHead(answer.status, { 'content-type': json ? 'application/json' : 'text/plain' });
      res.end(json ? JSON.stringify(answer.json ?? null) : answer.text);
    });
  });

  function fromView(method: string, path: string, query: URLSearchParams, body: unknown, authorization: string | undefined): Exclude<FakeAnswer, string> {
    const text = (status: number, value: string) => ({ status, text: value });
    const json = (status: number, value: unknown) => ({ status, json: value });
    const expected = fake.password === undefined ? undefined : `Basic ${Buffer.from(`${username}:${fake.password}`).toString('base64')}`;
    if (method !== 'GET' && expected !== undefined && authorization !== expected) {
      return text(401, authorization === undefined ? 'no auth header received' : 'not authenticated');
    }
    const me = cluster.members.find((member) => member.name === fake.self);
    const state = me === undefined ? 'stopped' : (me.localState ?? me.state);
    const up = state === 'running' || state === 'streaming';
    const status = me === undefined ? { state, role: 'uninitialized' } : memberStatus(me, state);
    const request = (body ?? {}) as Json;
    switch (`${method} ${path}`) {
      case 'GET /health':
        return json(up ? 200 : 503, status);
      case 'GET /patroni':
        return json(me === undefined ? 503 : 200, status);
      case 'GET /primary':
      case 'GET /master':
        return json(up && me?.role === 'leader' ? 200 : 503, status);
      case 'GET /leader':
        return json(up && (me?.role === 'leader' || me?.role === 'standby_leader') ? 200 : 503, status);
      case 'GET /replica': {
        const maxLag = query.get('lag');
        const lagOk = maxLag === null || bytes(me?.lag ?? 0) <= bytes(maxLag);
        return json(up && (me?.role === 'replica' || me?.role === 'sync_standby') && lagOk ? 200 : 503, status);
      }
      case 'GET /cluster':
        return json(200, { members: cluster.members.map((member) => clusterMember(member)) });
      case 'GET /config':
        return json(200, cluster.config);
      case 'PATCH /config':
        cluster.config = mergePatch(cluster.config, request);
        return json(200, cluster.config);
      case 'POST /reload':
        return text(202, 'reload scheduled');
      case 'POST /restart':
        if (me === undefined || (request['restart_pending'] === true && !me.pending_restart)) return text(503, 'restart conditions are not satisfied');
        delete me.pending_restart;
        return text(200, 'restarted successfully');
      case 'POST /switchover':
      case 'POST /failover':
        return takeOver(path.slice(1) as 'switchover' | 'failover', request);
      default:
        return text(404, 'not found');
    }
  }

  function takeOver(action: 'switchover' | 'failover', request: Json): { status: number; text: string } {
    const leader = cluster.members.find((member) => member.role === 'leader');
    const candidateName = typeof request['candidate'] === 'string' ? request['candidate'] : undefined;
    if (action === 'failover' && candidateName === undefined) return { status: 400, text: 'Failover could be performed only to a specific candidate' };
    if (action === 'switchover' && request['leader'] !== leader?.name) return { status: 412, text: 'leader name does not match' };
    const sync = cluster.members.filter((member) => member.role === 'sync_standby');
    const inSyncMode = cluster.config['synchronous_mode'] === true;
    if (candidateName !== undefined && inSyncMode && action === 'switchover' && !sync.some((member) => member.name === candidateName)) {
      return { status: 412, text: 'candidate name does not match with sync_standby' };
    }
    const target = candidateName === undefined ? (sync[0] ?? cluster.members.find((member) => member.role === 'replica')) : cluster.members.find((member) => member.name === candidateName);
    if (target === undefined || target === leader) return { status: 412, text: 'no good candidates have been found' };
    if (leader !== undefined) leader.role = inSyncMode ? 'sync_standby' : 'replica';
    target.role = 'leader';
    return { status: 200, text: `Successfully ${action === 'switchover' ? 'switched' : 'failed'} over to "${target.name}"` };
  }

  function clusterMember({ localState: _own, xlog: _xlog, pending_restart, ...member }: FakeMember): Json {
    return {
      ...member,
      api_url: member.api_url ?? `${cluster.urls.get(member.name) ?? `http://${member.host}:8008`}/patroni`,
      port: member.port ?? 5432,
      timeline: 1,
      ...(member.role === 'leader' ? {} : { lag: member.lag ?? 0 }),
      ...(pending_restart ? { pending_restart } : {}),
    };
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  if (options.self !== undefined) cluster.urls.set(options.self, url);
  fake.close = () =>
    new Promise<void>((resolve) => {
      if (options.self !== undefined && cluster.urls.get(options.self) === url) cluster.urls.delete(options.self);
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return fake;
}

/** The /health and /patroni document of a member (Patroni 3.0.2 says `master` for the leader). */
function memberStatus(member: FakeMember, state: string): Json {
  return {
    state,
    role: member.role === 'leader' ? 'master' : member.role === 'standby_leader' ? 'standby_leader' : 'replica',
    timeline: 1,
    ...(member.pending_restart ? { pending_restart: true } : {}),
    ...(member.tags === undefined ? {} : { tags: member.tags }),
    ...(member.xlog === undefined ? {} : { xlog: member.xlog }),
    patroni: { version: '3.0.2', scope: 'patroni-postgresql-k8s' },
  };
}

/** JSON merge patch (RFC 7396), what Patroni applies on PATCH /config: objects merge, null deletes. */
export function mergePatch(target: Json, patch: Json): Json {
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

function parseBody(raw: string): unknown {
  if (raw === '') return undefined;
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}

/** `16384`, `16kB`, `100MB`, `1GB` → bytes (Patroni's `?lag=` units). */
function bytes(value: number | string): number {
  if (typeof value === 'number') return value;
  const match = /^(\d+)\s*(B|kB|MB|GB|TB)?$/.exec(value.trim());
  if (match === null) return Number.POSITIVE_INFINITY;
  const unit = { B: 1, kB: 1024, MB: 1024 ** 2, GB: 1024 ** 3, TB: 1024 ** 4 }[match[2] ?? 'B'] ?? 1;
  return Number(match[1]) * unit;
}
