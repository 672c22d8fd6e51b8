/**
 * Node's fs errors rendered the way Go's *os.PathError prints them ("stat /x: no such file or
 * directory"), with the API path the client used rather than the host path under rootDir, and
 * classified into the files API's error kinds.
 */
import { FileError, type ErrorKind } from '../errors.ts';

const STRERROR: Record<string, string> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EEXIST: 'file exists',
  ENOTDIR: 'not a directory',
  EISDIR: 'is a directory',
  ENOTEMPTY: 'directory not empty',
  ELOOP: 'too many levels of symbolic links',
  ENAMETOOLONG: 'file name too long',
  EINVAL: 'invalid argument',
  EBUSY: 'device or resource busy',
  EXDEV: 'invalid cross-device link',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on device',
};

export function errnoCode(err: unknown): string | undefined {
  if (typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string') return err.code;
  return undefined;
}

export function kindForCode(code: string | undefined): ErrorKind {
  if (code === 'EACCES' || code === 'EPERM') return 'permission-denied';
  if (code === 'ENOENT') return 'not-found';
  return 'generic-file-error';
}

export function strerror(err: unknown): string {
  const code = errnoCode(err);
  if (code && STRERROR[code]) return STRERROR[code];
  return err instanceof Error ? err.message : String(err);
}

/** `<op> <path>: <strerror>` as a FileError of the matching kind. */
export function pathError(op: string, apiPath: string, err: unknown): FileError {
  return new FileError(kindForCode(errnoCode(err)), `${op} ${apiPath}: ${strerror(err)}`, { cause: err });
}

/** A synthetic errno error (for conditions we detect ourselves, like Go's Mkdir does). */
export function errnoError(code: string): NodeJS.ErrnoException {
  const err: NodeJS.ErrnoException = new Error(STRERROR[code] ?? code);
  err.code = code;
  return err;
}
