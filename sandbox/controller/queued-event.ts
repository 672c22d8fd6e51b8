import { z } from 'zod';
import type { HookEnv } from '../juju/engine/index.ts';

/**
 * One thing a unit agent has to run: a hook with the JUJU_* values that describe it, or an
 * action. Plain data (zod-checked) because unit queues are saved with the controller's state
 * and reloaded after a restart.
 */

export const HookEventSchema = z.object({
  kind: z.literal('hook'),
  unit: z.string(),
  hook: z.string(),
  relationId: z.number().int().nonnegative().optional(),
  /** The unit's own endpoint name (JUJU_RELATION), fixed when the hook is queued. */
  relationName: z.string().optional(),
  remoteUnit: z.string().optional(),
  remoteApp: z.string().optional(),
  departingUnit: z.string().optional(),
  storageId: z.string().optional(),
  workloadName: z.string().optional(),
  noticeId: z.string().optional(),
  noticeType: z.string().optional(),
  noticeKey: z.string().optional(),
  checkName: z.string().optional(),
  secretId: z.string().optional(),
  secretLabel: z.string().optional(),
  secretRevision: z.number().int().positive().optional(),
});
export type HookEvent = z.infer<typeof HookEventSchema>;

export const ActionEventSchema = z.object({
  kind: z.literal('action'),
  unit: z.string(),
  actionId: z.string(),
  name: z.string(),
});
export type ActionEvent = z.infer<typeof ActionEventSchema>;

export const QueuedEventSchema = z.discriminatedUnion('kind', [HookEventSchema, ActionEventSchema]);
export type QueuedEvent = z.infer<typeof QueuedEventSchema>;

/** A hook event for `unit`; `fields` are the event-specific values. */
export function hookEvent(unit: string, hook: string, fields: Omit<HookEvent, 'kind' | 'unit' | 'hook'> = {}): HookEvent {
  return { kind: 'hook', unit, hook, ...fields };
}

/** `hooks/<hook>` or `actions/<action>` (JUJU_DISPATCH_PATH). */
export function dispatchPath(event: QueuedEvent): string {
  return event.kind === 'hook' ? `hooks/${event.hook}` : `actions/${event.name}`;
}

/** A short human label: `db-relation-changed (client/0)`, `action backup (#3)`. */
export function describeEvent(event: QueuedEvent): string {
  if (event.kind === 'action') return `action ${event.name} (#${event.actionId})`;
  const subject = event.remoteUnit ?? event.storageId ?? event.workloadName ?? event.secretId ?? event.remoteApp;
  return subject ? `${event.hook} (${subject})` : event.hook;
}

/** The values the hook-tool engine needs to answer this dispatch's tools. */
export function hookEnvOf(event: QueuedEvent): HookEnv {
  if (event.kind === 'action') return { unit: event.unit, hookName: '', actionId: event.actionId };
  return {
    unit: event.unit,
    hookName: event.hook,
    relationId: event.relationId,
    remoteUnit: event.remoteUnit,
    remoteApp: event.remoteApp,
    departingUnit: event.departingUnit,
    storageId: event.storageId,
    workloadName: event.workloadName,
    secretId: event.secretId,
    secretLabel: event.secretLabel,
    secretRevision: event.secretRevision,
  };
}

const COALESCED_HOOKS = new Set(['config-changed', 'update-status', 'leader-settings-changed', 'upgrade-charm']);

/**
 * Juju coalesces some pending hooks: a second config-changed (or relation-changed for the same
 * remote unit, secret-changed for the same secret...) while one is still queued adds nothing,
 * because the queued one reads the latest state when it runs. Returns the key identical pending
 * hooks share, or null when every occurrence must run.
 */
export function coalesceKey(event: QueuedEvent): string | null {
  if (event.kind === 'action') return null;
  if (COALESCED_HOOKS.has(event.hook)) return event.hook;
  if (event.hook.endsWith('-relation-changed')) return `${event.hook}|${event.relationId}|${event.remoteUnit ?? ''}`;
  if (event.hook === 'secret-changed') return `secret-changed|${event.secretId}`;
  return null;
}
