/**
 * Directory creation and removal for the files API, with Pebble's semantics: directories are
 * created under a temporary `<path>.mkdir-new` name, chmod/chown'd, then renamed into place.
 */
import { chmodSync, chownSync, lstatSync, mkdirSync, renameSync, rmdirSync, rmSync, statSync, unlinkSync } from 'node:fs';
import { posix } from 'node:path';
import { FileError } from '../errors.ts';
import { errnoCode, errnoError, pathError } from '../util/fs-errors.ts';
import type { UidGid } from '../util/users.ts';
import type { HostPath } from './paths.ts';

interface MkdirOptions {
  makeParents: boolean;
  existOk: boolean;
  ids: UidGid | undefined;
}

function statOrUndefined(host: string): ReturnType<typeof statSync> | undefined {
  try {
    return statSync(host);
  } catch {
    return undefined;
  }
}

function mkdirOne(apiPath: string, perm: number, opts: MkdirOptions, hostPath: HostPath): void {
  const candidate = `${apiPath}.mkdir-new`;
  const hostCandidate = hostPath(candidate);
  try {
    mkdirSync(hostCandidate, { mode: perm });
  } catch (err) {
    if (errnoCode(err) !== 'EEXIST') throw pathError('mkdir', candidate, err);
  }
  try {
    if (opts.ids) chownSync(hostCandidate, opts.ids.uid, opts.ids.gid);
  } catch (err) {
    throw pathError('chown', candidate, err);
  }
  try {
    chmodSync(hostCandidate, perm);
  } catch (err) {
    throw pathError('chmod', candidate, err);
  }
  try {
    renameSync(hostCandidate, hostPath(apiPath));
  } catch (err) {
    throw new FileError('generic-file-error', `rename ${candidate} ${apiPath}: ${(err as Error).message}`, { cause: err });
  }
}

function mkdirAll(apiPath: string, perm: number, opts: MkdirOptions, hostPath: HostPath): void {
  const stats = statOrUndefined(hostPath(apiPath));
  if (stats) {
    if (stats.isDirectory()) return;
    throw pathError('mkdir', apiPath, errnoError('ENOTDIR'));
  }
  if (opts.makeParents) {
    const parent = posix.dirname(apiPath);
    if (parent !== '/') mkdirAll(parent, perm, opts, hostPath);
  }
  mkdirOne(apiPath, perm, opts, hostPath);
}

/** Pebble's osutil.Mkdir. */
export function mkdir(apiPath: string, perm: number, opts: MkdirOptions, hostPath: HostPath): void {
  const clean = posix.normalize(apiPath).replace(/(.)\/$/, '$1');
  const stats = statOrUndefined(hostPath(clean));
  if (stats) {
    if (!stats.isDirectory()) throw pathError('mkdir', clean, errnoError('ENOTDIR'));
    if (opts.existOk) return;
    throw pathError('mkdir', clean, errnoError('EEXIST'));
  }
  mkdirAll(clean, perm, opts, hostPath);
}

/** Remove one path (Go's os.Remove); recursive means rm -rf, where a missing path is fine. */
export function removePath(apiPath: string, recursive: boolean, hostPath: HostPath): void {
  const host = hostPath(apiPath);
  if (recursive) {
    try {
      rmSync(host, { recursive: true, force: true });
    } catch (err) {
      throw pathError('unlinkat', apiPath, err);
    }
    return;
  }
  try {
    if (lstatSync(host).isDirectory()) rmdirSync(host);
    else unlinkSync(host);
  } catch (err) {
    throw pathError('remove', apiPath, err);
  }
}
