/**
 * The task runner: owns changes and tasks, runs each task whose predecessors are Done, and
 * applies Pebble's failure rules (a failed task holds the pending tasks of its lanes and the
 * tasks waiting on it). Every change status transition records a change-update notice.
 */
import type { Logger } from '../../../src/logging.ts';
import { Change, isReady, Task, type Status, type TaskHandler } from './change.ts';
import type { NoticeStore } from './notices.ts';
import { PebbleError } from '../errors.ts';

/** Why a running task's signal was aborted. */
export class TaskAborted extends PebbleError {
  constructor(reason: string) {
    super('pebble-task-aborted', reason);
  }
}

export type ChangeStatusListener = (change: Change, oldStatus: Status, newStatus: Status) => void;

/** Ready changes beyond this count are pruned, oldest first (checks create one per cycle). */
const MAX_READY_CHANGES = 500;

export interface EngineCounters {
  lastChangeId: number;
  lastTaskId: number;
  lastLaneId: number;
}

export class StateEngine {
  private readonly changesById = new Map<string, Change>();
  private readonly tasksById = new Map<string, Task>();
  private readonly running = new Map<Task, Promise<void>>();
  private readonly listeners: ChangeStatusListener[] = [];
  private counters: EngineCounters = { lastChangeId: 0, lastTaskId: 0, lastLaneId: 0 };
  private ensureScheduled = false;
  private stopped = false;
  onCountersChanged: (() => void) | undefined;

  constructor(
    private readonly notices: NoticeStore,
    private readonly logger: Logger,
  ) {}

  loadCounters(saved: Partial<EngineCounters>): void {
    this.counters = { lastChangeId: 0, lastTaskId: 0, lastLaneId: 0, ...saved };
  }

  getCounters(): EngineCounters {
    return { ...this.counters };
  }

  onChangeStatusChanged(listener: ChangeStatusListener): void {
    this.listeners.push(listener);
  }

  newLane(): number {
    this.counters.lastLaneId += 1;
    return this.counters.lastLaneId;
  }

  newTask(kind: string, summary: string, handler: TaskHandler): Task {
    this.counters.lastTaskId += 1;
    const task = new Task(String(this.counters.lastTaskId), kind, summary, handler);
    this.tasksById.set(task.id, task);
    this.onCountersChanged?.();
    return task;
  }

  /** Create a change holding `tasks`; it starts running on the next tick. */
  newChange(kind: string, summary: string, tasks: Task[], noticeData?: Record<string, string>): Change {
    this.counters.lastChangeId += 1;
    const change = new Change(String(this.counters.lastChangeId), kind, summary, noticeData);
    this.changesById.set(change.id, change);
    this.recordNotice(change);
    for (const task of tasks) {
      task.change = change;
      task.onStatus = () => this.changeMayHaveMoved(change);
      change.tasks.push(task);
    }
    this.changeMayHaveMoved(change);
    this.onCountersChanged?.();
    this.prune();
    this.ensureSoon();
    return change;
  }

  /** A change with no tasks whose status is forced (Pebble's "Replan - no services"). */
  newFinishedChange(kind: string, summary: string, status: Status): Change {
    const change = this.newChange(kind, summary, []);
    change.explicitStatus = status;
    this.changeMayHaveMoved(change);
    return change;
  }

  change(id: string): Change | undefined {
    return this.changesById.get(id);
  }

  task(id: string): Task | undefined {
    return this.tasksById.get(id);
  }

  changes(): Change[] {
    return [...this.changesById.values()];
  }

  private recordNotice(change: Change): void {
    const data: Record<string, string> = { kind: change.kind, ...(change.noticeData ?? {}) };
    this.notices.add(null, 'change-update', change.id, { data });
  }

  private changeMayHaveMoved(change: Change): void {
    const status = change.status();
    if (change.lastObservedStatus !== status) {
      const old = change.lastObservedStatus;
      change.lastObservedStatus = status;
      change.markReadyIfNeeded();
      for (const listener of this.listeners) {
        try {
          listener(change, old, status);
        } catch (err) {
          this.logger.error({ err, change: change.id }, 'change status listener failed');
        }
      }
    }
    const last = change.lastNoticeStatus;
    const skip = last === status || (last === 'Doing' && status === 'Do') || (last === 'Undoing' && status === 'Undo');
    if (!skip) {
      change.lastNoticeStatus = status;
      if (last !== 'Default') this.recordNotice(change);
    }
  }

  ensureSoon(): void {
    if (this.ensureScheduled || this.stopped) return;
    this.ensureScheduled = true;
    setImmediate(() => {
      this.ensureScheduled = false;
      this.ensure();
    });
  }

  private ensure(): void {
    if (this.stopped) return;
    for (const task of this.tasksById.values()) {
      if (task.status !== 'Do' || this.running.has(task)) continue;
      if (task.waitTasks.some((w) => w.status !== 'Done')) continue;
      this.run(task);
    }
  }

  private run(task: Task): void {
    const controller = new AbortController();
    task.controller = controller;
    task.setStatus('Doing');
    const done = (async () => {
      let failure: unknown;
      let failed = false;
      try {
        await task.handler(task, controller.signal);
      } catch (err) {
        failed = true;
        failure = err;
      }
      this.running.delete(task);
      if (this.stopped) return;
      if (failed) {
        this.abortTasks([task], task);
        task.errorf(failure instanceof Error ? failure.message : String(failure));
        task.setStatus('Error');
      } else {
        // Aborted in flight but finished cleanly: with no undo handler Pebble ends it Done.
        task.setStatus('Done');
      }
      this.ensureSoon();
    })();
    this.running.set(task, done);
  }

  /**
   * Pebble's abort: pending tasks are held, running ones are cancelled, and the abort spreads
   * to the other tasks of the same lanes and to tasks waiting on an aborted one.
   */
  private abortTasks(initial: Task[], except?: Task): void {
    const queue = [...initial];
    const seen = new Set<Task>();
    for (let i = 0; i < queue.length; i++) {
      const task = queue[i];
      if (!task || seen.has(task)) continue;
      seen.add(task);
      if (task !== except) {
        if (task.status === 'Do') task.setStatus('Hold');
        else if (task.status === 'Doing') {
          task.setStatus('Abort');
          task.controller?.abort(new TaskAborted('task aborted'));
        }
      }
      for (const other of task.change.tasks) {
        if (other.lanes.some((lane) => task.lanes.includes(lane))) queue.push(other);
      }
      queue.push(...task.haltTasks);
    }
  }

  /** POST /v1/changes/{id} abort. */
  abortChange(change: Change): void {
    this.abortTasks(change.tasks);
    this.ensureSoon();
  }

  private prune(): void {
    const ready = this.changes().filter((c) => c.isReady());
    for (const change of ready.slice(0, Math.max(0, ready.length - MAX_READY_CHANGES))) {
      this.changesById.delete(change.id);
      for (const task of change.tasks) this.tasksById.delete(task.id);
    }
  }

  /** Cancel every running task and wait (bounded) for their handlers to return. */
  async stop(timeoutMs = 10_000): Promise<void> {
    this.stopped = true;
    for (const task of this.running.keys()) task.controller?.abort(new TaskAborted('pebble is stopping'));
    const all = Promise.allSettled([...this.running.values()]);
    await Promise.race([all, new Promise((resolve) => setTimeout(resolve, timeoutMs).unref())]);
  }
}

export { isReady };
