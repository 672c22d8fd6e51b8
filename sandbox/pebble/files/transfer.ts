/**
 * Pulling and pushing file contents (canonical/pebble internals/daemon/api_files.go). Reads become a multipart body with one
 * `files` part per readable path then the `response` part; writes go to `<name>.<random>~` in
 * the target directory and are renamed into place, with mode and ownership applied first.
 */
import { randomBytes, randomInt } from 'node:crypto';
import { closeSync, fchmodSync, fchownSync, openSync, readFileSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { posix } from 'node:path';
import { FileError, type ErrorKind } from '../errors.ts';
import { pathError } from '../util/fs-errors.ts';
import { normalizeUidGid, type UidGid } from '../util/users.ts';
import { mkdir } from './dirs.ts';
import { isAbsolute, nonAbsoluteMessage, type HostPath } from './paths.ts';

export interface PathResult {
  path: string;
  error?: { message: string; kind?: ErrorKind };
}

export function toResult(path: string, err: unknown): PathResult {
  if (err === undefined) return { path };
  if (err instanceof FileError) return { path, error: { message: err.message, kind: err.kind } };
  return { path, error: { message: err instanceof Error ? err.message : String(err), kind: 'generic-file-error' } };
}

/** Read one regular file's bytes; throws FileError. */
export function readOne(apiPath: string, hostPath: HostPath): Buffer {
  if (!isAbsolute(apiPath)) throw new FileError('generic-file-error', nonAbsoluteMessage(apiPath));
  const host = hostPath(apiPath);
  let isFile: boolean;
  try {
    isFile = statSync(host).isFile();
  } catch (err) {
    throw pathError('stat', apiPath, err);
  }
  if (!isFile) throw new FileError('generic-file-error', `can only read a regular file: ${JSON.stringify(apiPath)}`);
  try {
    return readFileSync(host);
  } catch (err) {
    throw pathError('open', apiPath, err);
  }
}

/** A quoted-string value as Go's mime/multipart writes it (backslashes and quotes escaped). */
const quote = (value: string): string => value.replace(/\\/g, '\\\\').replace(/"/g, '\\"');

/**
 * The multipart response of a read, laid out as Pebble's `readFilesResponse` writes it with Go's
 * multipart writer: a `files` part per readable path (filename = the path, octet-stream), then
 * the `response` part with `Content-Type: application/json` holding the sync envelope.
 */
export function readFilesBody(paths: string[], hostPath: HostPath): { contentType: string; body: Buffer } {
  const boundary = randomBytes(30).toString('hex'); // Go's randomBoundary: 30 random bytes, hex
  const chunks: Buffer[] = [];
  const part = (headers: string, content: Buffer): void => {
    chunks.push(Buffer.from(`${chunks.length === 0 ? '' : '\r\n'}--${boundary}\r\n${headers}\r\n\r\n`), content);
  };
  const results: PathResult[] = [];
  for (const path of paths) {
    try {
      const data = readOne(path, hostPath);
      part(`Content-Disposition: form-data; name="files"; filename="${quote(path)}"\r\nContent-Type: application/octet-stream`, data);
      results.push({ path });
    } catch (err) {
      results.push(toResult(path, err));
    }
  }
  const envelope = { type: 'sync', 'status-code': 200, status: 'OK', result: results };
  part('Content-Disposition: form-data; name="response"\r\nContent-Type: application/json', Buffer.from(`${JSON.stringify(envelope)}\n`));
  chunks.push(Buffer.from(`\r\n--${boundary}--\r\n`));
  return { contentType: `multipart/form-data; boundary=${boundary}`, body: Buffer.concat(chunks) };
}

export interface WriteItem {
  path: string;
  makeDirs: boolean;
  permissions: string;
  userId: number | undefined;
  user: string;
  groupId: number | undefined;
  group: string;
}

export function parsePermissions(permissions: string, fallback: number): number {
  if (permissions === '') return fallback;
  if (permissions.length !== 3 || !/^[0-7]{3}$/.test(permissions)) {
    throw new FileError('generic-file-error', `permissions must be a 3-digit octal string, got ${JSON.stringify(permissions)}`);
  }
  return parseInt(permissions, 8);
}

export function lookupIds(item: { userId: number | undefined; user: string; groupId: number | undefined; group: string }): UidGid | undefined {
  try {
    return normalizeUidGid(item);
  } catch (err) {
    throw new FileError('generic-file-error', `cannot look up user and group: ${(err as Error).message}`);
  }
}

/** Write one file atomically; throws FileError. */
export function writeOne(item: WriteItem, data: Buffer, hostPath: HostPath): void {
  if (!isAbsolute(item.path)) throw new FileError('generic-file-error', nonAbsoluteMessage(item.path));
  const ids = lookupIds(item);
  if (item.makeDirs) {
    try {
      mkdir(posix.dirname(item.path), 0o755, { makeParents: true, existOk: true, ids }, hostPath);
    } catch (err) {
      const kind = err instanceof FileError ? err.kind : 'generic-file-error';
      throw new FileError(kind, `cannot create directory: ${(err as Error).message}`, { cause: err });
    }
  }
  const perm = parsePermissions(item.permissions, 0o644);
  const tmpApi = `${item.path}.${randomInt(1, 2 ** 32 - 1)}~`;
  const tmpHost = hostPath(tmpApi);
  let fd: number;
  try {
    fd = openSync(tmpHost, 'wx', 0o600);
  } catch (err) {
    throw pathError('open', tmpApi, err);
  }
  try {
    writeSync(fd, data);
    fchmodSync(fd, perm);
    if (ids) fchownSync(fd, ids.uid, ids.gid);
    closeSync(fd);
    renameSync(tmpHost, hostPath(item.path));
  } catch (err) {
    try {
      closeSync(fd);
    } catch {
      // already closed
    }
    rmSync(tmpHost, { force: true });
    throw pathError('write', item.path, err);
  }
}
