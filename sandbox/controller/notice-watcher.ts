import { setTimeout as sleep } from 'node:timers/promises';
import { errorMessage } from '../../src/errors.ts';
import type { Logger } from '../../src/logging.ts';
import type { WorkloadNotice, WorkloadNotices } from './runtime.ts';

/**
 * Turns each workload container's Pebble notices into `<container>-pebble-custom-notice` (and check)
 * hooks, as Juju 3.6's pebbleNoticer does (worker/uniter/pebblenotices.go, juju/juju): one loop
 * per container, each long-polling `GET /v1/notices` with `after` set to the last-repeated time
 * of the last notice it handed on (30 s waits, 1 s after an error, e.g. while Pebble restarts),
 * handing on one notice at a time and waiting until its hook has run before the next. So a
 * notice that repeats while its hook is still queued fires once more afterwards, and one that
 * does not repeat fires once, whatever happens to Pebble meanwhile (its notices outlive it).
 *
 * Unlike Juju's worker, which keeps `after` in memory (a restarted unit agent hands on every
 * notice Pebble still holds), the controller keeps it with the unit (`onNotice` records it), so
 * a restarted sandbox daemon does not repeat hooks; the sandbox daemon is the controller and
 * every unit agent at once, and restarts for reasons of its own.
 */

export interface WatchedContainer {
  unit: string;
  container: string;
}

export interface NoticeWatcherOptions {
  /** Custom notices only, oldest last-repeated first. */
  notices: WorkloadNotices;
  /** The containers to watch now (units that left or are dying are not). */
  watched: () => WatchedContainer[];
  /** Where the container's watch resumes (the last notice handed on), if anywhere. */
  after: (unit: string, container: string) => string | undefined;
  /** Queue the notice's hook and remember `notice.lastRepeated` as the container's `after`. */
  onNotice: (unit: string, container: string, notice: WorkloadNotice) => void;
  /** Whether a notice hook of the container is still queued or running. */
  pending: (unit: string, container: string) => boolean;
  /** How often the set of containers is compared with `watched()`. */
  intervalMs: number;
  waitMs?: number;
  retryMs?: number;
  /** How often a handed-on hook is checked for having run. */
  pollMs?: number;
  logger: Logger;
}

const key = (unit: string, container: string) => `${unit}\u0000${container}`;

export class NoticeWatcher {
  private readonly loops = new Map<string, { abort: AbortController; done: Promise<void> }>();
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly options: NoticeWatcherOptions) {}

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.reconcile(), this.options.intervalMs);
    this.timer.unref();
    this.reconcile();
  }

  /** Start a loop for each newly watched container, end those no longer watched. */
  reconcile(): void {
    if (!this.timer) return;
    const wanted = new Map(this.options.watched().map((w) => [key(w.unit, w.container), w]));
    for (const [k, loop] of this.loops) {
      if (wanted.has(k)) continue;
      loop.abort.abort();
      this.loops.delete(k);
    }
    for (const [k, { unit, container }] of wanted) {
      if (this.loops.has(k)) continue;
      const abort = new AbortController();
      this.loops.set(k, { abort, done: this.loop(unit, container, abort.signal) });
    }
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    const loops = [...this.loops.values()];
    this.loops.clear();
    for (const loop of loops) loop.abort.abort();
    await Promise.all(loops.map((l) => l.done));
  }

  private async loop(unit: string, container: string, signal: AbortSignal): Promise<void> {
    const { waitMs = 30_000, retryMs = 1_000, pollMs = 100 } = this.options;
    try {
      while (!signal.aborted) {
        // One notice at a time: a hook handed on earlier (perhaps by an earlier daemon) runs first.
        while (this.options.pending(unit, container)) await sleep(pollMs, undefined, { signal });
        let notices: WorkloadNotice[];
        try {
          notices = await this.options.notices.wait(unit, container, { after: this.options.after(unit, container), waitMs, signal });
        } catch (error) {
          if (signal.aborted) return;
          this.options.logger.debug({ unit, container, err: errorMessage(error) }, 'cannot wait for Pebble notices; trying again');
          await sleep(retryMs, undefined, { signal });
          continue;
        }
        for (const notice of notices) {
          if (signal.aborted) return;
          this.options.onNotice(unit, container, notice);
          while (this.options.pending(unit, container)) await sleep(pollMs, undefined, { signal });
        }
      }
    } catch (error) {
      if (!signal.aborted) this.options.logger.error({ unit, container, err: errorMessage(error) }, 'Pebble notice watch failed');
    }
  }
}
