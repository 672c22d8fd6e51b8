import { errorMessage } from '../../src/errors.ts';
import type { Logger } from '../../src/logging.ts';
import type { WorkloadProbe } from './runtime.ts';

/**
 * Polls the workload containers of units that ran `start` until their Pebble answers, and says
 * so once per container (Juju fires `<container>-pebble-ready` when the container comes up).
 */

export interface WorkloadWatcherOptions {
  probe: WorkloadProbe;
  intervalMs: number;
  /** The containers still awaited. */
  awaited: () => Array<{ unit: string; container: string }>;
  onReady: (unit: string, container: string) => void;
  logger: Logger;
}

export class WorkloadWatcher {
  private timer: NodeJS.Timeout | null = null;
  private polling: Promise<void> | null = null;

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

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.polling;
  }

  private async pollOnce(): Promise<void> {
    await Promise.all(
      this.options.awaited().map(async ({ unit, container }) => {
        let ready = false;
        try {
          ready = await this.options.probe.pebbleReady(unit, container);
        } catch (error) {
          this.options.logger.debug({ unit, container, err: errorMessage(error) }, 'workload probe failed');
        }
        if (ready && this.timer) this.options.onReady(unit, container);
      }),
    );
  }
}
