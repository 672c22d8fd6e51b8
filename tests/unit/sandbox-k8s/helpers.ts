import https from 'node:https';
import { createLogger } from '../../../src/logging.ts';
import { KubeApiServer, type KubeApiServerOptions } from '../../../sandbox/k8s/index.ts';

/** A stand-in on a free loopback port, logging nothing. */
export function startApi(options: KubeApiServerOptions = {}): Promise<KubeApiServer> {
  return KubeApiServer.start({ namespace: 'dev', logger: createLogger({ level: 'silent' }), ...options });
}

export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- test convenience over JSON
}

/** One request to the stand-in; `token: null` sends no Authorization header. */
export function call(
  api: KubeApiServer,
  method: string,
  path: string,
  options: { token?: string | null; body?: unknown; contentType?: string; raw?: string } = {},
): Promise<Answer> {
  const payload = options.raw ?? (options.body === undefined ? undefined : JSON.stringify(options.body));
  const token = options.token === undefined ? api.auth.adminToken : options.token;
  return new Promise((resolve, reject) => {
    const req = https.request(
      `${api.url}${path}`,
      {
        method,
        ca: api.caPem,
        agent: false,
        headers: {
          ...(token === null ? {} : { authorization: `Bearer ${token}` }),
          ...(payload === undefined ? {} : { 'content-type': options.contentType ?? 'application/json', 'content-length': Buffer.byteLength(payload) }),
        },
      },
      (res) => {
        let text = '';
        res.on('data', (chunk) => (text += chunk));
        res.on('end', () => {
          let body: unknown = text;
          try {
            body = JSON.parse(text);
          } catch {
            // not JSON (healthz)
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body });
        });
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

export interface WatchStream {
  status: number;
  events: Array<{ type: string; object: any }>; // eslint-disable-line @typescript-eslint/no-explicit-any
  /** Resolves once `count` events arrived (or rejects after `timeoutMs`). */
  next(count: number, timeoutMs?: number): Promise<Array<{ type: string; object: any }>>; // eslint-disable-line @typescript-eslint/no-explicit-any
  ended: Promise<void>;
  close(): void;
}

/** Open a watch and collect its JSON-lines events. */
export function watch(api: KubeApiServer, path: string, token: string = api.auth.adminToken): Promise<WatchStream> {
  return new Promise((resolve, reject) => {
    const req = https.request(`${api.url}${path}`, { method: 'GET', ca: api.caPem, agent: false, headers: { authorization: `Bearer ${token}` } }, (res) => {
      const events: WatchStream['events'] = [];
      let buffer = '';
      let waiters: Array<() => void> = [];
      let endedResolve: () => void = () => {};
      const ended = new Promise<void>((r) => (endedResolve = r));
      res.on('data', (chunk: Buffer) => {
        buffer += chunk.toString('utf8');
        let newline: number;
        while ((newline = buffer.indexOf('\n')) >= 0) {
          const line = buffer.slice(0, newline);
          buffer = buffer.slice(newline + 1);
          if (line.trim() !== '') events.push(JSON.parse(line));
        }
        for (const waiter of waiters) waiter();
      });
      res.on('end', () => {
        endedResolve();
        for (const waiter of waiters) waiter();
      });
      res.on('close', () => endedResolve());
      resolve({
        status: res.statusCode ?? 0,
        events,
        ended,
        close: () => req.destroy(),
        next: (count, timeoutMs = 3_000) =>
          new Promise((ok, fail) => {
            const check = () => {
              if (events.length >= count) {
                clearTimeout(timer);
                waiters = waiters.filter((w) => w !== check);
                ok(events.slice(0, count));
              }
            };
            const timer = setTimeout(() => fail(new Error(`only ${events.length} of ${count} events: ${JSON.stringify(events)}`)), timeoutMs);
            waiters.push(check);
            check();
          }),
      });
    });
    req.on('error', reject);
    req.end();
  });
}
