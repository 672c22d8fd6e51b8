/**
 * The Loki stand-in the sandbox's COS runs (Grafana Loki is not packaged in Debian): the parts of
 * Loki's HTTP API (grafana.com/docs/loki/latest/reference/loki-http-api/) a test needs.
 * - `POST /loki/api/v1/push`, JSON (`{"streams": [{"stream": {labels}, "values": [[ns, line]]}]}`,
 *   optionally gzip-encoded), what Pebble's log forwarding and promtail send; protobuf is refused;
 * - `GET /loki/api/v1/query_range?query={…}&limit=N`: a stream selector of `=`, `!=`, `=~`, `!~`
 *   matchers and an optional `|= "text"` filter (no other LogQL), newest lines first;
 * - `GET /loki/api/v1/labels`, `GET /loki/api/v1/label/<name>/values`, `GET /ready`.
 * Entries are kept in memory and appended to `<dir>/entries.jsonl`, reloaded on start.
 *
 *   node workload.cjs <dir> [port]
 */
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { gunzipSync } from 'node:zlib';
import { matches, parseQuery } from './loki-query.ts';

interface Entry {
  labels: Record<string, string>;
  ns: string;
  line: string;
}

const dir = process.argv[2] ?? '.';
const port = Number(process.argv[3] ?? 3100);
const store = `${dir}/entries.jsonl`;
const entries: Entry[] = existsSync(store)
  ? readFileSync(store, 'utf8')
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as Entry)
  : [];

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'Content-Type': typeof body === 'string' ? 'text/plain' : 'application/json' });
  res.end(typeof body === 'string' ? body : JSON.stringify(body));
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const body = Buffer.concat(chunks);
  return req.headers['content-encoding'] === 'gzip' ? gunzipSync(body) : body;
}

async function push(req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (!(req.headers['content-type'] ?? '').startsWith('application/json')) return send(res, 415, 'this Loki stand-in accepts JSON pushes only');
  const doc = JSON.parse((await readBody(req)).toString('utf8')) as { streams?: { stream?: Record<string, string>; values?: [string, string][] }[] };
  const added: Entry[] = [];
  for (const stream of doc.streams ?? []) {
    for (const [ns, line] of stream.values ?? []) added.push({ labels: { ...(stream.stream ?? {}) }, ns: String(ns), line: String(line) });
  }
  if (added.length > 0) {
    entries.push(...added);
    appendFileSync(store, added.map((entry) => JSON.stringify(entry)).join('\n') + '\n');
  }
  res.writeHead(204).end();
}

function queryRange(url: URL, res: ServerResponse): void {
  const { matchers, contains } = parseQuery(url.searchParams.get('query') ?? '');
  const limit = Number(url.searchParams.get('limit') ?? 100);
  const selected = entries.filter((entry) => matchers.every((m) => matches(entry.labels, m)) && (contains === undefined || entry.line.includes(contains)));
  selected.sort((a, b) => (BigInt(b.ns) > BigInt(a.ns) ? 1 : BigInt(b.ns) < BigInt(a.ns) ? -1 : 0));
  const streams = new Map<string, { stream: Record<string, string>; values: [string, string][] }>();
  for (const entry of selected.slice(0, limit)) {
    const key = JSON.stringify(Object.entries(entry.labels).sort());
    const stream = streams.get(key) ?? { stream: entry.labels, values: [] };
    stream.values.push([entry.ns, entry.line]);
    streams.set(key, stream);
  }
  send(res, 200, { status: 'success', data: { resultType: 'streams', result: [...streams.values()] } });
}

const server = createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://loki');
  const route = `${req.method} ${url.pathname}`;
  (async () => {
    if (route === 'POST /loki/api/v1/push') return push(req, res);
    if (route === 'GET /loki/api/v1/query_range' || route === 'GET /loki/api/v1/query') return queryRange(url, res);
    if (route === 'GET /loki/api/v1/labels') return send(res, 200, { status: 'success', data: [...new Set(entries.flatMap((e) => Object.keys(e.labels)))].sort() });
    const values = /^GET \/loki\/api\/v1\/label\/([^/]+)\/values$/.exec(route);
    if (values) return send(res, 200, { status: 'success', data: [...new Set(entries.map((e) => e.labels[values[1]!]).filter((v) => v !== undefined))].sort() });
    if (route === 'GET /ready') return send(res, 200, 'ready');
    return send(res, 404, 'not found');
  })().catch((error: unknown) => send(res, 400, error instanceof Error ? error.message : String(error)));
});

server.listen(port, '0.0.0.0');
