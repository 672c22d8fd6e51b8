/**
 * GET /v1/files?action=list (canonical/pebble internals/daemon/api_files.go `listFiles`): a
 * directory's entries, or the path itself, filtered by a glob on the base name, as FileInfo
 * objects.
 */
import { lstatSync, readdirSync, statSync, type Stats } from 'node:fs';
import { posix } from 'node:path';
import picomatch from 'picomatch';
import { FileError } from '../errors.ts';
import { pathError } from '../util/fs-errors.ts';
import { formatRfc3339, msToNs } from '../util/go-time.ts';
import { lookupGroupId, lookupUserId } from '../util/users.ts';
import type { HostPath } from './paths.ts';

export interface FileInfo {
  path: string;
  name: string;
  type: string;
  size?: number;
  permissions: string;
  'last-modified': string;
  'user-id': number | null;
  user: string;
  'group-id': number | null;
  group: string;
}

function fileType(stats: Stats): string {
  if (stats.isFile()) return 'file';
  if (stats.isDirectory()) return 'directory';
  if (stats.isSymbolicLink()) return 'symlink';
  if (stats.isSocket()) return 'socket';
  if (stats.isFIFO()) return 'named-pipe';
  if (stats.isBlockDevice() || stats.isCharacterDevice()) return 'device';
  return 'unknown';
}

export function fileInfo(apiPath: string, stats: Stats): FileInfo {
  const info: FileInfo = {
    path: apiPath,
    name: posix.basename(apiPath),
    type: fileType(stats),
    permissions: (stats.mode & 0o777).toString(8).padStart(3, '0'),
    'last-modified': formatRfc3339(msToNs(Math.floor(stats.mtimeMs / 1000) * 1000)),
    'user-id': stats.uid,
    user: lookupUserId(stats.uid)?.name ?? '',
    'group-id': stats.gid,
    group: lookupGroupId(stats.gid)?.name ?? '',
  };
  if (stats.isFile()) info.size = stats.size;
  // Keep Pebble's field order: size sits between type and permissions.
  const { path, name, type, size, ...rest } = info;
  return size === undefined ? { path, name, type, ...rest } : { path, name, type, size, ...rest };
}

/** Go's path.Match on the base name (dotfiles included, no braces or extglobs). */
function matcher(pattern: string): (name: string) => boolean {
  if (pattern === '') return () => true;
  try {
    const isMatch = picomatch(pattern, { dot: true, nobrace: true, noextglob: true, noglobstar: true });
    return (name) => isMatch(name);
  } catch {
    throw new FileError('generic-file-error', 'syntax error in pattern');
  }
}

/** Throws FileError (its kind decides the HTTP status). */
export function listFiles(apiPath: string, pattern: string, itself: boolean, hostPath: HostPath): FileInfo[] {
  const host = hostPath(apiPath);
  let stats: Stats;
  try {
    stats = statSync(host);
  } catch (err) {
    throw pathError('stat', apiPath, err);
  }
  const matches = matcher(pattern);
  if (!stats.isDirectory() || itself) {
    const name = posix.basename(apiPath);
    return matches(name) ? [fileInfo(posix.join(posix.dirname(apiPath), name), stats)] : [];
  }
  let names: string[];
  try {
    names = readdirSync(host).sort();
  } catch (err) {
    throw pathError('open', apiPath, err);
  }
  const result: FileInfo[] = [];
  for (const name of names) {
    if (!matches(name)) continue;
    let entryStats: Stats;
    try {
      entryStats = lstatSync(posix.join(host, name));
    } catch (err) {
      throw pathError('lstat', posix.join(apiPath, name), err);
    }
    result.push(fileInfo(posix.join(apiPath, name), entryStats));
  }
  return result;
}
