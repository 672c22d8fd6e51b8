import type { Model, PortRange, Relation, Secret } from '../model/schema.ts';
import { localEndpoint, newStorageInstance } from '../model/topology.ts';
import { secretUri } from '../model/names.ts';
import type { HookContext } from './context.ts';
import { applyDelta, type Delta } from './pending.ts';
import { commitSecrets } from './secret-commit.ts';

/**
 * Applying a hook's pending changes to the model when it exits 0, and working out which hooks
 * that causes elsewhere: relation-changed for the units that can see a changed bucket,
 * secret-changed for consumers of a new revision, secret-remove for revisions nobody tracks,
 * <storage>-storage-attached for added storage.
 */

export type ModelEvent =
  | { kind: 'relation-changed'; hook: string; unit: string; relationId: number; remoteUnit: string | null; remoteApp: string }
  | { kind: 'secret-changed'; hook: 'secret-changed'; unit: string; secretId: string; label: string | null; revision: number }
  | { kind: 'secret-remove'; hook: 'secret-remove'; unit: string; secretId: string; label: string | null; revision: number }
  | { kind: 'leader-settings-changed'; hook: 'leader-settings-changed'; unit: string }
  | { kind: 'storage-attached'; hook: string; unit: string; storageId: string };

function sameMap(a: Record<string, string>, b: Record<string, string>): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => Object.hasOwn(b, k) && a[k] === b[k]);
}

/** Units that see `relation` from the other side of `writerApp` (other peers for a peer relation). */
function watchers(model: Model, relation: Relation, writerUnit: string, writerApp: string): string[] {
  const peer = relation.endpoints.length === 1;
  return relation.scope.filter((u) => u !== writerUnit && (peer || model.units[u]?.app !== writerApp));
}

function relationChangedEvents(model: Model, relation: Relation, writerUnit: string, writerApp: string, remoteUnit: string | null): ModelEvent[] {
  return watchers(model, relation, writerUnit, writerApp).map((unit) => {
    const endpoint = localEndpoint(relation, model.units[unit]?.app ?? '')?.name ?? relation.interface;
    return { kind: 'relation-changed', hook: `${endpoint}-relation-changed`, unit, relationId: relation.id, remoteUnit, remoteApp: writerApp };
  });
}

/**
 * Whether the leader gets `<peer>-relation-changed` for its own write to the peer application
 * bag. Juju's documentation (reference/hook, `<endpoint>-relation-changed`) says units only hear
 * of other units' changes, so the leader does not; but Juju 3.6 does run it on the leader of a
 * single-unit application, where it is the relation's only unit (juju/juju issue #20178, seen
 * on 3.6.8; Juju then documented it rather than change it). Charms such as s3-integrator rely on
 * it.
 */
function ownPeerAppChangeSeen(model: Model, relation: Relation, app: string): boolean {
  if (relation.endpoints.length !== 1) return false;
  return Object.values(model.units).filter((u) => u.app === app).length === 1;
}

function commitRelationSettings(ctx: HookContext, events: ModelEvent[]): void {
  const { model, unit } = ctx;
  const apply = (deltas: Map<number, Delta>, bucket: 'unitData' | 'appData', key: string, remoteUnit: string | null) => {
    for (const [id, delta] of deltas) {
      const relation = model.relations.find((r) => r.id === id);
      if (!relation) continue; // removed while the hook ran: its data went with it
      const before = relation[bucket][key] ?? {};
      const after = applyDelta(before, delta);
      if (sameMap(before, after)) continue;
      relation[bucket][key] = after;
      if (bucket === 'unitData' && !relation.scope.includes(unit.name)) continue; // nobody saw it join yet
      events.push(...relationChangedEvents(model, relation, unit.name, unit.app, remoteUnit));
      if (bucket === 'appData' && ownPeerAppChangeSeen(model, relation, unit.app)) {
        const hook = `${localEndpoint(relation, unit.app)?.name ?? relation.interface}-relation-changed`;
        events.push({ kind: 'relation-changed', hook, unit: unit.name, relationId: relation.id, remoteUnit: null, remoteApp: unit.app });
      }
    }
  };
  apply(ctx.pending.unitSettings, 'unitData', unit.name, unit.name);
  apply(ctx.pending.appSettings, 'appData', unit.app, null);
}

function samePorts(a: PortRange, b: PortRange): boolean {
  return a.protocol === b.protocol && a.from === b.from && a.to === b.to;
}

function commitPorts(ctx: HookContext): void {
  const unit = ctx.unit;
  for (const { open, range } of ctx.pending.ports) {
    if (open) {
      if (!unit.openedPorts.some((p) => p.endpoint === range.endpoint && samePorts(p, range))) unit.openedPorts.push(range);
    } else {
      // Closing for all endpoints ('') closes the range everywhere.
      unit.openedPorts = unit.openedPorts.filter((p) => !(samePorts(p, range) && (range.endpoint === '' || p.endpoint === range.endpoint)));
    }
  }
}

function commitStorage(ctx: HookContext, events: ModelEvent[]): void {
  for (const { name, count } of ctx.pending.storageAdds) {
    const def = ctx.app.charm.storage[name];
    if (!def) continue;
    for (let i = 0; i < count; i++) {
      const instance = newStorageInstance(ctx.app, name, def.type, ctx.unit.storageRoot);
      ctx.unit.storage.push(instance);
      events.push({ kind: 'storage-attached', hook: `${name}-storage-attached`, unit: ctx.unit.name, storageId: instance.id });
    }
  }
}

/** Who runs secret-remove for a secret: the owning unit, or the owning application's leader. */
function ownerUnit(model: Model, secret: Secret): string | null {
  if (secret.owner.kind === 'unit') return model.units[secret.owner.name] ? secret.owner.name : null;
  return model.applications[secret.owner.name]?.leader ?? null;
}

/**
 * secret-remove events for revisions that are neither the latest nor tracked by any consumer,
 * each reported once (Juju tells the owner so it can remove the revision).
 */
export function obsoleteRevisionEvents(model: Model, secretIds: Iterable<string>): ModelEvent[] {
  const events: ModelEvent[] = [];
  for (const id of secretIds) {
    const secret = model.secrets[id];
    if (!secret) continue;
    const latest = Math.max(...secret.revisions.map((r) => r.revision));
    const tracked = new Set(Object.values(secret.consumers).map((c) => c.revision));
    const owner = ownerUnit(model, secret);
    for (const revision of secret.revisions) {
      if (revision.revision === latest || tracked.has(revision.revision) || revision.obsoleteNotified || owner === null) continue;
      revision.obsoleteNotified = true;
      events.push({ kind: 'secret-remove', hook: 'secret-remove', unit: owner, secretId: secretUri(id), label: secret.label, revision: revision.revision });
    }
  }
  return events;
}

/**
 * Why the controller refuses this hook's changes, if it does: a follower's update of its
 * application's secret. Juju's uniter sends the queued update at commit; the secretsmanager
 * facade's updateSecret (apiserver/facades/agent/secretsmanager/secrets.go) asks CanManage
 * (apiserver/common/secrets/access.go), which wants a leadership token for an application's
 * secret, and the token check fails with core/leadership's NotLeaderError. The uniter facade's
 * CommitHookChanges prefixes "updating secrets: " and applies nothing else of the hook, and
 * HookContext.Flush returns the error, so the hook fails after its process exited 0.
 */
export function commitRefusal(ctx: HookContext): string | null {
  if (ctx.isLeader()) return null;
  for (const update of ctx.pending.secretUpdates.values()) {
    const secret = ctx.model.secrets[update.id];
    if (secret?.owner.kind === 'application' && secret.owner.name === ctx.unit.app) {
      return `updating secrets: ${JSON.stringify(ctx.unit.name)} is not leader of ${JSON.stringify(ctx.unit.app)}`;
    }
  }
  return null;
}

export function commitPending(ctx: HookContext): ModelEvent[] {
  const events: ModelEvent[] = [];
  commitRelationSettings(ctx, events);
  ctx.unit.state = applyDelta(ctx.unit.state, ctx.pending.state);
  commitPorts(ctx);
  commitStorage(ctx, events);
  const touched = commitSecrets(ctx, events);
  events.push(...obsoleteRevisionEvents(ctx.model, new Set([...touched, ...ctx.touchedSecrets])));
  return events;
}
