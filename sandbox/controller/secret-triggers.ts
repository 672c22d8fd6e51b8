import { z } from 'zod';
import type { Model, Secret } from '../juju/model.ts';
import { secretUri } from '../juju/model.ts';
import { type HookEvent, hookEvent } from './queued-event.ts';

/**
 * The owner's secret-rotate and secret-expired hooks, as Juju 3.6's workers fire them:
 *
 * * worker/secretsrotate (Worker.rotate): a secret whose next rotate time is not after now is
 *   sent once for rotation and forgotten until the rotation is recorded. After the hook the
 *   uniter calls SecretsRotated (apiserver/facades/agent/secretsmanager/secrets.go): the next
 *   rotation is the policy's period after the last rotate time, or RotateRetryDelay (5 minutes,
 *   core/secrets) after it when the hook added no revision, or when the latest revision expires
 *   before the next rotation and the retry comes first.
 * * worker/secretexpire (Worker.expire): a revision whose expire time, truncated to the minute,
 *   is before now is sent for expiry and requeued ExpireRetryDelay (5 minutes) later, "until it
 *   does" remove the revision; a changed expire time starts over.
 *
 * Both go to the owner: the owning unit, or the leader of the owning application (only the
 * leader may watch an application's secrets, WatchSecretsRotationChanges). The secret's label is
 * the owner's (contextFactory.HookContext fills it from the owner's metadata); secret-expired
 * carries JUJU_SECRET_REVISION.
 *
 * The next rotate time lives in the model (Juju keeps it in the secret's rotation document), so
 * a restarted daemon fires secret-rotate when it falls due, not a period after the restart. What
 * is in flight (a rotation queued, with the revision it saw; each expiry's next trigger) is saved
 * with the controller's queues (state()), so that a hook restored from the queue is not queued a
 * second time and a rotation still knows whether the hook added a revision.
 *
 * `now` is injectable and `check()` public, so a test can move time on instead of waiting.
 */

export const ROTATE_RETRY_DELAY_MS = 5 * 60_000;
export const EXPIRE_RETRY_DELAY_MS = 5 * 60_000;

const HOUR_MS = 3_600_000;
/** core/secrets RotatePolicy.NextRotateTime's periods. */
export const ROTATE_PERIOD_MS: Record<NonNullable<Secret['rotatePolicy']>, number> = {
  never: Number.POSITIVE_INFINITY,
  hourly: HOUR_MS,
  daily: 24 * HOUR_MS,
  weekly: 7 * 24 * HOUR_MS,
  monthly: 30 * 24 * HOUR_MS,
  quarterly: 90 * 24 * HOUR_MS,
  yearly: 365 * 24 * HOUR_MS,
};

const ExpiryStateSchema = z.object({
  /** The revision's expire time this state was made for; a change starts over. */
  expireTime: z.string(),
  nextTriggerMs: z.number(),
});
type ExpiryState = z.infer<typeof ExpiryStateSchema>;

export const SecretTriggerStateSchema = z.object({
  /** Secret id → its latest revision when secret-rotate was queued (until the hook ran). */
  rotating: z.record(z.string(), z.number().int()).default({}),
  /** `<secret id>/<revision>` → when secret-expired fires next for it. */
  expiring: z.record(z.string(), ExpiryStateSchema).default({}),
});
export type SecretTriggerState = z.infer<typeof SecretTriggerStateSchema>;

export interface SecretTriggerOptions {
  model: Model;
  enqueue: (event: HookEvent) => void;
  now?: () => Date;
  /** What an earlier controller saved (state()). */
  restored?: SecretTriggerState;
}

export class SecretTriggers {
  private readonly rotating: Map<string, number>;
  private readonly expiring: Map<string, ExpiryState>;

  constructor(private readonly options: SecretTriggerOptions) {
    this.rotating = new Map(Object.entries(options.restored?.rotating ?? {}));
    this.expiring = new Map(Object.entries(options.restored?.expiring ?? {}).map(([k, v]) => [k, { ...v }]));
  }

  /** What is in flight, to be saved with the controller's queues. */
  state(): SecretTriggerState {
    return { rotating: Object.fromEntries(this.rotating), expiring: Object.fromEntries([...this.expiring].map(([k, v]) => [k, { ...v }])) };
  }

  now(): Date {
    return this.options.now?.() ?? new Date();
  }

  /** The owner who gets the secret's hooks, if it is alive. */
  private ownerUnit(secret: Secret): string | null {
    const { model } = this.options;
    const unit = secret.owner.kind === 'unit' ? secret.owner.name : (model.applications[secret.owner.name]?.leader ?? null);
    return unit !== null && model.units[unit]?.life === 'alive' ? unit : null;
  }

  /** Queue the hooks that are due now. */
  check(): void {
    const nowMs = this.now().getTime();
    const seen = new Set<string>();
    for (const secret of Object.values(this.options.model.secrets)) {
      const owner = this.ownerUnit(secret);
      const label = secret.label ?? undefined;
      if (secret.rotatePolicy && secret.rotatePolicy !== 'never' && secret.nextRotateTime && !this.rotating.has(secret.id) && owner !== null) {
        if (Date.parse(secret.nextRotateTime) <= nowMs) {
          this.rotating.set(secret.id, latestRevision(secret));
          this.options.enqueue(hookEvent(owner, 'secret-rotate', { secretId: secretUri(secret.id), secretLabel: label }));
        }
      }
      for (const revision of secret.revisions) {
        if (revision.expireTime === null) continue;
        const key = `${secret.id}/${revision.revision}`;
        seen.add(key);
        let state = this.expiring.get(key);
        if (state?.expireTime !== revision.expireTime) {
          // "A one minute granularity is acceptable for secret expiry."
          state = { expireTime: revision.expireTime, nextTriggerMs: truncateToMinute(Date.parse(revision.expireTime)) };
          this.expiring.set(key, state);
        }
        if (owner === null || state.nextTriggerMs >= nowMs) continue;
        state.nextTriggerMs += EXPIRE_RETRY_DELAY_MS;
        this.options.enqueue(hookEvent(owner, 'secret-expired', { secretId: secretUri(secret.id), secretLabel: label, secretRevision: revision.revision }));
      }
    }
    for (const key of this.expiring.keys()) if (!seen.has(key)) this.expiring.delete(key);
    for (const id of this.rotating.keys()) if (!this.options.model.secrets[id]) this.rotating.delete(id);
  }

  /** After a hook: a finished secret-rotate records the rotation (SecretsRotated). */
  afterHook(event: HookEvent, ok: boolean): void {
    if (event.hook !== 'secret-rotate' || !ok || event.secretId === undefined) return;
    const id = event.secretId.replace(/^secret:/, '');
    const queuedWith = this.rotating.get(id);
    this.rotating.delete(id);
    const secret = this.options.model.secrets[id];
    if (!secret?.rotatePolicy || secret.rotatePolicy === 'never') return;
    // Queued before the in-flight state was saved: the revision it saw is unknown, so count it as not rotated.
    const original = queuedWith ?? latestRevision(secret);
    const lastMs = secret.nextRotateTime === null ? this.now().getTime() : Date.parse(secret.nextRotateTime);
    let nextMs = lastMs + ROTATE_PERIOD_MS[secret.rotatePolicy];
    const forcedMs = lastMs + ROTATE_RETRY_DELAY_MS;
    const latest = secret.revisions.find((r) => r.revision === latestRevision(secret));
    const expiresMs = latest?.expireTime ? Date.parse(latest.expireTime) : null;
    const willExpire = expiresMs !== null && expiresMs < nextMs;
    if ((willExpire && forcedMs < expiresMs) || latestRevision(secret) === original) nextMs = forcedMs;
    secret.nextRotateTime = new Date(nextMs).toISOString();
  }
}

function latestRevision(secret: Secret): number {
  return Math.max(...secret.revisions.map((r) => r.revision));
}

function truncateToMinute(ms: number): number {
  return ms - (((ms % 60_000) + 60_000) % 60_000);
}
