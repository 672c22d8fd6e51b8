import type { Secret } from '../model/schema.ts';
import { secretUri } from '../model/names.ts';
import type { ModelEvent } from './commit.ts';
import type { HookContext } from './context.ts';
import type { PendingSecretUpdate } from './pending.ts';

/**
 * Applying a hook's secret changes: creates, updates (one new revision per hook however many
 * secret-set calls it made), removals, grants and revokes. Consumers pinned to an older
 * revision are told with secret-changed. Returns the ids whose revisions changed.
 */

const ROTATE_PERIOD_HOURS: Record<string, number> = {
  hourly: 1,
  daily: 24,
  weekly: 24 * 7,
  monthly: 24 * 30,
  quarterly: 24 * 90,
  yearly: 24 * 365,
};

function nextRotateTime(policy: Secret['rotatePolicy'], from: Date): string | null {
  const hours = policy ? ROTATE_PERIOD_HOURS[policy] : undefined;
  return hours === undefined ? null : new Date(from.getTime() + hours * 3_600_000).toISOString();
}

function applyUpdate(ctx: HookContext, secret: Secret, update: PendingSecretUpdate, events: ModelEvent[]): boolean {
  const now = ctx.now();
  if (update.label !== undefined) secret.label = update.label;
  if (update.description !== undefined) secret.description = update.description;
  if (update.expireTime !== undefined) secret.expireTime = update.expireTime;
  if (update.rotatePolicy !== undefined && update.rotatePolicy !== secret.rotatePolicy) {
    secret.rotatePolicy = update.rotatePolicy;
    secret.nextRotateTime = nextRotateTime(update.rotatePolicy, now);
  }
  if (!update.content) {
    // --expire without new content sets the latest revision's expiry.
    const latest = secret.revisions.find((r) => r.revision === Math.max(...secret.revisions.map((x) => x.revision)));
    if (latest && update.expireTime !== undefined) latest.expireTime = update.expireTime;
    return false;
  }
  const revision = Math.max(...secret.revisions.map((r) => r.revision)) + 1;
  secret.revisions.push({ revision, content: update.content, createdAt: now.toISOString(), obsoleteNotified: false, expireTime: update.expireTime ?? null });
  for (const [unit, consumer] of Object.entries(secret.consumers)) {
    const unitApp = ctx.model.units[unit]?.app;
    if (consumer.revision >= revision || unitApp === undefined) continue;
    // Juju's getSecretConsumerInfo (apiserver/facades/agent/secretsmanager/secrets.go): the
    // consumer's own label, else, for a unit of the owning application, the owner's label.
    const ownApp = secret.owner.kind === 'application' ? secret.owner.name === unitApp : secret.owner.name === unit;
    const label = consumer.label ?? (ownApp ? secret.label : null);
    events.push({ kind: 'secret-changed', hook: 'secret-changed', unit, secretId: secretUri(secret.id), label, revision });
  }
  return true;
}

export function commitSecrets(ctx: HookContext, events: ModelEvent[]): Set<string> {
  const { model, pending } = ctx;
  const touched = new Set<string>();
  const now = ctx.now().toISOString();
  for (const create of pending.secretCreates.values()) {
    model.secrets[create.id] = {
      id: create.id,
      owner: create.owner,
      label: create.label,
      description: create.description,
      rotatePolicy: create.rotatePolicy,
      expireTime: create.expireTime,
      nextRotateTime: nextRotateTime(create.rotatePolicy, ctx.now()),
      revisions: [{ revision: 1, content: create.content, createdAt: now, obsoleteNotified: false, expireTime: create.expireTime }],
      grants: [],
      consumers: {},
      createdAt: now,
    };
  }
  for (const update of pending.secretUpdates.values()) {
    const secret = model.secrets[update.id];
    if (secret && applyUpdate(ctx, secret, update, events)) touched.add(secret.id);
  }
  for (const { id, grant } of pending.secretGrants) {
    const secret = model.secrets[id];
    if (!secret || !model.relations.some((r) => r.id === grant.relationId)) continue;
    if (!secret.grants.some((g) => g.target === grant.target && g.relationId === grant.relationId)) secret.grants.push(grant);
  }
  for (const { id, target } of pending.secretRevokes) {
    const secret = model.secrets[id];
    if (secret) secret.grants = secret.grants.filter((g) => g.target !== target);
  }
  for (const [id, which] of pending.secretRemovals) {
    const secret = model.secrets[id];
    if (!secret) continue;
    if (which !== 'all') secret.revisions = secret.revisions.filter((r) => !which.has(r.revision));
    if (which === 'all' || secret.revisions.length === 0) delete model.secrets[id];
  }
  return touched;
}
