import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { ReplicatedCheck, WriteReport } from '../../support/continuous-writes.ts';

/**
 * What each chaos scenario measured, for bench/results/chaos.json and the README's table. With
 * $CHAOS_RESULTS set to a file, `flush` merges this run's scenarios into it (a scenario measured
 * again replaces its entry; the others stay, so the cluster test files can share one file).
 * Times are seconds from the fault; null when the scenario did not get that far or does not
 * change the primary.
 */
export interface ScenarioResult {
  /** Longest stretch without an acknowledged write while the writer ran. */
  longestWriteGapS: number;
  /** Fault → first acknowledged write after it on a primary (the same or a new one). */
  writablePrimaryS: number | null;
  /** Fault (or its undoing, see `note`) → every unit active with the right statuses. */
  allActiveS: number | null;
  acknowledged: number;
  /** Acknowledged writes missing on some member, and writes found twice: both must be 0. */
  lost: number;
  duplicated: number;
  primaries: string[];
  note?: string;
}

const results: Record<string, ScenarioResult> = {};
const seconds = (ms: number): number => Math.round(ms / 100) / 10;

export function recordScenario(
  name: string,
  report: WriteReport,
  checks: Record<string, ReplicatedCheck> | undefined,
  times: { faultAt: number; writableAt?: number; activeAt?: number; note?: string },
): void {
  const all = Object.values(checks ?? {});
  results[name] = {
    longestWriteGapS: seconds(report.longestGapMs),
    writablePrimaryS: times.writableAt === undefined ? null : seconds(times.writableAt - times.faultAt),
    allActiveS: times.activeAt === undefined ? null : seconds(times.activeAt - times.faultAt),
    acknowledged: report.acknowledged.length,
    lost: new Set(all.flatMap((c) => c.missing)).size,
    duplicated: new Set(all.flatMap((c) => c.duplicated)).size,
    primaries: report.primaries,
    ...(times.note === undefined ? {} : { note: times.note }),
  };
}

export async function flushResults(suite: string): Promise<void> {
  const file = process.env['CHAOS_RESULTS'];
  if (file === undefined || file === '' || Object.keys(results).length === 0) return;
  const existing = (await readFile(file, 'utf8').then((t) => JSON.parse(t) as { scenarios?: Record<string, unknown> }).catch(() => ({}))) as {
    scenarios?: Record<string, unknown>;
  };
  const scenarios = { ...(existing.scenarios ?? {}), ...Object.fromEntries(Object.entries(results).map(([k, v]) => [k, { ...v, suite, measuredAt: new Date().toISOString() }])) };
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(
    file,
    `${JSON.stringify(
      {
        description:
          'Chaos scenarios of tests/integration/cluster (CHAOS_RESULTS=<this file>), each on a 3-unit sandbox of the real charm with a writer through the primary: seconds from the fault; lost = acknowledged writes missing on some member, duplicated = writes found twice',
        scenarios,
      },
      null,
      2,
    )}\n`,
  );
}
