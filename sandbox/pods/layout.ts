import path from 'node:path';
import { PodError } from './errors.ts';

/**
 * Where the pod layer keeps its state inside the sandbox state dir. Everything lives under
 * `<stateDir>/pods/`, which `destroySandbox` removes; the rest of the state dir is not ours.
 *
 *   pods/network.json              the bridge and subnet
 *   pods/hosts                     the /etc/hosts every pod sees (one file, bind-mounted into each)
 *   pods/hosts-extra.json          extra host entries the sandbox asked for
 *   pods/ns/<pod>.{mnt,uts,ipc}    namespace files (bind mounts of nsfs) keeping the namespaces alive
 *   pods/ns/<pod>.pid              the PID namespace's file (alive only while its init runs)
 *   pods/units/<pod>/init.pid      the host pid of that init (pod-init.py)
 *   pods/units/<pod>/pod.json      the pod record
 *   pods/units/<pod>/root/<path>   what the pod sees at <path>
 */
export function podsRoot(stateDir: string): string {
  if (!path.isAbsolute(stateDir)) {
    throw new PodError('pod-invalid-spec', `the sandbox state dir must be absolute: ${stateDir}`);
  }
  return path.join(path.resolve(stateDir), 'pods');
}

export const networkFile = (stateDir: string): string => path.join(podsRoot(stateDir), 'network.json');
export const hostsFile = (stateDir: string): string => path.join(podsRoot(stateDir), 'hosts');
export const hostsExtraFile = (stateDir: string): string =>
  path.join(podsRoot(stateDir), 'hosts-extra.json');
export const nsDir = (stateDir: string): string => path.join(podsRoot(stateDir), 'ns');
export const unitsDir = (stateDir: string): string => path.join(podsRoot(stateDir), 'units');
export const podDir = (stateDir: string, name: string): string => path.join(unitsDir(stateDir), name);
export const podRecordFile = (stateDir: string, name: string): string =>
  path.join(podDir(stateDir, name), 'pod.json');

export type NamespaceKind = 'mnt' | 'uts' | 'ipc';
export const NAMESPACE_KINDS: readonly NamespaceKind[] = ['mnt', 'uts', 'ipc'];

export const nsFile = (stateDir: string, name: string, kind: NamespaceKind): string =>
  path.join(nsDir(stateDir), `${name}.${kind}`);

/** The pod's PID namespace file: separate from the others, as it is made (and remade) with its init. */
export const pidNsFile = (stateDir: string, name: string): string => path.join(nsDir(stateDir), `${name}.pid`);
export const podInitPidFile = (stateDir: string, name: string): string => path.join(podDir(stateDir, name), 'init.pid');

/** The host directory a pod sees at `target` (an absolute path inside the pod). */
export function podSourcePath(stateDir: string, name: string, target: string): string {
  return path.join(podDir(stateDir, name), 'root', normaliseTarget(target));
}

/** Check a pod path is absolute, normalised and not `/` (mounting over `/` would hide the host). */
export function normaliseTarget(target: string): string {
  const normal = path.posix.normalize(target);
  if (!path.posix.isAbsolute(target) || normal === '/' || normal !== target.replace(/\/+$/, '')) {
    throw new PodError('pod-unsafe-path', `pod path ${JSON.stringify(target)} must be absolute, normalised and not /`);
  }
  return normal;
}

/** True when `inner` is `outer` or lies below it. */
export function isWithin(inner: string, outer: string): boolean {
  const rel = path.relative(outer, inner);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}
