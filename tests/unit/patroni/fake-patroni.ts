import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the fake server saw, for assertions on method, path, auth and body. */
export interface SeenRequest {
  method: string;
  url: string;
  authorization: string | undefined;
  contentType: string | undefined;
  body: string;
}

/** One scripted answer; `hang` never answers (to exercise timeouts). */
export type Scripted =
  | { status: number; json: unknown }
  | { status: number; text: string; contentType?: string }
  | { hang: true };

export interface FakePatroni {
  url: string;
  port: number;
  seen: SeenRequest[];
  /** Answers to give, in order; when empty, `fallback` answers. */
  script: Scripted[];
  fallback: Scripted;
  close(): Promise<void>;
}

/**
 * A scripted stand-in for one Patroni REST endpoint on a free loopback port. It only replays
 * status codes and bodies; the protocol facts it is scripted with come from local-stack.md §3.
 */
export async function startFakePatroni(fallback: Scripted = { status: 200, json: { members: [] } }, port = 0): Promise<FakePatroni> {
  const seen: SeenRequest[] = [];
  const hanging = new Set<http.ServerResponse>();
  const fake: FakePatroni = { url: '', port: 0, seen, script: [], fallback, close: async () => undefined };
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      seen.push({
        method: req.method ?? '',
        url: req.url ?? '',
        authorization: req.headers.authorization,
        contentType: req.headers['content-type'],
        body,
      });
      const answer = fake.script.shift() ?? fake.fallback;
      if ('hang' in answer) {
        hanging.add(res);
        return;
      }
      if ('json' in answer) {
        res.writeHead(answer.status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(answer.json));
      } else {
        res.writeHead(answer.status, { 'content-type': answer.contentType ?? 'text/html' });
        res.end(answer.text);
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  fake.port = (server.address() as AddressInfo).port;
  fake.url = `http://127.0.0.1:${fake.port}`;
  fake.close = () =>
    new Promise<void>((resolve) => {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return fake;
}

/** A `/cluster` answer in Patroni 3.0.2's shape (no `scope`, replicas `running`). */
export function clusterAnswer(leader: string, others: Array<{ name: string; role?: string }> = []): unknown {
  return {
    members: [
      { name: leader, role: 'leader', state: 'running', api_url: `http://127.0.0.1:1/patroni`, host: '127.0.0.1', port: 5432, timeline: 1 },
      ...others.map((m, i) => ({
        name: m.name,
        role: m.role ?? 'replica',
        state: 'running',
        api_url: `http://127.0.0.1:${i + 2}/patroni`,
        host: '127.0.0.1',
        port: 5433 + i,
        timeline: 1,
        lag: 0,
      })),
    ],
  };
}
