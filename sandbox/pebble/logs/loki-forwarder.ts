/**
 * Log forwarding to Loki, the part of Pebble's log targets the sandbox needs
 * (canonical/pebble docs/reference/log-forwarding.md, internals/overlord/logstate): every
 * `type: loki` target of the plan receives the output of the services it selects, as Loki push
 * API requests (`POST <location>` with `{"streams": [{"stream": labels, "values": [[ns, line]]}]}`),
 * each stream labelled with the target's `labels` and `pebble_service`. Services are selected as
 * Pebble does: `all`, a name, `-name` and `-all`, applied in order. Lines are batched and sent at
 * most once a second; a failed push is retried with the next batch, lines beyond the buffer are
 * dropped (Pebble drops too when Loki is unreachable for long).
 */
import type { Logger } from '../../../src/logging.ts';
import type { LogBuffer, LogEntry } from '../services/log-buffer.ts';
import type { LogTarget, Plan } from '../plan/types.ts';

const FLUSH_INTERVAL_MS = 1000;
const MAX_PENDING_PER_TARGET = 5000;
const PUSH_TIMEOUT_MS = 5000;

/** Whether `target` selects `service`: Pebble's rules, later entries overriding earlier ones. */
export function targetSelects(target: Pick<LogTarget, 'services'>, service: string): boolean {
  let selected = false;
  for (const entry of target.services ?? []) {
    if (entry === 'all') selected = true;
    else if (entry === '-all') selected = false;
    else if (entry === service) selected = true;
    else if (entry === `-${service}`) selected = false;
  }
  return selected;
}

/** One Loki push request body for `entries`, grouped into one stream per service. */
export function lokiPushBody(entries: readonly LogEntry[], labels: Readonly<Record<string, string>>): string {
  const streams = new Map<string, [string, string][]>();
  for (const entry of entries) {
    const values = streams.get(entry.service) ?? [];
    values.push([entry.time.toString(), entry.message]);
    streams.set(entry.service, values);
  }
  return JSON.stringify({ streams: [...streams].map(([service, values]) => ({ stream: { ...labels, pebble_service: service }, values })) });
}

interface TargetState {
  readonly key: string;
  readonly target: LogTarget;
  readonly selected: string[];
  pending: LogEntry[];
  /** Buffers subscribed to; a service started after the plan change is added on the next tick. */
  readonly subscribed: Map<LogBuffer, () => void>;
}

export class LokiForwarder {
  private readonly targets = new Map<string, TargetState>();
  private timer: NodeJS.Timeout | undefined;
  private flushing = false;

  constructor(
    private readonly buffers: (services: string[]) => LogBuffer[],
    private readonly logger: Logger,
  ) {}

  /** Re-read the plan's loki targets and what they select; keeps pending lines of unchanged targets. */
  planChanged(plan: Plan): void {
    const services = Object.keys(plan.services);
    const wanted = new Map<string, { key: string; target: LogTarget; selected: string[] }>();
    for (const [name, target] of Object.entries(plan.logTargets)) {
      if (target.type !== 'loki' || !target.location) continue;
      const selected = services.filter((service) => targetSelects(target, service)).sort();
      wanted.set(name, { key: JSON.stringify([target.location, target.labels ?? {}, selected]), target, selected });
    }
    for (const [name, state] of this.targets) {
      if (wanted.get(name)?.key === state.key) continue;
      for (const unsubscribe of state.subscribed.values()) unsubscribe();
      this.targets.delete(name);
    }
    for (const [name, { key, target, selected }] of wanted) {
      if (this.targets.has(name)) continue;
      const state: TargetState = { key, target, selected, pending: [], subscribed: new Map() };
      this.attach(state);
      this.targets.set(name, state);
    }
    if (this.targets.size > 0 && this.timer === undefined) {
      this.timer = setInterval(() => void this.flush(), FLUSH_INTERVAL_MS);
      this.timer.unref();
    } else if (this.targets.size === 0) this.stop();
  }

  private attach(state: TargetState): void {
    for (const buffer of this.buffers(state.selected)) {
      if (state.subscribed.has(buffer)) continue;
      const unsubscribe = buffer.subscribe((entry) => {
        state.pending.push(entry);
        if (state.pending.length > MAX_PENDING_PER_TARGET) state.pending.splice(0, state.pending.length - MAX_PENDING_PER_TARGET);
      });
      state.subscribed.set(buffer, unsubscribe);
    }
  }

  private async flush(): Promise<void> {
    if (this.flushing) return;
    this.flushing = true;
    try {
      for (const [name, state] of this.targets) {
        this.attach(state);
        if (state.pending.length === 0) continue;
        const batch = state.pending.splice(0, state.pending.length);
        try {
          const response = await fetch(state.target.location as string, {
            method: 'POST',
            headers: { 'Content-Type': 'application/json' },
            body: lokiPushBody(batch, state.target.labels ?? {}),
            signal: AbortSignal.timeout(PUSH_TIMEOUT_MS),
          });
          if (!response.ok) throw new Error(`HTTP ${response.status}`);
        } catch (err) {
          state.pending.unshift(...batch.slice(-MAX_PENDING_PER_TARGET + state.pending.length));
          this.logger.warn({ target: name, err }, 'cannot push logs to Loki; will retry');
        }
      }
    } finally {
      this.flushing = false;
    }
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }
}
