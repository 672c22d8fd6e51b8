/**
 * The controller's progress log: what was queued, started, succeeded, failed or retried, in
 * order, with a sequence number so that a client can poll for everything after the last one it saw.
 */

export const PROGRESS_TYPES = ['queued', 'coalesced', 'started', 'succeeded', 'failed', 'retrying', 'skipped', 'dropped', 'aborted', 'model'] as const;
export type ProgressType = (typeof PROGRESS_TYPES)[number];

export interface ProgressEvent {
  seq: number;
  time: string;
  /** '' for model-wide entries (deploy, relate...). */
  unit: string;
  type: ProgressType;
  /** A label like `db-relation-changed (client/0)`, or the model change for type `model`. */
  what: string;
  hook?: string;
  action?: string;
  exitCode?: number | null;
  durationMs?: number;
  attempt?: number;
  retryInMs?: number;
}

export type ProgressListener = (event: ProgressEvent) => void;

export class EventLog {
  private readonly entries: ProgressEvent[] = [];
  private readonly listeners = new Set<ProgressListener>();
  private nextSeq = 1;

  constructor(private readonly capacity = 10_000) {}

  add(entry: Omit<ProgressEvent, 'seq' | 'time'>): ProgressEvent {
    const event: ProgressEvent = { seq: this.nextSeq++, time: new Date().toISOString(), ...entry };
    this.entries.push(event);
    if (this.entries.length > this.capacity) this.entries.splice(0, this.entries.length - this.capacity);
    for (const listener of this.listeners) listener(event);
    return event;
  }

  /** Every entry with a sequence number above `since` that is still kept. */
  since(since = 0): ProgressEvent[] {
    return this.entries.filter((e) => e.seq > since);
  }

  /** Hear about every new entry; returns the unsubscribe function. */
  subscribe(listener: ProgressListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
