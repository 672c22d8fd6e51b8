import path from 'node:path';
import type { CharmMeta } from '../juju/model.ts';

/** Where Juju mounts storage in a Kubernetes charm container (and the model's default). */
export const JUJU_STORAGE_ROOT = '/var/lib/juju/storage';

/**
 * Where each of a charm's storages lives in its unit's pod, which is what storage-get reports:
 * the workload container's mount of it (pgdata → /var/lib/postgresql/data), else the storage's
 * own `location`, else a directory under Juju's storage root. In the sandbox the charm and the
 * workload share one pod, so the charm finds the data where the workload writes it.
 */
export function storageLocations(charm: Pick<CharmMeta, 'storage' | 'containers'>): Record<string, string> {
  const mounts = Object.values(charm.containers).flatMap((c) => c.mounts);
  const result: Record<string, string> = {};
  for (const [name, def] of Object.entries(charm.storage)) {
    const candidates = [mounts.find((m) => m.storage === name && m.location !== undefined)?.location, def.location];
    result[name] = candidates.find((c): c is string => c !== undefined && isPodPath(c)) ?? `${JUJU_STORAGE_ROOT}/${name}`;
  }
  return result;
}

/** Absolute, normalised and not `/`: a path the pod can have a directory of its own at. */
function isPodPath(location: string): boolean {
  return path.posix.isAbsolute(location) && location !== '/' && path.posix.normalize(location) === location.replace(/\/+$/, '');
}
