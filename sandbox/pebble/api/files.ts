/** GET/POST /v1/files (canonical/pebble internals/daemon/api_files.go). */
import type { ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { z } from 'zod';
import type { Daemon } from '../daemon.ts';
import { ApiError, badRequest, FileError } from '../errors.ts';
import { syncReply, type Reply } from '../http/envelope.ts';
import { decodeJson } from '../http/request.ts';
import type { RequestContext } from '../http/router.ts';
import { mkdir, removePath } from '../files/dirs.ts';
import { listFiles } from '../files/list.ts';
import { isAbsolute, nonAbsoluteMessage } from '../files/paths.ts';
import { lookupIds, parsePermissions, readFilesBody, toResult, writeOne, type PathResult, type WriteItem } from '../files/transfer.ts';

const MIN_BOUNDARY_LENGTH = 32;

const str = z.string().nullish().transform((v) => v ?? '');
const bool = z.boolean().nullish().transform((v) => v ?? false);
const int = z.number().int().nullish().transform((v) => v ?? undefined);
const owner = { 'user-id': int, user: str, 'group-id': int, group: str };

const jsonSchema = z.object({
  action: str,
  dirs: z.array(z.object({ path: str, 'make-parents': bool, permissions: str, ...owner })).nullish().transform((v) => v ?? []),
  paths: z.array(z.object({ path: str, recursive: bool })).nullish().transform((v) => v ?? []),
});

const writeRequestSchema = z.object({
  action: str,
  files: z.array(z.object({ path: str, 'make-dirs': bool, permissions: str, ...owner })).nullish().transform((v) => v ?? []),
});

export function getFiles(d: Daemon, ctx: RequestContext): Reply {
  const action = ctx.query.get('action') ?? '';
  if (action === 'read') {
    const paths = ctx.query.getAll('path');
    if (paths.length === 0) throw badRequest('must specify one or more paths');
    if (ctx.req.headers.accept !== 'multipart/form-data') throw badRequest('must accept multipart/form-data');
    return {
      kind: 'custom',
      write: async (res: ServerResponse) => {
        const { contentType, body } = readFilesBody(paths, d.hostPath);
        res.writeHead(200, { 'Content-Type': contentType, 'Content-Length': body.length });
        res.end(body);
      },
    };
  }
  if (action === 'list') {
    const path = ctx.query.get('path') ?? '';
    if (path === '') throw badRequest('must specify path');
    const itself = ctx.query.get('itself') ?? '';
    if (!['true', 'false', ''].includes(itself)) throw badRequest('itself parameter must be "true" or "false"');
    if (!isAbsolute(path)) throw badRequest(`path must be absolute, got ${JSON.stringify(path)}`);
    try {
      return syncReply(listFiles(path, ctx.query.get('pattern') ?? '', itself === 'true', d.hostPath));
    } catch (err) {
      if (!(err instanceof FileError)) throw err;
      const status = err.kind === 'not-found' ? 404 : err.kind === 'permission-denied' ? 403 : 400;
      throw new ApiError(status, err.message, { kind: err.kind });
    }
  }
  throw badRequest(`invalid action ${JSON.stringify(action)}`);
}

function makeDirs(d: Daemon, dirs: z.output<typeof jsonSchema>['dirs']): PathResult[] {
  return dirs.map((dir) => {
    try {
      if (!isAbsolute(dir.path)) throw new FileError('generic-file-error', nonAbsoluteMessage(dir.path));
      const perm = parsePermissions(dir.permissions, 0o755);
      const ids = lookupIds({ userId: dir['user-id'], user: dir.user, groupId: dir['group-id'], group: dir.group });
      mkdir(dir.path, perm, { makeParents: dir['make-parents'], existOk: dir['make-parents'], ids }, d.hostPath);
      return toResult(dir.path, undefined);
    } catch (err) {
      return toResult(dir.path, err);
    }
  });
}

function removePaths(d: Daemon, paths: z.output<typeof jsonSchema>['paths']): PathResult[] {
  return paths.map((p) => {
    try {
      if (!isAbsolute(p.path)) throw new FileError('generic-file-error', nonAbsoluteMessage(p.path));
      removePath(p.path, p.recursive, d.hostPath);
      return toResult(p.path, undefined);
    } catch (err) {
      return toResult(p.path, err);
    }
  });
}

async function writeFiles(d: Daemon, ctx: RequestContext, contentType: string): Promise<Reply> {
  const body = await ctx.body();
  let form: FormData;
  try {
    const request = new Request('http://localhost/', { method: 'POST', headers: { 'content-type': contentType }, body: Readable.toWeb(Readable.from([body])) as ReadableStream, duplex: 'half' } as RequestInit);
    form = await request.formData();
  } catch (err) {
    throw badRequest(`cannot read request metadata: ${(err as Error).message}`);
  }
  const entries = [...form.entries()];
  const first = entries[0];
  if (!first) throw badRequest('cannot read request metadata: EOF');
  if (first[0] !== 'request') throw badRequest(`metadata field name must be "request", got ${JSON.stringify(first[0])}`);
  const metaText = typeof first[1] === 'string' ? first[1] : await first[1].text();
  const meta = decodeJson(Buffer.from(metaText), 'cannot decode request metadata', writeRequestSchema);
  if (meta.action !== 'write') throw badRequest(`multipart action must be "write", got ${JSON.stringify(meta.action)}`);
  if (meta.files.length === 0) throw badRequest('must specify one or more files');
  const items = new Map<string, WriteItem>();
  for (const f of meta.files) {
    items.set(f.path, {
      path: f.path,
      makeDirs: f['make-dirs'],
      permissions: f.permissions,
      userId: f['user-id'],
      user: f.user,
      groupId: f['group-id'],
      group: f.group,
    });
  }
  const errors = new Map<string, unknown>();
  for (const [name, value] of entries.slice(1)) {
    if (name !== 'files') throw badRequest(`field name must be "files", got ${JSON.stringify(name)}`);
    const path = typeof value === 'string' ? '' : value.name;
    const item = items.get(path);
    if (!item) throw badRequest(`no metadata for path ${JSON.stringify(path)}`);
    const data = typeof value === 'string' ? Buffer.from(value) : Buffer.from(await value.arrayBuffer());
    try {
      writeOne(item, data, d.hostPath);
      errors.set(path, undefined);
    } catch (err) {
      errors.set(path, err);
    }
  }
  return syncReply(
    meta.files.map((f) =>
      errors.has(f.path)
        ? toResult(f.path, errors.get(f.path))
        : toResult(f.path, new FileError('generic-file-error', `no file content for path ${JSON.stringify(f.path)}`)),
    ),
  );
}

function mediaType(contentType: string): { type: string; boundary: string } | undefined {
  const [type, ...params] = contentType.split(';').map((s) => s.trim());
  if (!type || !/^[\w.+-]+\/[\w.+-]+$/.test(type)) return undefined;
  const boundaryParam = params.find((p) => p.toLowerCase().startsWith('boundary='));
  const boundary = boundaryParam ? boundaryParam.slice('boundary='.length).replace(/^"(.*)"$/, '$1') : '';
  return { type: type.toLowerCase(), boundary };
}

export async function postFiles(d: Daemon, ctx: RequestContext): Promise<Reply> {
  const contentType = ctx.req.headers['content-type'] ?? '';
  const media = mediaType(contentType);
  if (!media) throw badRequest(`invalid Content-Type ${JSON.stringify(contentType)}`);
  if (media.type === 'multipart/form-data') {
    if (media.boundary.length < MIN_BOUNDARY_LENGTH) throw badRequest(`invalid boundary ${JSON.stringify(media.boundary)}`);
    return writeFiles(d, ctx, contentType);
  }
  if (media.type !== 'application/json') throw badRequest(`invalid media type ${JSON.stringify(media.type)}`);
  const payload = decodeJson(await ctx.body(), 'cannot decode request body', jsonSchema);
  switch (payload.action) {
    case 'make-dirs':
      return syncReply(makeDirs(d, payload.dirs));
    case 'remove':
      return syncReply(removePaths(d, payload.paths));
    case 'write':
      throw badRequest('must use multipart with "write" action');
    default:
      throw badRequest(`invalid action ${JSON.stringify(payload.action)}`);
  }
}
