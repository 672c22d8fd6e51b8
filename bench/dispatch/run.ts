/**
 * Cold-dispatch benchmark: how much does one hook cost on top of starting Node at all?
 *
 * Unpacks the packed .charm, puts cheap shell-script hook tools first on PATH (counted, so they
 * are not mistaken for charm overhead), and alternates, round by round in this one process run,
 * the charm's `dispatch`, an unhandled hook, `node -e 0`, and a bare Node making the same tool
 * calls (tool-calls.cjs), all on the Node binary the charm ships. Each run is wrapped
 * in GNU time for CPU and peak RSS; wall time is measured here with hrtime.
 *
 * Usage: npm run bench:dispatch [-- --runs 25 --hook install]
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { fakeHookEnvironment } from '../../scripts/fake-hook-tools.mjs';
import { spread, summarise, type Sample, type Summary } from './stats.ts';

const { values } = parseArgs({
  options: { runs: { type: 'string', default: '25' }, hook: { type: 'string', default: 'install' } },
});
const runs = Number(values.runs);
const hook = values.hook!;
const repo = resolve(import.meta.dirname, '../..');

const charmFile = readdirSync(repo).find((f) => f.endsWith('.charm'));
if (!charmFile) throw new Error('no .charm in the repository root: run `npm run pack` first');

const work = mkdtempSync(join(tmpdir(), 'bench-dispatch-'));
try {
  const charmDir = join(work, 'charm');
  const toolsDir = join(work, 'tools');
  mkdirSync(toolsDir);
  const unzip = spawnSync('unzip', ['-q', join(repo, charmFile), '-d', charmDir]);
  if (unzip.status !== 0) throw new Error(`unzip failed: ${unzip.stderr}`);

  const toolLog = join(work, 'tools.log');
  const env = {
    ...process.env,
    ...fakeHookEnvironment({ hook, charmDir, toolsDir, configJson: join(work, 'config.json'), toolLog }),
  };
  const nodeBin = join(charmDir, 'node/bin/node');

  const measure = (argv: string[], extraEnv: Record<string, string> = {}): Sample => {
    writeFileSync(toolLog, '');
    const started = process.hrtime.bigint();
    const result = spawnSync('/usr/bin/time', ['-f', '%U %S %M', ...argv], { cwd: charmDir, env: { ...env, ...extraEnv }, encoding: 'utf8' });
    const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
    if (result.status !== 0) throw new Error(`${argv.join(' ')} exited ${result.status}: ${result.stderr}`);
    const last = result.stderr.trim().split('\n').at(-1)!.split(' ');
    const toolCalls = readFileSync(toolLog, 'utf8').split('\n').filter(Boolean);
    return {
      wallMs,
      cpuMs: (Number(last[0]) + Number(last[1])) * 1000,
      peakRssKiB: Number(last[2]),
      toolProcesses: toolCalls.length,
      toolCalls,
    };
  };

  const dispatchArgv = [join(charmDir, 'dispatch')];
  const baselineArgv = [nodeBin, '-e', '0'];
  // A hook the charm has no handler for: the whole cold start (load, context, event, dispatcher)
  // with no hook-tool call, i.e. the charm's own overhead on top of starting Node.
  const unhandled = { JUJU_DISPATCH_PATH: 'hooks/leader-deposed', JUJU_HOOK_NAME: 'leader-deposed' };
  // "The tool calls themselves": the same calls made by a bare Node process with child_process,
  // which is what they cost any Node program on this machine (a fork of Node, the tool, its exit).
  // The stand-in tools log argv joined by spaces, so a message argument comes back as several;
  // the tools answer the same whatever their arguments, so the cost is the hook's.
  const hookToolCalls = measure(dispatchArgv).toolCalls;
  const toolCallsArgv = [nodeBin, join(import.meta.dirname, 'tool-calls.cjs'), JSON.stringify(hookToolCalls.map((call) => call.split(' ')))];
  for (let i = 0; i < 3; i++) {
    measure(dispatchArgv);
    measure(dispatchArgv, unhandled);
    measure(baselineArgv);
    measure(toolCallsArgv);
  }
  const dispatchSamples: Sample[] = [];
  const startSamples: Sample[] = [];
  const baselineSamples: Sample[] = [];
  const toolCallSamples: Sample[] = [];
  for (let i = 0; i < runs; i++) {
    dispatchSamples.push(measure(dispatchArgv));
    startSamples.push(measure(dispatchArgv, unhandled));
    baselineSamples.push(measure(baselineArgv));
    toolCallSamples.push(measure(toolCallsArgv));
  }

  const dispatch = summarise(dispatchSamples);
  const start = summarise(startSamples);
  const baseline = summarise(baselineSamples);
  const toolCallsFromNode = summarise(toolCallSamples);
  if (toolCallsFromNode.toolProcesses !== dispatch.toolProcesses) {
    throw new Error(`the tool-call baseline ran ${toolCallsFromNode.toolProcesses} tools, the hook ${dispatch.toolProcesses}`);
  }
  // Per round: what the tool calls add to a bare Node process.
  const toolCallsCostMs = toolCallSamples.map((t, i) => t.wallMs - baselineSamples[i]!.wallMs);
  const toolCostMs = spread(toolCallsCostMs).median / Math.max(1, dispatch.toolProcesses);
  // What each call costs from inside the charm (spawn, the tool, parsing its answer): the hook
  // less the unhandled one, per call.
  const perToolCallMs = (dispatch.wallMs.median - start.wallMs.median) / Math.max(1, dispatch.toolProcesses);
  const report = {
    date: new Date().toISOString(),
    hook,
    runs,
    node: process.version,
    charmFile,
    dispatch,
    coldStartNoTools: start,
    baseline,
    toolCallsFromNode,
    toolCallCostFromNodeMsEach: round(toolCostMs),
    toolCallCostInCharmMsEach: round(perToolCallMs),
    toolCalls: dispatchSamples[0]!.toolCalls,
    // Ratios are medians of per-round ratios: each round runs the three commands back to back, so
    // a slow spell of the machine (a shared VM) shifts both sides of a ratio, not one.
    ratio: {
      wall: round(pairedMedianRatio(dispatchSamples, baselineSamples)),
      coldStart: round(pairedMedianRatio(startSamples, baselineSamples)),
      // The target read literally: the hook, less what its tool calls cost a bare Node.
      hookLessToolCalls: round(
        spread(dispatchSamples.map((d, i) => (d.wallMs - toolCallsCostMs[i]!) / baselineSamples[i]!.wallMs)).median,
      ),
      cpu: round(dispatch.cpuMs.median / baseline.cpuMs.median),
      peakRss: round(dispatch.peakRssKiB.median / baseline.peakRssKiB.median),
    },
    target: 'hookLessToolCalls < 1.5 and coldStart < 1.5',
  };
  printReport(report.dispatch, start, report.baseline, toolCallsFromNode, report.ratio, report.toolCalls, toolCostMs, perToolCallMs);
  mkdirSync(join(repo, 'bench/results'), { recursive: true });
  const out = join(repo, 'bench/results', `dispatch-${hook}.json`);
  writeFileSync(out, JSON.stringify(report, null, 2) + '\n');
  process.stdout.write(`results: ${out}\n`);
} finally {
  rmSync(work, { recursive: true, force: true });
}

function pairedMedianRatio(samples: Sample[], baselines: Sample[]): number {
  return spread(samples.map((sample, i) => sample.wallMs / baselines[i]!.wallMs)).median;
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}

function printReport(
  dispatch: Summary,
  start: Summary,
  baseline: Summary,
  toolCallsFromNode: Summary,
  ratio: Record<string, number>,
  toolCalls: string[],
  toolCostMs: number,
  perToolCallMs: number,
): void {
  const row = (name: string, s: Summary) =>
    `${name.padEnd(16)} wall ${fmt(s.wallMs)} ms   cpu ${fmt(s.cpuMs)} ms   peak RSS ${fmt(s.peakRssKiB)} KiB`;
  const lines = [
    row(`hook ${hook}`, dispatch),
    row('unhandled hook', start),
    row('node -e 0', baseline),
    row('node + its tools', toolCallsFromNode),
    `hook-tool processes per ${hook}: ${dispatch.toolProcesses}: ${toolCalls.join(' | ')}`,
    `each tool call costs ~${perToolCallMs.toFixed(1)} ms inside the charm, ~${toolCostMs.toFixed(1)} ms from a bare Node`,
    `ratio (median of rounds) to node -e 0, target < 1.5x: ${hook} hook less its tool calls ${ratio['hookLessToolCalls']}x, cold start ${ratio['coldStart']}x; whole ${hook} hook ${ratio['wall']}x, cpu ${ratio['cpu']}x, peak RSS ${ratio['peakRss']}x`,
  ];
  process.stdout.write(lines.join('\n') + '\n');
}

function fmt(s: { min: number; median: number; max: number }): string {
  return `min ${s.min.toFixed(1)} / med ${s.median.toFixed(1)} / max ${s.max.toFixed(1)}`;
}
