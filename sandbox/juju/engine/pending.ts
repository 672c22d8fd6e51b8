import type { PortRange, Secret, SecretGrant } from '../model/schema.ts';

/**
 * What a hook changed that Juju applies only if the hook exits 0
 * (docs/hook-tools.md#what-a-failed-hook-undoes). Relation settings and unit state are deltas
 * (null = delete) so that a commit merges into whatever other units wrote meanwhile instead of
 * overwriting it.
 */

export type Delta = Map<string, string | null>;

export interface PendingSecretCreate {
  id: string;
  owner: Secret['owner'];
  label: string | null;
  description: string | null;
  rotatePolicy: Secret['rotatePolicy'];
  expireTime: string | null;
  /** base64-encoded values. */
  content: Record<string, string>;
}

export interface PendingSecretUpdate {
  id: string;
  label?: string;
  description?: string;
  rotatePolicy?: NonNullable<Secret['rotatePolicy']>;
  expireTime?: string;
  /** base64-encoded values; only present when the content differs from the latest revision. */
  content?: Record<string, string>;
}

export interface PendingChanges {
  unitSettings: Map<number, Delta>;
  appSettings: Map<number, Delta>;
  state: Delta;
  ports: Array<{ open: boolean; range: PortRange }>;
  storageAdds: Array<{ name: string; count: number }>;
  secretCreates: Map<string, PendingSecretCreate>;
  secretUpdates: Map<string, PendingSecretUpdate>;
  /** 'all' removes the secret; otherwise the listed revisions. */
  secretRemovals: Map<string, 'all' | Set<number>>;
  secretGrants: Array<{ id: string; grant: SecretGrant }>;
  secretRevokes: Array<{ id: string; target: string }>;
}

export function emptyPending(): PendingChanges {
  return {
    unitSettings: new Map(),
    appSettings: new Map(),
    state: new Map(),
    ports: [],
    storageAdds: [],
    secretCreates: new Map(),
    secretUpdates: new Map(),
    secretRemovals: new Map(),
    secretGrants: [],
    secretRevokes: [],
  };
}

/** `base` with `delta` applied. */
export function applyDelta(base: Record<string, string>, delta: Delta | undefined): Record<string, string> {
  const result = { ...base };
  for (const [key, value] of delta ?? []) {
    if (value === null) delete result[key];
    else result[key] = value;
  }
  return result;
}

/** Record `changes` (empty string = delete, as relation-set and leader-set define it). */
export function recordDelta(delta: Delta, changes: Record<string, string>, emptyDeletes: boolean): void {
  for (const [key, value] of Object.entries(changes)) delta.set(key, emptyDeletes && value === '' ? null : value);
}
