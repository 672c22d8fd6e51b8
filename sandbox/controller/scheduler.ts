import { errorMessage } from '../../src/errors.ts';
import { createLogger, type Logger } from '../../src/logging.ts';
import type { DispatchOutcome } from './dispatch-runner.ts';
import { ControllerTimeoutError } from './errors.ts';
import { EventLog } from './event-log.ts';
import { nextEventIndex } from './hook-priority.ts';
import { coalesceKey, describeEvent, hookEvent, type QueuedEvent } from './queued-event.ts';

/**
 * Per-unit queues run the way Juju's unit agents run them: one hook or action at a time per
 * unit, units in parallel, each unit's next event chosen as Juju's resolver chooses it
 * (hook-priority.ts). A failed hook stays queued and is retried with exponential backoff;
 * nothing else runs until it succeeds (or is resolved), except actions, which Juju also runs
 * while a unit sits in a hook error.
 */

export interface QueueItem {
  id: number;
  event: QueuedEvent;
  /** Failed attempts so far. */
  attempts: number;
  /** Epoch ms before which a failed hook is not retried; null when it has not failed. */
  retryAt: number | null;
}

export type RunEvent = (event: QueuedEvent, abort: AbortSignal) => Promise<DispatchOutcome>;

export interface RetryPolicy {
  initialMs: number;
  maxMs: number;
}

/** Juju's defaults: 5 s, doubling up to 5 min. */
export const DEFAULT_RETRY: RetryPolicy = { initialMs: 5_000, maxMs: 300_000 };
export const DEFAULT_UPDATE_STATUS_INTERVAL_MS = 5 * 60_000;

export interface SchedulerOptions {
  run: RunEvent;
  /** Called after a run's outcome is booked (the item left the queue or awaits its retry). */
  afterRun?: (event: QueuedEvent, outcome: DispatchOutcome) => void;
  /** Units update-status fires on (deployed, alive); each gets it only while idle. */
  periodicUnits: () => string[];
  /** Work outside the queues (e.g. waiting for Pebble) that keeps the model from being settled. */
  busy?: () => boolean;
  /** The queues changed (persist them). */
  onChange?: () => void;
  retry?: RetryPolicy;
  updateStatusIntervalMs?: number;
  eventLog?: EventLog;
  logger?: Logger;
}

interface UnitQueue {
  items: QueueItem[];
  running: { item: QueueItem; abort: AbortController; done: Promise<void> } | null;
  retryTimer: NodeJS.Timeout | null;
}

export class Scheduler {
  readonly log: EventLog;
  private readonly queues = new Map<string, UnitQueue>();
  private readonly waiters = new Set<() => void>();
  private readonly logger: Logger;
  private nextId = 1;
  private running = false;
  private stopping = false;
  private updateTimer: NodeJS.Timeout | null = null;
  private settleCheckPending = false;

  constructor(private readonly options: SchedulerOptions) {
    this.log = options.eventLog ?? new EventLog();
    this.logger = options.logger ?? createLogger({ base: { component: 'sandbox-scheduler' } });
  }

  /** Begin running queued events (and update-status ticks). */
  start(): void {
    if (this.running || this.stopping) return;
    this.running = true;
    const interval = this.options.updateStatusIntervalMs ?? DEFAULT_UPDATE_STATUS_INTERVAL_MS;
    this.updateTimer = setInterval(() => this.tickUpdateStatus(), interval);
    this.updateTimer.unref();
    for (const unit of this.queues.keys()) this.pump(unit);
  }

  /** Queue an event at the back of its unit's queue; false when Juju would coalesce it. */
  enqueue(event: QueuedEvent): boolean {
    const queue = this.queue(event.unit);
    const key = coalesceKey(event);
    const pending = key === null ? undefined : queue.items.find((i) => i !== queue.running?.item && coalesceKey(i.event) === key);
    if (pending) {
      // The queued secret-changed runs with the newest label, as Juju's secretsResolver.NextOp
      // (worker/uniter/secrets/resolver.go) reads it when it runs.
      if (pending.event.kind === 'hook' && event.kind === 'hook' && event.hook === 'secret-changed') pending.event.secretLabel = event.secretLabel;
      this.log.add({ unit: event.unit, type: 'coalesced', what: describeEvent(event), ...labels(event) });
      return false;
    }
    queue.items.push({ id: this.nextId++, event, attempts: 0, retryAt: null });
    this.log.add({ unit: event.unit, type: 'queued', what: describeEvent(event), ...labels(event) });
    this.options.onChange?.();
    this.pump(event.unit);
    return true;
  }

  /** Remove pending (not running) events that match; returns them. */
  drop(match: (event: QueuedEvent) => boolean, reason = 'dropped'): QueuedEvent[] {
    const dropped: QueuedEvent[] = [];
    for (const [unit, queue] of this.queues) {
      const keep = queue.items.filter((i) => i === queue.running?.item || !match(i.event));
      for (const item of queue.items) {
        if (keep.includes(item)) continue;
        dropped.push(item.event);
        this.log.add({ unit, type: 'dropped', what: `${describeEvent(item.event)}: ${reason}`, ...labels(item.event) });
      }
      queue.items = keep;
    }
    if (dropped.length > 0) {
      this.options.onChange?.();
      this.checkSettled();
    }
    return dropped;
  }

  /** The failed hooks units wait on (each is retried, or skipped by `juju resolved --no-retry`). */
  failedEvents(): QueuedEvent[] {
    return [...this.queues.values()].flatMap((q) => q.items.filter((i) => i.retryAt !== null).map((i) => i.event));
  }

  /** Whether any queued or running event matches. */
  references(match: (event: QueuedEvent) => boolean): boolean {
    return [...this.queues.values()].some((q) => q.items.some((i) => match(i.event)));
  }

  /** Forget a unit that left the model (its pending events are dropped). */
  forget(unit: string): void {
    const queue = this.queues.get(unit);
    if (!queue) return;
    if (queue.retryTimer) clearTimeout(queue.retryTimer);
    this.queues.delete(unit);
    this.options.onChange?.();
    this.checkSettled();
  }

  /** Stop what the unit runs now (SIGTERM, then SIGKILL), as deleting its pod would. */
  abortRunning(unit: string): void {
    this.queues.get(unit)?.running?.abort.abort();
  }

  /** Resolves once the unit runs nothing (its queue may still hold events). */
  async whenNotRunning(unit: string): Promise<void> {
    await this.queues.get(unit)?.running?.done;
  }

  /** `juju resolved --no-retry`: skip the unit's failed hook, committing it as if it had run. */
  resolve(unit: string): boolean {
    const queue = this.queues.get(unit);
    const head = queue && this.failedItem(queue);
    if (!queue || !head || queue.running?.item === head) return false;
    queue.items = queue.items.filter((i) => i !== head);
    if (queue.retryTimer) clearTimeout(queue.retryTimer);
    queue.retryTimer = null;
    this.log.add({ unit, type: 'skipped', what: `${describeEvent(head.event)}: resolved`, ...labels(head.event) });
    // Juju's NewSkipHook commits the hook as if it had run (its follow-ups happen), with no changes.
    try {
      this.options.afterRun?.(head.event, { ok: true, aborted: false, exitCode: null, signal: null, events: [], durationMs: 0 });
    } catch (error) {
      this.logger.error({ unit, event: describeEvent(head.event), err: errorMessage(error) }, 'after-run handling failed');
    }
    this.options.onChange?.();
    this.pump(unit);
    this.checkSettled();
    return true;
  }

  /** `juju resolved`: retry the unit's failed hook now. */
  retryNow(unit: string): boolean {
    const queue = this.queues.get(unit);
    const head = queue && this.failedItem(queue);
    if (!queue || !head) return false;
    head.retryAt = Date.now();
    if (queue.retryTimer) clearTimeout(queue.retryTimer);
    queue.retryTimer = null;
    this.pump(unit);
    return true;
  }

  /** A copy of every unit's queue, the running item included (for persistence and status). */
  snapshot(): Record<string, QueueItem[]> {
    return Object.fromEntries([...this.queues].map(([unit, q]) => [unit, structuredClone(q.items)]));
  }

  /** The event each unit is running now. */
  runningEvents(): Record<string, QueuedEvent> {
    const result: Record<string, QueuedEvent> = {};
    for (const [unit, q] of this.queues) if (q.running) result[unit] = q.running.item.event;
    return result;
  }

  /** Load queues saved by snapshot() (before start()); an item that was running runs again. */
  restore(queues: Record<string, QueueItem[]>): void {
    for (const [unit, items] of Object.entries(queues)) {
      this.queue(unit).items.push(...structuredClone(items));
      for (const item of items) this.nextId = Math.max(this.nextId, item.id + 1);
    }
  }

  /** Resolves once no queue holds anything, nothing runs and nothing else is busy. */
  settled(options: { timeoutMs?: number } = {}): Promise<void> {
    if (this.isSettled()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const waiter = () => {
        clearTimeout(timer);
        resolve();
      };
      this.waiters.add(waiter);
      if (options.timeoutMs !== undefined) {
        timer = setTimeout(() => {
          this.waiters.delete(waiter);
          reject(new ControllerTimeoutError(`model not settled after ${options.timeoutMs} ms: ${this.describeBusy()}`));
        }, options.timeoutMs);
      }
    });
  }

  /** Re-check settled() waiters after a change outside the queues (see options.busy). */
  poke(): void {
    this.checkSettled();
  }

  /** Stop starting events; wait up to graceMs for running ones, then abort them. */
  async stop(graceMs = 30_000): Promise<void> {
    this.stopping = true;
    this.running = false;
    if (this.updateTimer) clearInterval(this.updateTimer);
    for (const queue of this.queues.values()) if (queue.retryTimer) clearTimeout(queue.retryTimer);
    const running = () => [...this.queues.values()].flatMap((q) => (q.running ? [q.running] : []));
    const finished = Promise.all(running().map((r) => r.done));
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), graceMs)));
    if (await Promise.race([finished.then(() => false), expired])) {
      for (const r of running()) r.abort.abort();
      await finished;
    }
    clearTimeout(timer);
  }

  private queue(unit: string): UnitQueue {
    let queue = this.queues.get(unit);
    if (!queue) {
      queue = { items: [], running: null, retryTimer: null };
      this.queues.set(unit, queue);
    }
    return queue;
  }

  private backoff(attempts: number): number {
    const { initialMs, maxMs } = this.options.retry ?? DEFAULT_RETRY;
    return Math.min(maxMs, initialMs * 2 ** Math.max(0, attempts - 1));
  }

  /**
   * The next item to run: the failed hook once its retry is due (while it waits, only actions
   * run, as in nextOpHookError), else the one Juju's resolver picks (hook-priority.ts).
   */
  private pick(unit: string, queue: UnitQueue): QueueItem | null {
    if (queue.items.length === 0) return null;
    const failed = queue.items.find((i) => i.retryAt !== null);
    if (!failed) return queue.items[nextEventIndex(queue.items.map((i) => i.event))] ?? null;
    const now = Date.now();
    if (failed.retryAt! <= now) return failed;
    const action = queue.items.find((i) => i.event.kind === 'action');
    if (action) return action;
    if (!queue.retryTimer) {
      queue.retryTimer = setTimeout(() => {
        queue.retryTimer = null;
        this.pump(unit);
      }, failed.retryAt! - now);
    }
    return null;
  }

  /** The failed hook a unit waits on (`juju resolved` acts on it), if any. */
  private failedItem(queue: UnitQueue): QueueItem | undefined {
    return queue.items.find((i) => i.retryAt !== null);
  }

  private pump(unit: string): void {
    if (!this.running) return;
    const queue = this.queues.get(unit);
    if (!queue || queue.running) return;
    const item = this.pick(unit, queue);
    if (!item) {
      this.checkSettled();
      return;
    }
    const abort = new AbortController();
    const done = this.execute(unit, queue, item, abort.signal);
    queue.running = { item, abort, done };
  }

  private async execute(unit: string, queue: UnitQueue, item: QueueItem, abort: AbortSignal): Promise<void> {
    const { event } = item;
    const what = describeEvent(event);
    this.log.add({ unit, type: item.attempts > 0 ? 'retrying' : 'started', what, attempt: item.attempts + 1, ...labels(event) });
    const started = performance.now();
    let outcome: DispatchOutcome;
    try {
      outcome = await this.options.run(event, abort);
    } catch (error) {
      this.logger.error({ unit, event: what, err: errorMessage(error) }, 'cannot run event');
      outcome = { ok: false, aborted: false, exitCode: null, signal: null, events: [], durationMs: 0 };
    }
    queue.running = null;
    const durationMs = Math.round(performance.now() - started);
    if (outcome.aborted) {
      this.log.add({ unit, type: 'aborted', what, durationMs, ...labels(event) });
    } else if (outcome.ok || event.kind === 'action') {
      queue.items = queue.items.filter((i) => i !== item);
      this.log.add({ unit, type: outcome.ok ? 'succeeded' : 'failed', what, exitCode: outcome.exitCode, durationMs, ...labels(event) });
    } else {
      item.attempts += 1;
      const retryInMs = this.backoff(item.attempts);
      item.retryAt = Date.now() + retryInMs;
      this.log.add({ unit, type: 'failed', what, exitCode: outcome.exitCode, durationMs, attempt: item.attempts, retryInMs, ...labels(event) });
    }
    this.options.onChange?.();
    try {
      this.options.afterRun?.(event, outcome);
    } catch (error) {
      this.logger.error({ unit, event: what, err: errorMessage(error) }, 'after-run handling failed');
    }
    this.pump(unit);
    this.checkSettled();
  }

  private tickUpdateStatus(): void {
    for (const unit of this.options.periodicUnits()) {
      const queue = this.queues.get(unit);
      if (queue && (queue.items.length > 0 || queue.running)) continue;
      this.enqueue(hookEvent(unit, 'update-status'));
    }
  }

  private isSettled(): boolean {
    for (const queue of this.queues.values()) if (queue.items.length > 0 || queue.running) return false;
    return !(this.options.busy?.() ?? false);
  }

  private describeBusy(): string {
    const parts = [...this.queues].filter(([, q]) => q.items.length > 0).map(([unit, q]) => `${unit}: ${q.items.map((i) => describeEvent(i.event)).join(', ')}`);
    return parts.length > 0 ? parts.join('; ') : 'waiting for workloads';
  }

  /**
   * Resolve settled() waiters if nothing is left to do. Checked on the next turn of the event
   * loop, so that whatever a finished hook causes (enqueued synchronously by afterRun and its
   * callers) counts before the model is declared settled.
   */
  private checkSettled(): void {
    if (this.settleCheckPending || this.waiters.size === 0) return;
    this.settleCheckPending = true;
    setImmediate(() => {
      this.settleCheckPending = false;
      if (this.waiters.size === 0 || !this.isSettled()) return;
      const waiters = [...this.waiters];
      this.waiters.clear();
      for (const waiter of waiters) waiter();
    });
  }
}

function labels(event: QueuedEvent): { hook?: string; action?: string } {
  return event.kind === 'hook' ? { hook: event.hook } : { action: event.name };
}
