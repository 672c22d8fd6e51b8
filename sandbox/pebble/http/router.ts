/**
 * Request routing: path templates like `/v1/changes/{id}`, Pebble's 404 for unknown paths and
 * 405 for methods an endpoint lacks, and ApiError → error envelope.
 *
 * Access control: real Pebble derives the caller's identity from SO_PEERCRED on the unix
 * socket. Node exposes no peer credentials, so every local connection is treated as admin
 * (what the charm is, talking to its workload container as root).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../../../src/logging.ts';
import { ApiError, PebbleError } from '../errors.ts';
import { errorReply, sendJson, type Reply } from './envelope.ts';
import { readBody } from './request.ts';

export interface RequestContext {
  req: IncomingMessage;
  url: URL;
  params: Record<string, string>;
  query: URLSearchParams;
  body(): Promise<Buffer>;
  /** Aborted when the client goes away (long polls stop waiting). */
  signal: AbortSignal;
}

export type Handler = (ctx: RequestContext) => Promise<Reply> | Reply;

export interface RouteSpec {
  path: string;
  GET?: Handler;
  POST?: Handler;
  PUT?: Handler;
}

interface CompiledRoute extends RouteSpec {
  regex: RegExp;
  keys: string[];
}

function compile(spec: RouteSpec): CompiledRoute {
  const keys: string[] = [];
  const source = spec.path
    .split('/')
    .map((segment) => {
      const m = /^\{(.+)\}$/.exec(segment);
      if (!m) return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      keys.push(m[1] as string);
      return '([^/]+)';
    })
    .join('/');
  return { ...spec, regex: new RegExp(`^${source}$`), keys };
}

export class Router {
  private readonly routes: CompiledRoute[];

  constructor(
    specs: RouteSpec[],
    private readonly logger: Logger,
  ) {
    this.routes = specs.map(compile);
  }

  match(pathname: string): { route: CompiledRoute; params: Record<string, string> } | undefined {
    for (const route of this.routes) {
      const m = route.regex.exec(pathname);
      if (!m) continue;
      const params: Record<string, string> = {};
      route.keys.forEach((key, i) => {
        params[key] = decodeURIComponent(m[i + 1] as string);
      });
      return { route, params };
    }
    return undefined;
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const controller = new AbortController();
    res.on('close', () => controller.abort(new PebbleError('pebble-client-gone', 'client went away')));
    let reply: Reply;
    try {
      reply = await this.dispatch(req, url, controller.signal);
    } catch (err) {
      if (err instanceof ApiError) reply = errorReply(err.status, err.message, err.kind);
      else {
        this.logger.error({ err, path: url.pathname }, 'internal error handling request');
        reply = errorReply(500, `internal error: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    if (res.writableEnded || res.destroyed) return;
    if (reply.kind === 'json') sendJson(res, reply.status, reply.body);
    else await reply.write(res);
  }

  private async dispatch(req: IncomingMessage, url: URL, signal: AbortSignal): Promise<Reply> {
    const found = this.match(url.pathname);
    if (!found) return errorReply(404, 'invalid API endpoint requested');
    const method = req.method ?? 'GET';
    const handler = method === 'GET' ? found.route.GET : method === 'POST' ? found.route.POST : method === 'PUT' ? found.route.PUT : undefined;
    if (!handler) return errorReply(405, `method ${JSON.stringify(method)} not allowed`);
    let cached: Promise<Buffer> | undefined;
    return handler({
      req,
      url,
      params: found.params,
      query: url.searchParams,
      body: () => (cached ??= readBody(req)),
      signal,
    });
  }
}
