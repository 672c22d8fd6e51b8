import { mkdtemp, readFile, rm } from 'node:fs/promises';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeTestTls, type TestTlsMaterial } from '../../support/patroni-tls.ts';

/** One request as the fake API server received it. */
export interface SeenRequest {
  method: string;
  /** Path without the query string. */
  path: string;
  query: URLSearchParams;
  authorization: string | undefined;
  contentType: string | undefined;
  accept: string | undefined;
  body: unknown;
}

export interface Answer {
  status: number;
  json?: unknown;
  /** Raw body instead of JSON (for malformed answers). */
  text?: string;
  /** Never answer (timeouts). */
  hang?: boolean;
}

export type Route = (request: SeenRequest) => Answer;

export interface FakeApiServer {
  url: string;
  tls: TestTlsMaterial;
  dir: string;
  seen: SeenRequest[];
  /** `"VERB /path"` → answer; unrouted requests get a real-looking 404 NotFound. */
  routes: Map<string, Answer | Route>;
  close(): Promise<void>;
}

/** A Status body exactly as kube-apiserver sends it for an error. */
export function statusBody(code: number, reason: string, message: string, details: Record<string, string> = {}): unknown {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, details, code };
}

export function forbidden(resource: string, verb = 'get', namespace = 'test'): Answer {
  const message = `${resource} is forbidden: User "system:serviceaccount:${namespace}:postgresql-k8s" cannot ${verb} resource "${resource.split(' ')[0]}" in API group "" in the namespace "${namespace}"`;
  return { status: 403, json: statusBody(403, 'Forbidden', message, { kind: resource.split(' ')[0] ?? '' }) };
}

export function notFound(plural: string, name: string): Answer {
  return { status: 404, json: statusBody(404, 'NotFound', `${plural} "${name}" not found`, { name, kind: plural }) };
}

export function alreadyExists(plural: string, name: string): Answer {
  return { status: 409, json: statusBody(409, 'AlreadyExists', `${plural} "${name}" already exists`, { name, kind: plural }) };
}

/**
 * An HTTPS server standing in for kube-apiserver on loopback, with a certificate signed by a
 * throw-away CA (openssl), so the client's CA verification and bearer token are exercised.
 */
export async function startFakeApiServer(): Promise<FakeApiServer> {
  const dir = await mkdtemp(join(tmpdir(), 'fake-k8s-'));
  const tls = await makeTestTls(dir, 'k8s');
  const seen: SeenRequest[] = [];
  const routes = new Map<string, Answer | Route>();
  const hanging = new Set<import('node:http').ServerResponse>();
  const server = https.createServer({ cert: await readFile(tls.certFile), key: await readFile(tls.keyFile) }, (req, res) => {
    let raw = '';
    req.on('data', (chunk) => (raw += chunk));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'https://fake');
      const request: SeenRequest = {
        method: req.method ?? '',
        path: url.pathname,
        query: url.searchParams,
        authorization: req.headers.authorization,
        contentType: req.headers['content-type'],
        accept: req.headers.accept,
        body: raw === '' ? undefined : JSON.parse(raw),
      };
      seen.push(request);
      const route = routes.get(`${request.method} ${request.path}`);
      const answer = typeof route === 'function' ? route(request) : route ?? notFound('things', url.pathname.split('/').pop() ?? '');
      if (answer.hang) {
        hanging.add(res);
        return;
      }
      res.writeHead(answer.status, { 'content-type': 'application/json' });
      res.end(answer.text ?? JSON.stringify(answer.json ?? {}));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `https://127.0.0.1:${port}`,
    tls,
    dir,
    seen,
    routes,
    close: async () => {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(dir, { recursive: true, force: true });
    },
  };
}
