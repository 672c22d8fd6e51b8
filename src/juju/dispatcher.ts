import type { Logger } from '../logging.ts';
import { errorMessage, isCharmError } from '../errors.ts';
import {
  eventEntity,
  type CharmEvent,
  type CharmEventKind,
  type EventOfKind,
  type LifecycleEvent,
  type RelationEvent,
  type SecretEvent,
  type SeriesUpgradeEvent,
  type StorageEvent,
  type UnknownEvent,
} from './events.ts';

export type Handler<E, C> = (event: E, context: C) => void | Promise<void>;

/** Kinds that name no entity: register with `on(kind, handler)`. */
export type PlainKind = LifecycleEvent['kind'] | SeriesUpgradeEvent['kind'] | SecretEvent['kind'];
/** Kinds that belong to an endpoint, storage, container or action: `on(kind, entity, handler)`. */
export type EntityKind =
  | RelationEvent['kind']
  | StorageEvent['kind']
  | 'pebble-ready'
  | 'pebble-custom-notice'
  | 'pebble-check-failed'
  | 'pebble-check-recovered'
  | 'action';
export type KnownEvent = Exclude<CharmEvent, UnknownEvent>;

interface Registration<C> {
  kind: CharmEventKind;
  entity: string | undefined;
  handler: Handler<never, C>;
}

/**
 * Routes one event to the handlers registered for it, in registration order. `C` is whatever the
 * entry point hands every handler (clients, logger, …). Unknown and unhandled events are logged
 * and ignored — like ops, so a rollback to a charm that lacks a newer hook does not error.
 */
export class Dispatcher<C> {
  readonly #registrations: Registration<C>[] = [];
  readonly #logger: Logger | undefined;

  constructor(options: { logger?: Logger } = {}) {
    this.#logger = options.logger;
  }

  on<K extends PlainKind>(kind: K, handler: Handler<EventOfKind<K>, C>): this;
  on<K extends EntityKind>(kind: K, entity: string, handler: Handler<EventOfKind<K>, C>): this;
  /** Every entity of this kind (e.g. `relation-broken` on any endpoint). */
  on<K extends EntityKind>(kind: K, handler: Handler<EventOfKind<K>, C>): this;
  on(kind: CharmEventKind, entityOrHandler: string | Handler<never, C>, maybeHandler?: Handler<never, C>): this {
    const entity = typeof entityOrHandler === 'string' ? entityOrHandler : undefined;
    const handler = typeof entityOrHandler === 'string' ? maybeHandler : entityOrHandler;
    if (typeof handler !== 'function') throw new TypeError(`on(${JSON.stringify(kind)}): handler must be a function`);
    this.#registrations.push({ kind, entity, handler });
    return this;
  }

  /** The handlers this event would run, in order. */
  handlersFor(event: CharmEvent): Handler<CharmEvent, C>[] {
    if (event.kind === 'unknown') return [];
    const entity = eventEntity(event);
    return this.#registrations
      .filter((registration) => registration.kind === event.kind && (registration.entity === undefined || registration.entity === entity))
      .map((registration) => registration.handler as Handler<CharmEvent, C>);
  }

  /** Run the matching handlers one after another; a handler's error stops the rest and propagates. */
  async dispatch(event: CharmEvent, context: C): Promise<number> {
    if (event.kind === 'unknown') {
      this.#logger?.info({ path: event.path, reason: event.reason }, 'ignoring dispatch this charm does not define');
      return 0;
    }
    const handlers = this.handlersFor(event);
    if (handlers.length === 0) {
      this.#logger?.debug({ kind: event.kind, entity: eventEntity(event) }, 'no handler registered; ignoring event');
      return 0;
    }
    for (const handler of handlers) {
      await handler(event, context);
    }
    return handlers.length;
  }
}

/** ops's guard variable: set while a dispatch runs, so a charm that re-invokes itself exits at once. */
export const DISPATCH_GUARD_VARIABLE = 'OPERATOR_DISPATCH';

export interface RunDispatchOptions<C> {
  dispatcher: Dispatcher<C>;
  event: CharmEvent;
  context: C;
  /** Reports an action failure to Juju; normally `(message) => hookTools.actionFail(message)`. */
  actionFail: (message: string) => Promise<void>;
  logger?: Logger;
  /** Where the re-entrancy guard lives; defaults to process.env (inherited by child processes). */
  env?: NodeJS.ProcessEnv;
}

/**
 * The exit-code policy of one dispatch. Hooks: a handler error is logged and exits 1, so Juju
 * marks the hook failed, discards its transactional writes and retries. Actions: the error
 * becomes `action-fail` with a readable message and the process exits 0 — a non-zero exit would
 * make Juju replace that message with "exit status 1" (note that Juju then commits the hook-tool
 * writes made before the error, as for any failed-but-exited-0 action).
 */
export async function runDispatch<C>(options: RunDispatchOptions<C>): Promise<number> {
  const { dispatcher, event, context, logger } = options;
  const env = options.env ?? process.env;
  if (env[DISPATCH_GUARD_VARIABLE] === '1') {
    logger?.warn({ kind: event.kind }, `${DISPATCH_GUARD_VARIABLE} is set: not dispatching again from inside a dispatch`);
    return 0;
  }
  env[DISPATCH_GUARD_VARIABLE] = '1';
  try {
    await dispatcher.dispatch(event, context);
    return 0;
  } catch (error) {
    const details = { kind: event.kind, entity: eventEntity(event), code: isCharmError(error) ? error.code : undefined };
    if (event.kind !== 'action') {
      logger?.error({ ...details, err: error }, `${event.kind} handler failed`);
      return 1;
    }
    const message = `action ${event.action} failed: ${errorMessage(error)}`;
    logger?.error({ ...details, err: error }, message);
    try {
      await options.actionFail(message);
      return 0;
    } catch (failError) {
      logger?.error({ err: failError }, 'action-fail itself failed');
      return 1;
    }
  } finally {
    delete env[DISPATCH_GUARD_VARIABLE];
  }
}
