import { errorMessage } from '../../src/errors.ts';
import type { Logger } from '../../src/logging.ts';
import type { PebbleProcess } from './pebble-process.ts';

/**
 * The kubelet's part for the workload containers: each unit's Pebble is watched, and one that
 * died is started again in its pod, with the kubelet's crash-loop backoff: at once the first
 * time, then after 10 s, doubling up to 5 min, back to "at once" after 10 min without a crash.
 * Juju's side (pebble-ready again once the new Pebble answers) is the controller's.
 */

export interface RestartBackoff {
  initialMs: number;
  maxMs: number;
  /** A container that ran this long since its last restart counts as healthy again. */
  resetAfterMs: number;
}

export const KUBELET_BACKOFF: RestartBackoff = { initialMs: 10_000, maxMs: 300_000, resetAfterMs: 600_000 };

export interface PebbleSupervisorOptions {
  /** Every Pebble that should be running now, with its unit. */
  pebbles: () => Array<{ unit: string; pebble: PebbleProcess }>;
  /** Runs a check under the runtime's lock, so no pod is created, removed or killed meanwhile. */
  exclusive: (work: () => Promise<void>) => Promise<void>;
  intervalMs?: number;
  backoff?: RestartBackoff;
  logger: Logger;
}

interface Restarts {
  count: number;
  lastStartAt: number;
  /** When a dead Pebble may be started again; null while it runs. */
  due: number | null;
}

export class PebbleSupervisor {
  private readonly restarts = new Map<string, Restarts>();
  private timer: NodeJS.Timeout | null = null;
  private checking: Promise<void> | null = null;

  constructor(private readonly options: PebbleSupervisorOptions) {}

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.check(), this.options.intervalMs ?? 1_000);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.checking;
  }

  /** One round: restart the Pebbles that died and whose backoff is over. */
  check(): Promise<void> {
    this.checking ??= this.options
      .exclusive(() => this.checkAll())
      .catch((error: unknown) => this.options.logger.error({ err: errorMessage(error) }, 'pebble supervision failed'))
      .finally(() => {
        this.checking = null;
      });
    return this.checking;
  }

  private async checkAll(): Promise<void> {
    const seen = new Set<string>();
    for (const { unit, pebble } of this.options.pebbles()) {
      const key = `${pebble.pod.name}/${pebble.container}`;
      seen.add(key);
      if ((await pebble.pid()) !== null) continue;
      const now = Date.now();
      const state = this.restarts.get(key) ?? { count: 0, lastStartAt: 0, due: null };
      this.restarts.set(key, state);
      if (state.due === null) {
        if (now - state.lastStartAt >= (this.options.backoff ?? KUBELET_BACKOFF).resetAfterMs) state.count = 0;
        state.due = now + this.delay(state.count);
        this.options.logger.warn({ unit, container: pebble.container, restartInMs: state.due - now }, 'pebble died');
      }
      if (now < state.due) continue;
      try {
        await pebble.ensure(this.options.logger);
        state.count += 1;
        state.lastStartAt = now;
        state.due = null;
        this.options.logger.warn({ unit, container: pebble.container, restarts: state.count }, 'pebble restarted');
      } catch (error) {
        state.due = now + this.delay(state.count + 1);
        this.options.logger.error({ unit, container: pebble.container, err: errorMessage(error) }, 'cannot restart pebble');
      }
    }
    for (const key of this.restarts.keys()) if (!seen.has(key)) this.restarts.delete(key); // pod gone
  }

  private delay(restarts: number): number {
    if (restarts === 0) return 0;
    const { initialMs, maxMs } = this.options.backoff ?? KUBELET_BACKOFF;
    return Math.min(maxMs, initialMs * 2 ** (restarts - 1));
  }
}
