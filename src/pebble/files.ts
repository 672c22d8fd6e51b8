import { decodeFileInfo, list } from './decode.ts';
import { PathError, PebbleApiError, PebbleProtocolError } from './errors.ts';
import { formatPermissions, ownershipFields } from './format.ts';
import { decodeMultipart, encodeFilesWrite } from './multipart.ts';
import { mediaType } from './media-type.ts';
import { apiErrorFrom, decodeEnvelope, type PebbleTransport } from './transport.ts';
import type { FileInfo, Ownership } from './types.ts';

/** The files API (canonical/pebble internals/daemon/api_files.go): write, read, list, make-dirs. */

export interface PushOptions extends Ownership {
  /** Create missing parent directories (0755, same owner). */
  makeDirs?: boolean;
  /** Mode bits, e.g. 0o600 (Pebble's default is 0o644). */
  permissions?: number;
}

export interface MakeDirOptions extends Ownership {
  /** `mkdir -p`: create parents, and succeed when the directory exists. */
  makeParents?: boolean;
  permissions?: number;
}

export interface ListFilesOptions {
  /** Go `path.Match` glob on the base name, e.g. "*.conf". */
  pattern?: string;
  /** Describe the path itself rather than a directory's entries. */
  itself?: boolean;
}

export async function push(
  transport: PebbleTransport,
  path: string,
  data: string | Uint8Array,
  options: PushOptions = {},
): Promise<void> {
  // The path travels as a multipart filename, which cannot carry these characters verbatim.
  if (/["\r\n]/.test(path)) {
    throw new PathError('generic-file-error', `cannot push to a path containing quotes or newlines: ${JSON.stringify(path)}`, path);
  }
  const file: Record<string, unknown> = { path, ...ownershipFields(options) };
  if (options.makeDirs) file['make-dirs'] = true;
  if (options.permissions !== undefined) file['permissions'] = formatPermissions(options.permissions, path);
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  const multipart = await encodeFilesWrite({ action: 'write', files: [file] }, [{ filename: path, data: bytes }]);
  const response = await transport.raw({
    method: 'POST',
    path: '/v1/files',
    headers: { 'Content-Type': multipart.contentType, Accept: 'application/json' },
    body: multipart.body,
  });
  throwSinglePathError(decodeEnvelope(response).result);
}

/** The file's bytes; per-path failures (missing, a directory, permissions) are PathErrors. */
export async function pull(transport: PebbleTransport, path: string): Promise<Buffer> {
  const response = await transport.raw({
    method: 'GET',
    path: '/v1/files',
    query: { action: 'read', path },
    headers: { Accept: 'multipart/form-data' },
  });
  // An error (any JSON answer is one, or not a read) is an envelope, not a multipart body.
  const json = mediaType(response.contentType)?.essence === 'application/json';
  if (response.status < 200 || response.status >= 300 || json) decodeEnvelope(response);
  const form = await decodeMultipart(response.body, response.contentType);
  const summary = form.get('response');
  if (summary === null) throw new PebbleProtocolError('Pebble sent no "response" part for a file read');
  const text = typeof summary === 'string' ? summary : await summary.text();
  let envelope: unknown;
  try {
    envelope = JSON.parse(text);
  } catch (error) {
    throw new PebbleProtocolError('Pebble sent a malformed "response" part for a file read', { cause: error });
  }
  if (typeof envelope !== 'object' || envelope === null) throw new PebbleProtocolError('Pebble sent a malformed "response" part for a file read');
  const { type, result } = envelope as { type?: unknown; result?: unknown };
  if (type === 'error') {
    throw apiErrorFrom({ ...response, contentType: 'application/json', body: Buffer.from(text) }, envelope, text);
  }
  if (type !== 'sync') throw new PebbleProtocolError(`expected sync response, got ${JSON.stringify(type ?? '')}`);
  throwSinglePathError(result);
  // Exactly one `files` part, named by the requested path (what ops insists on too).
  const parts = form.getAll('files').flatMap((part) => (typeof part !== 'string' && part.name === path ? [part] : []));
  const [part] = parts;
  if (part === undefined || parts.length !== 1) {
    throw new PebbleProtocolError(`expected exactly one file part for ${JSON.stringify(path)}, got ${parts.length}`);
  }
  return Buffer.from(await part.arrayBuffer());
}

export async function listFiles(transport: PebbleTransport, path: string, options: ListFilesOptions = {}): Promise<FileInfo[]> {
  const envelope = await transport.json('GET', '/v1/files', {
    query: { action: 'list', path, pattern: options.pattern, itself: options.itself ? 'true' : undefined },
  });
  return list(envelope.result, 'file list').map(decodeFileInfo);
}

/** The path's own FileInfo, or undefined when it does not exist (Pebble answers 404). */
export async function stat(transport: PebbleTransport, path: string): Promise<FileInfo | undefined> {
  try {
    const [info] = await listFiles(transport, path, { itself: true });
    return info;
  } catch (error) {
    if (error instanceof PebbleApiError && error.status === 404) return undefined;
    throw error;
  }
}

export async function makeDir(transport: PebbleTransport, path: string, options: MakeDirOptions = {}): Promise<void> {
  const dir: Record<string, unknown> = { path, ...ownershipFields(options) };
  if (options.makeParents) dir['make-parents'] = true;
  if (options.permissions !== undefined) dir['permissions'] = formatPermissions(options.permissions, path);
  const envelope = await transport.json('POST', '/v1/files', { body: { action: 'make-dirs', dirs: [dir] } });
  throwSinglePathError(envelope.result);
}

/**
 * The per-path result `[{path, error?: {kind, message}}]` of a one-path request: exactly one
 * entry, as Pebble's Go client insists (client/files.go), whose error becomes a PathError.
 */
function throwSinglePathError(result: unknown): void {
  const items = list(result, 'per-path result');
  if (items.length !== 1) throw new PebbleProtocolError(`expected exactly one result from API, got ${items.length}`);
  for (const item of items) {
    if (typeof item !== 'object' || item === null) throw new PebbleProtocolError('Pebble returned a malformed per-path result');
    const { path, error } = item as { path?: unknown; error?: { kind?: unknown; message?: unknown } | null };
    if (error === undefined || error === null) continue;
    throw new PathError(
      typeof error.kind === 'string' ? error.kind : '',
      typeof error.message === 'string' ? error.message : 'unknown file error',
      typeof path === 'string' ? path : '',
    );
  }
}
