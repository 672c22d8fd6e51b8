import type { Secret, SecretGrant } from '../model/schema.ts';
import type { HookContext } from './context.ts';
import { HookToolRunError } from './errors.ts';

/**
 * The secret rules hook tools share (Juju's HookContext secret methods): what this unit owns
 * (including secrets created or changed earlier in the same hook), who may manage them, and
 * which revision a read returns — the owner always the latest; a consumer the revision it is
 * pinned to, pinning the latest on first read, `--peek` reading the latest once and
 * `--refresh` re-pinning.
 */

export interface OwnedSecret {
  id: string;
  owner: Secret['owner'];
  label: string | null;
  description: string | null;
  rotatePolicy: Secret['rotatePolicy'];
  expireTime: string | null;
  nextRotateTime: string | null;
  latestRevision: number;
  grants: SecretGrant[];
}

export function latestRevision(secret: Secret): number {
  return Math.max(...secret.revisions.map((r) => r.revision));
}

export function ownsSecret(ctx: HookContext, owner: Secret['owner']): boolean {
  return owner.kind === 'application' ? owner.name === ctx.unit.app : owner.name === ctx.unit.name;
}

/** Application-owned secrets are managed by the leader only. */
export function requireManage(ctx: HookContext, owner: Secret['owner']): void {
  if (owner.kind === 'application') ctx.requireLeader();
}

/** Secrets this unit (or its application) owns, as this hook sees them. */
export function ownedSecrets(ctx: HookContext): Map<string, OwnedSecret> {
  const { pending } = ctx;
  const result = new Map<string, OwnedSecret>();
  for (const { content: _content, ...create } of pending.secretCreates.values()) {
    result.set(create.id, { ...create, nextRotateTime: null, latestRevision: 1, grants: [] });
  }
  for (const secret of Object.values(ctx.model.secrets)) {
    if (!ownsSecret(ctx, secret.owner) || pending.secretRemovals.get(secret.id) === 'all') continue;
    const update = pending.secretUpdates.get(secret.id);
    result.set(secret.id, {
      id: secret.id,
      owner: secret.owner,
      label: update?.label ?? secret.label,
      description: update?.description ?? secret.description,
      rotatePolicy: update?.rotatePolicy ?? secret.rotatePolicy,
      expireTime: update?.expireTime ?? secret.expireTime,
      nextRotateTime: secret.nextRotateTime,
      latestRevision: latestRevision(secret),
      grants: [...secret.grants],
    });
  }
  for (const { id, grant } of pending.secretGrants) result.get(id)?.grants.push(grant);
  for (const { id, target } of pending.secretRevokes) {
    const owned = result.get(id);
    if (owned) owned.grants = owned.grants.filter((g) => g.target !== target);
  }
  return result;
}

export function findOwnedByLabel(ctx: HookContext, label: string): OwnedSecret | undefined {
  return [...ownedSecrets(ctx).values()].find((s) => s.label === label);
}

/** Labels are unique per owner. */
export function checkLabelFree(ctx: HookContext, label: string, exceptId?: string): void {
  const clash = [...ownedSecrets(ctx).values()].find((s) => s.label === label && s.id !== exceptId);
  if (clash) throw new HookToolRunError(`secret with label ${JSON.stringify(label)} already exists`);
}

function hasAccess(ctx: HookContext, secret: Secret): boolean {
  const relationIds = new Set(ctx.model.relations.map((r) => r.id));
  return secret.grants.some(
    (g) => relationIds.has(g.relationId) && ((g.targetKind === 'application' && g.target === ctx.unit.app) || g.target === ctx.unit.name),
  );
}

export interface ReadRequest {
  id?: string;
  label?: string;
  peek: boolean;
  refresh: boolean;
}

function revisionContent(secret: Secret, revision: number): Record<string, string> {
  const found = secret.revisions.find((r) => r.revision === revision);
  if (!found) throw new HookToolRunError(`secret revision ${revision} for ${JSON.stringify(secret.id)} not found`);
  return found.content;
}

/**
 * A unit of the owning application that reads an application-owned secret (the leader too: the
 * owner is the application, not the unit) is recorded as tracking it, with revision 0 and no
 * label, so that it gets secret-changed for each new revision; it always reads the latest, with
 * or without --peek/--refresh. Juju 3.6's SecretsManagerAPI.getSecretContent (juju/juju
 * apiserver/facades/agent/secretsmanager/secrets.go) does this through
 * ensureConsumerMetadataForAppOwnedSecretsForPeerUnits ("a fake consumer doc for triggering
 * secret-changed event for uniter"). A unit-owned secret's owner is not tracked.
 */
function trackOwnApplicationSecret(ctx: HookContext, secret: Secret): void {
  if (secret.owner.kind !== 'application' || secret.consumers[ctx.unit.name]) return;
  secret.consumers[ctx.unit.name] = { revision: 0, label: null };
  ctx.changedImmediately();
}

/** secret-get: the base64-encoded content this unit sees, applying pin/peek/refresh and labels. */
export function readSecret(ctx: HookContext, request: ReadRequest): Record<string, string> {
  const { pending } = ctx;
  // Content created or (with --peek/--refresh) updated earlier in this hook is not stored yet.
  for (const create of pending.secretCreates.values()) {
    if (create.id === request.id || (request.id === undefined && request.label !== undefined && create.label === request.label)) {
      if (request.id !== undefined && request.label !== undefined) create.label = request.label;
      return create.content;
    }
  }
  let id = request.id;
  if (id === undefined && request.label !== undefined) {
    id = findOwnedByLabel(ctx, request.label)?.id;
    id ??= Object.values(ctx.model.secrets).find((s) => s.consumers[ctx.unit.name]?.label === request.label)?.id;
    // Neither its application's label nor one it gave as a consumer: Juju's getSecretContent
    // (apiserver/facades/agent/secretsmanager/secrets.go) answers NotFoundf("consumer label %q").
    if (id === undefined) throw new HookToolRunError(`consumer label ${JSON.stringify(request.label)} not found`);
  }
  const secret = id === undefined ? undefined : ctx.model.secrets[id];
  if (!secret || pending.secretRemovals.get(secret.id) === 'all') throw new HookToolRunError(`secret ${JSON.stringify(id)} not found`);

  if (ownsSecret(ctx, secret.owner)) {
    // Juju's updateLabelForAppOwnedOrUnitOwnedSecret: a URI and a label relabel the secret only
    // for its owner (the leader for an application's secret); a follower's label is ignored.
    const mayRelabel = secret.owner.kind === 'unit' || ctx.isLeader();
    if (mayRelabel && request.id !== undefined && request.label !== undefined && request.label !== (pending.secretUpdates.get(secret.id)?.label ?? secret.label)) {
      checkLabelFree(ctx, request.label, secret.id);
      const update = pending.secretUpdates.get(secret.id) ?? { id: secret.id };
      pending.secretUpdates.set(secret.id, { ...update, label: request.label });
    }
    const updated = pending.secretUpdates.get(secret.id)?.content;
    if (updated && (request.peek || request.refresh)) return updated;
    trackOwnApplicationSecret(ctx, secret);
    return revisionContent(secret, latestRevision(secret));
  }

  if (!hasAccess(ctx, secret)) throw new HookToolRunError('permission denied');
  const latest = latestRevision(secret);
  const consumer = secret.consumers[ctx.unit.name];
  let revision: number;
  if (request.peek) {
    revision = latest;
  } else if (request.refresh || !consumer) {
    revision = latest;
    secret.consumers[ctx.unit.name] = { revision, label: request.label ?? consumer?.label ?? null };
    ctx.touchedSecrets.add(secret.id);
    ctx.changedImmediately();
  } else {
    revision = consumer.revision;
  }
  const record = secret.consumers[ctx.unit.name];
  if (record && request.label !== undefined && record.label !== request.label) {
    record.label = request.label;
    ctx.changedImmediately();
  }
  return revisionContent(secret, revision);
}

export function decodeContent(content: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(content).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]));
}
