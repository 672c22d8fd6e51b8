/**
 * Changes and tasks (canonical/pebble docs/reference/changes-and-tasks.md,
 * internals/overlord/state): the unit of asynchronous work. A change's status is derived from its
 * tasks' statuses by Pebble's priority order; its `err` is built from the ERROR lines in its failed
 * tasks' logs.
 */
import { formatRfc3339, formatRfc3339Nano, nowNs } from '../util/go-time.ts';

export type Status =
  | 'Default'
  | 'Do'
  | 'Doing'
  | 'Done'
  | 'Abort'
  | 'Undo'
  | 'Undoing'
  | 'Undone'
  | 'Hold'
  | 'Error'
  | 'Wait';

const READY: ReadonlySet<Status> = new Set<Status>(['Done', 'Undone', 'Hold', 'Error']);
const STATUS_PRIORITY: readonly Status[] = ['Abort', 'Undoing', 'Undo', 'Doing', 'Do', 'Wait', 'Error', 'Undone', 'Done', 'Hold'];

export const isReady = (s: Status): boolean => READY.has(s);

/** A task's work. Resolve = Done; reject = Error (the message goes to the task log). */
export type TaskHandler = (task: Task, signal: AbortSignal) => Promise<void>;

const MAX_LOG_LINES = 10;

export class Task {
  change!: Change;
  status: Status = 'Do';
  readonly log: string[] = [];
  readonly spawnTime = nowNs();
  readyTime: bigint | undefined;
  /** The task's `data` on the wire (Pebble's "api-data"), e.g. exec's exit code. */
  apiData: Record<string, unknown> | undefined;
  readonly lanes: number[] = [];
  readonly waitTasks: Task[] = [];
  readonly haltTasks: Task[] = [];
  controller: AbortController | undefined;
  /** Called with the new status whenever it changes (the owning change recomputes). */
  onStatus: ((task: Task) => void) | undefined;

  constructor(
    readonly id: string,
    readonly kind: string,
    readonly summary: string,
    readonly handler: TaskHandler,
  ) {}

  private addLog(level: 'INFO' | 'ERROR', message: string): void {
    if (this.log.length >= MAX_LOG_LINES) this.log.splice(0, this.log.length - (MAX_LOG_LINES - 1));
    this.log.push(`${formatRfc3339(nowNs())} ${level} ${message}`);
  }

  logf(message: string): void {
    this.addLog('INFO', message);
  }

  errorf(message: string): void {
    this.addLog('ERROR', message);
  }

  setStatus(status: Status): void {
    if (this.status === status) return;
    this.status = status;
    if (isReady(status) && this.readyTime === undefined) this.readyTime = nowNs();
    this.onStatus?.(this);
  }

  waitFor(other: Task): void {
    this.waitTasks.push(other);
    other.haltTasks.push(this);
  }

  toJSON(): Record<string, unknown> {
    const out: Record<string, unknown> = {
      id: this.id,
      kind: this.kind,
      summary: this.summary,
      status: this.status,
    };
    if (this.log.length > 0) out['log'] = [...this.log];
    out['progress'] = { label: '', done: this.status === 'Do' ? 0 : 1, total: 1 };
    out['spawn-time'] = formatRfc3339Nano(this.spawnTime);
    if (this.readyTime !== undefined) out['ready-time'] = formatRfc3339Nano(this.readyTime);
    if (this.apiData) out['data'] = this.apiData;
    return out;
  }
}

export class Change {
  readonly tasks: Task[] = [];
  readonly spawnTime = nowNs();
  readyTime: bigint | undefined;
  /** Set only for changes whose status is forced (e.g. "Replan - no services" is Done). */
  explicitStatus: Status | undefined;
  /** Internal attributes (e.g. "service-names" for `?for=`). */
  readonly attrs = new Map<string, unknown>();
  apiData: Record<string, unknown> | undefined;
  lastObservedStatus: Status = 'Default';
  lastNoticeStatus: Status = 'Default';
  private readonly readyWaiters: Array<() => void> = [];

  constructor(
    readonly id: string,
    readonly kind: string,
    readonly summary: string,
    readonly noticeData: Record<string, string> | undefined,
  ) {}

  status(): Status {
    if (this.explicitStatus !== undefined) return this.explicitStatus;
    if (this.tasks.length === 0) return 'Hold';
    const present = new Set(this.tasks.map((t) => t.status));
    for (const s of STATUS_PRIORITY) if (present.has(s)) return s;
    return 'Hold';
  }

  isReady(): boolean {
    return isReady(this.status());
  }

  /** The change error Pebble reports, or undefined unless the change is in Error. */
  err(): string | undefined {
    if (this.status() !== 'Error') return undefined;
    const lines: string[] = [];
    for (const task of this.tasks) {
      if (task.status !== 'Error') continue;
      for (const entry of task.log) {
        const idx = entry.indexOf(' ');
        if (idx >= 0 && entry.startsWith(' ERROR ', idx)) lines.push(`- ${task.summary} (${entry.slice(idx + 7)})`);
      }
    }
    if (lines.length === 0) return `internal inconsistency: change "${this.kind}" in ErrorStatus with no task errors logged`;
    return `cannot perform the following tasks:\n${lines.join('\n')}`;
  }

  /** Mark ready (once) and release anyone waiting. */
  markReadyIfNeeded(): void {
    if (!this.isReady() || this.readyTime !== undefined) return;
    this.readyTime = nowNs();
    for (const wake of this.readyWaiters.splice(0)) wake();
  }

  /** Resolves true when ready, false if timeoutMs (when given) elapses or signal aborts first. */
  waitReady(timeoutMs?: number, signal?: AbortSignal): Promise<boolean> {
    if (this.readyTime !== undefined) return Promise.resolve(true);
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const done = (value: boolean) => {
        if (timer) clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        const idx = this.readyWaiters.indexOf(wake);
        if (idx >= 0) this.readyWaiters.splice(idx, 1);
        resolve(value);
      };
      const wake = () => done(true);
      const onAbort = () => done(false);
      this.readyWaiters.push(wake);
      if (timeoutMs !== undefined) timer = setTimeout(() => done(false), timeoutMs);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  toJSON(): Record<string, unknown> {
    const status = this.status();
    const out: Record<string, unknown> = {
      id: this.id,
      kind: this.kind,
      summary: this.summary,
      status,
    };
    if (this.tasks.length > 0) out['tasks'] = this.tasks.map((t) => t.toJSON());
    out['ready'] = isReady(status);
    const err = this.err();
    if (err !== undefined) out['err'] = err;
    out['spawn-time'] = formatRfc3339Nano(this.spawnTime);
    if (this.readyTime !== undefined) out['ready-time'] = formatRfc3339Nano(this.readyTime);
    if (this.apiData) out['data'] = this.apiData;
    return out;
  }
}
