import { readFile } from 'node:fs/promises';
import type { ScenarioResult as Scenario } from '../../tests/integration/cluster/chaos-results.ts';

/**
 * The README's chaos table from bench/results/chaos.json, which the chaos suite writes
 * (`CHAOS_RESULTS=bench/results/chaos.json npx vitest run --project integration
 * tests/integration/cluster/chaos.test.ts`): `npx tsx bench/chaos/table.ts [file]`.
 */
const file = process.argv[2] ?? 'bench/results/chaos.json';
const { scenarios } = JSON.parse(await readFile(file, 'utf8')) as { scenarios: Record<string, Scenario> };
const cell = (v: number | null): string => (v === null ? '–' : v.toFixed(1));
const lines = [
  '| scenario | longest write gap (s) | to a writable primary (s) | to all active (s) | acknowledged | lost | duplicated | note |',
  '| --- | --- | --- | --- | --- | --- | --- | --- |',
  ...Object.entries(scenarios).map(
    ([name, s]) => `| ${name} | ${cell(s.longestWriteGapS)} | ${cell(s.writablePrimaryS)} | ${cell(s.allActiveS)} | ${s.acknowledged} | ${s.lost} | ${s.duplicated} | ${s.note ?? ''} |`,
  ),
];
process.stdout.write(`${lines.join('\n')}\n`);
