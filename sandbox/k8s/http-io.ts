import type { IncomingMessage, ServerResponse } from 'node:http';
import YAML from 'yaml';
import { ApiStatusError, badRequest } from './errors.ts';
import type { Json, JsonObject } from './patch.ts';
import type { ResourceType } from './resources.ts';
import { parseFieldSelector, parseLabelSelector } from './selectors.ts';
import type { Selectors } from './store.ts';

/** The API stand-in's request and response plumbing: paths, query flags, bodies, lists. */

const MAX_BODY = 3 * 1024 * 1024;


export interface Target {
  plural: string;
  namespace: string | undefined;
  name: string | undefined;
}

/** `namespaces/<ns>/<plural>[/<name>]`, `namespaces[/<name>]`, `<plural>[/<name>]`. */
export function parseTarget(rest: string[]): Target {
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    if (rest.length > 4) throw notFoundPath();
    return { namespace: rest[1], plural: rest[2]!, name: rest[3] };
  }
  if (rest.length === 0 || rest.length > 2) throw notFoundPath();
  return { plural: rest[0]!, namespace: undefined, name: rest[1] };
}

/** 404 for a path the server does not serve, as the API server answers it. */
export function notFoundPath(): ApiStatusError {
  return new ApiStatusError(404, 'NotFound', 'the server could not find the requested resource', {});
}

export function isTrue(value: string | null): boolean {
  return value !== null && ['true', '1', 'True'].includes(value);
}

export function isDryRun(query: URLSearchParams): boolean {
  return query.getAll('dryRun').includes('All');
}

export function selectorsOf(query: URLSearchParams): Selectors {
  const labels = query.get('labelSelector');
  const fields = query.get('fieldSelector');
  return {
    ...(labels ? { labels: parseLabelSelector(labels) } : {}),
    ...(fields ? { fields: parseFieldSelector(fields) } : {}),
  };
}

/** A list: `kind: <Kind>List`, `metadata.resourceVersion`, and items without kind/apiVersion, as the API server sends them. */
export function listBody(type: ResourceType, items: JsonObject[], resourceVersion: number): JsonObject {
  return {
    kind: `${type.kind}List`,
    apiVersion: 'v1',
    metadata: { resourceVersion: String(resourceVersion) },
    items: items.map(({ kind: _kind, apiVersion: _apiVersion, ...rest }) => rest),
  };
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const payload = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload), 'cache-control': 'no-cache, private' });
  res.end(payload);
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw new ApiStatusError(413, 'BadRequest', 'the request body is too large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export async function readJson(req: IncomingMessage): Promise<Json> {
  const text = await readBody(req);
  try {
    return JSON.parse(text) as Json;
  } catch (cause) {
    throw badRequest(`the body of the request could not be decoded as JSON: ${cause instanceof Error ? cause.message : String(cause)}`);
  }
}

export async function readOptionalJson(req: IncomingMessage): Promise<Json | undefined> {
  const text = await readBody(req);
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as Json;
  } catch {
    throw badRequest('the body of the request (DeleteOptions) could not be decoded as JSON');
  }
}

export async function readYaml(req: IncomingMessage): Promise<Json> {
  const text = await readBody(req);
  try {
    return YAML.parse(text) as Json;
  } catch (cause) {
    throw badRequest(`error decoding YAML: ${cause instanceof Error ? cause.message : String(cause)}`);
  }
}
