/**
 * The files API sees a container filesystem rooted at rootDir. API paths are absolute paths in
 * that filesystem; `..` cannot climb above the root.
 */
import { posix } from 'node:path';

export type HostPath = (apiPath: string) => string;

export function makeHostPath(rootDir: string): HostPath {
  const root = posix.resolve(rootDir);
  return (apiPath: string) => {
    const clean = posix.resolve('/', apiPath);
    return root === '/' ? clean : posix.join(root, clean);
  };
}

/** Go's path.IsAbs. */
export const isAbsolute = (p: string): boolean => p.startsWith('/');

export function nonAbsoluteMessage(p: string): string {
  return `paths must be absolute, got ${JSON.stringify(p)}`;
}
