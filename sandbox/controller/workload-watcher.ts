import { errorMessage } from '../../src/errors.ts';
import type { Logger } from '../../src/logging.ts';
import type { WorkloadAnswer, WorkloadProbe } from './runtime.ts';

/**
 * Polls the workload containers of units that ran `start`, as Juju's Pebble poller does: a
 * container awaited for the first time is reported once its Pebble answers, and a running one
 * is reported with its Pebble's boot id, so that a restarted container (a new boot id) gets its
 * pebble-ready again. Running containers that stop answering are kept as "down" until they do.
 */

export interface WatchedWorkload {
  unit: string;
  container: string;
  /** Still waiting for its first pebble-ready (otherwise it is running). */
  awaited: boolean;
}

export interface WorkloadWatcherOptions {
  probe: WorkloadProbe;
  intervalMs: number;
  watched: () => WatchedWorkload[];
  /** The container's Pebble answered (with its boot id when the probe knows it). */
  onAnswer: (unit: string, container: string, bootId: string | undefined) => void;
  /** The set of running containers that do not answer changed. */
  onDownChange?: () => void;
  logger: Logger;
}

const key = (unit: string, container: string) => `${unit}\u0000${container}`;

export class WorkloadWatcher {
  private timer: NodeJS.Timeout | null = null;
  private polling: Promise<void> | null = null;
  private readonly down = new Set<string>();

  constructor(private readonly options: WorkloadWatcherOptions) {}

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.poll(), this.options.intervalMs);
    this.timer.unref();
    void this.poll();
  }

  /** Check now (e.g. right after a unit ran `start`) instead of at the next tick. */
  poll(): Promise<void> {
    // One poll at a time: a slow probe must not pile up requests.
    this.polling ??= this.pollOnce().finally(() => {
      this.polling = null;
    });
    return this.polling;
  }

  /** A poll that starts after this call (not one already under way, which may predate a change). */
  async recheck(): Promise<void> {
    await this.polling;
    await this.poll();
  }

  /** Running containers whose Pebble did not answer the last poll. */
  downWorkloads(): Array<{ unit: string; container: string }> {
    return [...this.down].map((k) => {
      const [unit = '', container = ''] = k.split('\u0000');
      return { unit, container };
    });
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.polling;
  }

  private async pollOnce(): Promise<void> {
    const watched = this.options.watched();
    const before = this.down.size;
    const current = new Set(watched.map((w) => key(w.unit, w.container)));
    for (const k of this.down) if (!current.has(k)) this.down.delete(k); // unit gone or dying
    let changed = this.down.size !== before;
    await Promise.all(
      watched.map(async ({ unit, container, awaited }) => {
        let answer: WorkloadAnswer = { ready: false };
        try {
          answer = await this.options.probe.probe(unit, container);
        } catch (error) {
          this.options.logger.debug({ unit, container, err: errorMessage(error) }, 'workload probe failed');
        }
        if (!this.timer) return; // stopped meanwhile
        const k = key(unit, container);
        if (answer.ready) {
          if (this.down.delete(k)) changed = true;
          this.options.onAnswer(unit, container, answer.bootId);
        } else if (!awaited && !this.down.has(k)) {
          this.down.add(k);
          changed = true;
          this.options.logger.debug({ unit, container }, 'workload container does not answer');
        }
      }),
    );
    if (changed) this.options.onDownChange?.();
  }
}
