/**
 * Hook durations from the sandbox's debug log: the controller's end line of every dispatch
 * (`ran "<hook>" hook (via hook dispatching script: dispatch): exit code 0 (212 ms)`, or
 * `... failed: ... (N ms)`), grouped by hook kind, and the charm's own `reconciled` line, whose
 * `timings` say which reconcile step the time went to.
 */
import type { DebugLogEntry } from '../../sandbox/controller/debug-log.ts';

export interface Dispatch {
  readonly unit: string;
  /** The hook name, or `action:<name>`. */
  readonly kind: string;
  /** Epoch ms of the end line. */
  readonly endedAt: number;
  readonly ms: number;
  readonly ok: boolean;
  /** The reconcile's step timings when the dispatch logged one. */
  readonly timings?: Readonly<Record<string, number>>;
}

export interface Distribution {
  readonly n: number;
  readonly medianMs: number;
  readonly p95Ms: number;
  readonly maxMs: number;
}

const END = /^(?:ran )?"([^"]+)" (hook|action) .*\((\d+) ms\)$/;

/** The dispatches of one unit's debug log, each with the step timings its reconcile logged. */
export function dispatchesOf(unit: string, entries: readonly DebugLogEntry[]): Dispatch[] {
  const out: Dispatch[] = [];
  let timings: Record<string, number> | undefined;
  for (const entry of entries) {
    if (entry.stream === 'stderr' && entry.line.includes('"reconciled"')) {
      try {
        const parsed = JSON.parse(entry.line) as { msg?: string; timings?: [string, number][] };
        if (parsed.msg === 'reconciled' && Array.isArray(parsed.timings)) timings = Object.fromEntries(parsed.timings);
      } catch {
        // not a pino line
      }
      continue;
    }
    if (entry.stream !== 'controller') continue;
    const match = END.exec(entry.line);
    if (match === null) continue;
    const kind = match[2] === 'action' ? `action:${match[1]!}` : match[1]!;
    out.push({
      unit,
      kind,
      endedAt: Date.parse(entry.time),
      ms: Number(match[3]),
      ok: entry.line.includes('exit code 0'),
      ...(timings === undefined ? {} : { timings }),
    });
    timings = undefined;
  }
  return out;
}

/** Nearest-rank percentile of `values` (0 < p ≤ 100). */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length))) - 1]!;
}

export function distribution(values: readonly number[]): Distribution {
  return { n: values.length, medianMs: percentile(values, 50), p95Ms: percentile(values, 95), maxMs: Math.max(...values) };
}

/** Median, p95 and max per key of `groupBy`, largest max first. */
export function byKind(dispatches: readonly Dispatch[]): Record<string, Distribution> {
  const groups = new Map<string, number[]>();
  for (const d of dispatches) groups.set(d.kind, [...(groups.get(d.kind) ?? []), d.ms]);
  return Object.fromEntries([...groups].map(([kind, ms]) => [kind, distribution(ms)] as const).sort((a, b) => b[1].maxMs - a[1].maxMs));
}

/** The same per reconcile step, over every dispatch that logged step timings. */
export function bySteps(dispatches: readonly Dispatch[]): Record<string, Distribution> {
  const groups = new Map<string, number[]>();
  for (const d of dispatches) for (const [step, ms] of Object.entries(d.timings ?? {})) groups.set(step, [...(groups.get(step) ?? []), ms]);
  return Object.fromEntries([...groups].map(([step, ms]) => [step, distribution(ms)] as const).sort((a, b) => b[1].maxMs - a[1].maxMs));
}
