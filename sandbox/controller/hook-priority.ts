import type { QueuedEvent } from './queued-event.ts';

/**
 * Which of a unit's pending events its agent runs next, in the order Juju 3.6's uniter resolver
 * asks its resolvers (juju/juju, internal/worker/uniter/resolver.go, uniterResolver.NextOp and
 * nextOp): created relations, leadership, the optional (workload/Pebble) resolvers, secrets,
 * actions, storage; then a queued hook (`start` after config-changed, runhook.go Commit); then,
 * when idle, install, config-changed, the relation hooks and update-status. A dying unit runs its
 * relation hooks before `stop` and `remove` (nextOp's life.Dying case).
 *
 * A gate and a shared class keep what the resolvers would not yet offer from overtaking: nothing but storage runs
 * before `install` (the leadership, created-relations and workload resolvers wait for
 * localState.Installed; storage "runs at least once, before anything else"), and install,
 * config-changed and `start` share a class, so `start` still follows the config-changed queued
 * before it. Events of one class run first in, first out.
 */

export const HookClass = {
  RelationCreated: 0,
  Leadership: 1,
  Workload: 2,
  Secret: 3,
  Action: 4,
  Storage: 5,
  Lifecycle: 6,
  Relation: 7,
  Teardown: 8,
  UpdateStatus: 9,
} as const;
export type HookClass = (typeof HookClass)[keyof typeof HookClass];

const WORKLOAD_SUFFIXES = ['-pebble-ready', '-pebble-custom-notice', '-pebble-check-failed', '-pebble-check-recovered', '-pebble-change-updated'];

export function hookClass(event: QueuedEvent): HookClass {
  if (event.kind === 'action') return HookClass.Action;
  const hook = event.hook;
  if (hook.endsWith('-relation-created')) return HookClass.RelationCreated;
  if (hook === 'leader-elected' || hook === 'leader-settings-changed' || hook === 'leader-deposed') return HookClass.Leadership;
  if (WORKLOAD_SUFFIXES.some((s) => hook.endsWith(s))) return HookClass.Workload;
  if (hook.startsWith('secret-')) return HookClass.Secret;
  if (hook.endsWith('-storage-attached') || hook.endsWith('-storage-detaching')) return HookClass.Storage;
  if (/-relation-(joined|changed|departed|broken)$/.test(hook)) return HookClass.Relation;
  if (hook === 'stop' || hook === 'remove') return HookClass.Teardown;
  if (hook === 'update-status') return HookClass.UpdateStatus;
  return HookClass.Lifecycle; // install, config-changed, start, upgrade-charm and anything else
}

/**
 * The index of the event a unit runs next among `events` (its pending events, oldest first),
 * or -1 when there are none.
 */
export function nextEventIndex(events: readonly QueuedEvent[]): number {
  let best = -1;
  let bestClass = Number.POSITIVE_INFINITY;
  for (let i = 0; i < events.length; i++) {
    const event = events[i]!;
    const cls = hookClass(event);
    if (cls >= bestClass) continue;
    if (blockedByEarlier(events, i, cls)) continue;
    best = i;
    bestClass = cls;
  }
  return best;
}

function blockedByEarlier(events: readonly QueuedEvent[], index: number, cls: HookClass): boolean {
  for (let j = 0; j < index; j++) {
    const earlier = events[j]!;
    if (earlier.kind !== 'hook') continue;
    // Only storage hooks run before install.
    if (earlier.hook === 'install' && cls !== HookClass.Storage) return true;
  }
  return false;
}
