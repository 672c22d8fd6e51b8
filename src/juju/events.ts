import type { DispatchContext } from './context.ts';
import type { LifecycleHook, RelationHook, SecretHook, StorageHook } from './dispatch-path.ts';
import type { CharmMetadata, EndpointSpec } from './metadata.ts';
import type { RelationRef } from './relation-ref.ts';

/**
 * The typed event one dispatch delivers. `kind` is the hook name without its entity prefix
 * (`relation-changed`, `pebble-ready`, …) or `action`; the entity (endpoint, storage, container,
 * action) is a field, so handlers can register for e.g. `relation-changed` on `database-peers`.
 */
export type CharmEvent =
  | LifecycleEvent
  | SeriesUpgradeEvent
  | RelationEvent
  | SecretEvent
  | StorageEvent
  | PebbleReadyEvent
  | PebbleCustomNoticeEvent
  | PebbleCheckEvent
  | ActionEvent
  | UnknownEvent;

export type CharmEventKind = CharmEvent['kind'];
export type EventOfKind<K extends CharmEventKind> = Extract<CharmEvent, { kind: K }>;

type SeriesUpgradeHook = 'pre-series-upgrade' | 'post-series-upgrade';

/** Hooks that carry nothing beyond their name. */
export type LifecycleEvent = { [K in Exclude<LifecycleHook, SeriesUpgradeHook>]: { kind: K } }[Exclude<
  LifecycleHook,
  SeriesUpgradeHook
>];

export type SeriesUpgradeEvent = {
  [K in SeriesUpgradeHook]: { kind: K; targetBase?: string; targetSeries?: string };
}[SeriesUpgradeHook];

export type RelationEvent = {
  [K in RelationHook]: {
    kind: K;
    endpoint: string;
    role: EndpointSpec['role'];
    interface: string;
    relation: RelationRef;
    /** Undefined only if Juju sent neither JUJU_REMOTE_APP nor JUJU_REMOTE_UNIT. */
    remoteApp: string | undefined;
    /** Set in -joined, -changed, -departed. */
    remoteUnit: string | undefined;
    /** Set in -departed only; may be this unit. */
    departingUnit: string | undefined;
  };
}[RelationHook];

export type SecretEvent = {
  [K in SecretHook]: { kind: K; secretId: string; label?: string; revision?: number };
}[SecretHook];

export type StorageEvent = {
  [K in StorageHook]: {
    kind: K;
    storage: string;
    index: number;
    /** From JUJU_STORAGE_LOCATION when Juju sets it; otherwise ask `storage-get`. */
    location?: string;
    storageKind?: 'filesystem' | 'block';
  };
}[StorageHook];

export interface PebbleReadyEvent {
  kind: 'pebble-ready';
  container: string;
}

export interface PebbleCustomNoticeEvent {
  kind: 'pebble-custom-notice';
  container: string;
  notice: { id: string; type: string; key: string };
}

export type PebbleCheckEvent = {
  [K in 'pebble-check-failed' | 'pebble-check-recovered']: { kind: K; container: string; checkName: string };
}['pebble-check-failed' | 'pebble-check-recovered'];

/** Params are not here: fetch them with `action-get` when the handler needs them. */
export interface ActionEvent {
  kind: 'action';
  action: string;
  actionId: string;
}

/** A dispatch this charm does not define (unknown hook, or an entity metadata does not declare). */
export interface UnknownEvent {
  kind: 'unknown';
  path: string;
  reason: string;
}

/** collect-metrics and meter-status-changed run with most hook tools unavailable. */
export function isRestrictedEvent(event: CharmEvent): boolean {
  return event.kind === 'collect-metrics' || event.kind === 'meter-status-changed';
}

/** The entity an event belongs to (endpoint, storage, container or action), if any. */
export function eventEntity(event: CharmEvent): string | undefined {
  if ('endpoint' in event) return event.endpoint;
  if ('storage' in event) return event.storage;
  if ('container' in event) return event.container;
  if (event.kind === 'action') return event.action;
  return undefined;
}

function unknown(ctx: DispatchContext, reason: string): UnknownEvent {
  return { kind: 'unknown', path: ctx.dispatchPath, reason };
}

/**
 * Turn a parsed dispatch context into the typed event. Entities come from the (already
 * cross-checked) environment and must be declared in metadata, as ops only defines events for
 * declared entities; anything else is `unknown` and will be ignored.
 */
export function eventFromContext(ctx: DispatchContext, metadata: CharmMetadata): CharmEvent {
  const target = ctx.target;
  switch (target.family) {
    case 'lifecycle':
      if (target.hook === 'pre-series-upgrade' || target.hook === 'post-series-upgrade') {
        return { kind: target.hook, ...ctx.seriesUpgrade };
      }
      return { kind: target.hook };
    case 'secret': {
      const secret = ctx.secret;
      if (!secret) return unknown(ctx, 'the dispatch context has no secret fields');
      return { kind: target.hook, secretId: secret.id, ...optional('label', secret.label), ...optional('revision', secret.revision) };
    }
    case 'relation': {
      const relation = ctx.relation;
      if (!relation) return unknown(ctx, 'the dispatch context has no relation fields');
      const spec = metadata.endpoints.get(relation.name);
      if (!spec) return unknown(ctx, `endpoint ${JSON.stringify(relation.name)} is not declared in metadata.yaml`);
      return {
        kind: target.hook,
        endpoint: relation.name,
        role: spec.role,
        interface: spec.interface,
        relation: { endpoint: relation.name, id: relation.id },
        remoteApp: relation.remoteApp,
        remoteUnit: relation.remoteUnit,
        departingUnit: relation.departingUnit,
      };
    }
    case 'storage': {
      const storage = ctx.storage;
      if (!storage) return unknown(ctx, 'the dispatch context has no storage fields');
      if (!metadata.storages.has(storage.name)) {
        return unknown(ctx, `storage ${JSON.stringify(storage.name)} is not declared in metadata.yaml`);
      }
      return {
        kind: target.hook,
        storage: storage.name,
        index: storage.index,
        ...optional('location', storage.location),
        ...optional('storageKind', storage.kind),
      };
    }
    case 'workload': {
      const workload = ctx.workload;
      if (!workload) return unknown(ctx, 'the dispatch context has no workload fields');
      if (!metadata.containers.has(workload.name)) {
        return unknown(ctx, `container ${JSON.stringify(workload.name)} is not declared in metadata.yaml`);
      }
      if (target.hook === 'pebble-ready') return { kind: target.hook, container: workload.name };
      if (target.hook === 'pebble-custom-notice') {
        if (!workload.notice) return unknown(ctx, 'the dispatch context has no notice fields');
        return { kind: target.hook, container: workload.name, notice: workload.notice };
      }
      if (workload.checkName === undefined) return unknown(ctx, 'the dispatch context has no check name');
      return { kind: target.hook, container: workload.name, checkName: workload.checkName };
    }
    case 'action': {
      const action = ctx.action;
      if (!action) return unknown(ctx, 'the dispatch context has no action fields');
      if (!metadata.actions.has(action.name)) {
        return unknown(ctx, `action ${JSON.stringify(action.name)} is not declared in actions.yaml`);
      }
      return { kind: 'action', action: action.name, actionId: action.uuid };
    }
    case 'unknown':
      return unknown(ctx, 'not a hook or action this runtime knows');
  }
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}
