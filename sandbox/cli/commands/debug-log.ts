import { open, readdir } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { readDebugLog, type DebugLogEntry } from '../../controller/debug-log.ts';
import { listPods, type Pod } from '../../pods/index.ts';
import { PebbleProcess } from '../../runtime/pebble-process.ts';
import { unitOfPod } from '../../runtime/paths.ts';
import { unixGet, unixStreamLines } from '../../runtime/unix-http.ts';
import { parse, positiveInt } from '../args.ts';
import type { CliContext } from '../context.ts';
import { debugEntryLine, formatLine, LEVEL_ORDER, type LogLine, pebbleLogLine } from '../log-format.ts';

export const DEBUG_LOG_USAGE = 'debug-log [--unit U ...] [--replay | --lines N] [--tail] [--level INFO] [--no-workload]';

/**
 * `debug-log`: the units' hook output and charm logs (the controller's per-unit debug logs) and
 * their workloads' Pebble service logs, merged by time. The last `--lines` (10) lines, or all
 * with `--replay`; `--tail` keeps following. Reads files and Pebble sockets, not the daemon.
 */
export async function debugLogCommand(ctx: CliContext, argv: string[]): Promise<number> {
  const { values } = parse(argv, {
    unit: { type: 'string', multiple: true },
    replay: { type: 'boolean' },
    lines: { type: 'string', short: 'n' },
    tail: { type: 'boolean' },
    level: { type: 'string' },
    'no-workload': { type: 'boolean' },
  });
  const wanted = new Set(values.unit ?? []);
  const minLevel = Math.max(0, LEVEL_ORDER.indexOf((values.level ?? 'TRACE').toUpperCase() as (typeof LEVEL_ORDER)[number]));
  const keep = (line: LogLine) => (wanted.size === 0 || wanted.has(line.unit)) && LEVEL_ORDER.indexOf(line.level as (typeof LEVEL_ORDER)[number]) >= minLevel;
  const limit = values.replay ? Infinity : positiveInt(values.lines, 'lines', 10);
  const workload = values['no-workload'] !== true;

  const units = await logUnits(ctx);
  const lines: LogLine[] = [];
  for (const unit of units) lines.push(...(await readDebugLog(ctx.paths.debugLogDir, unit)).map(debugEntryLine));
  const pods = workload ? (await listPods(ctx.paths.stateDir).catch(() => [] as Pod[])) : [];
  for (const pod of pods) lines.push(...(await pebbleLines(ctx, pod, Number.isFinite(limit) ? limit : -1)));
  const shown = lines.filter(keep).sort((a, b) => a.time.localeCompare(b.time));
  for (const line of shown.slice(Number.isFinite(limit) ? -limit : 0)) ctx.output.line(formatLine(line));
  if (!values.tail) return 0;
  await follow(ctx, keep, workload);
  return 0;
}

/** Units with a debug log file (`<app>-<n>.log`). */
async function logUnits(ctx: CliContext): Promise<string[]> {
  const files = await readdir(ctx.paths.debugLogDir).catch(() => [] as string[]);
  return files.filter((f) => /-\d+\.log$/.test(f)).map((f) => f.slice(0, -4).replace(/-(\d+)$/, '/$1'));
}

async function pebbleLines(ctx: CliContext, pod: Pod, n: number): Promise<LogLine[]> {
  const unit = unitOfPod(pod);
  const result: LogLine[] = [];
  for (const container of await readdir(ctx.paths.pebbleDir(pod.name)).catch(() => [] as string[])) {
    try {
      const response = await unixGet(await new PebbleProcess(ctx.paths, pod, container).socket(), `/v1/logs?n=${n}`, 2_000);
      for (const raw of response.body.split('\n')) {
        const line = pebbleLogLine(unit, container, raw);
        if (line) result.push(line);
      }
    } catch {
      // Pebble not running: its service logs are gone with it
    }
  }
  return result;
}

/** Print new debug-log lines and Pebble output as they come, until interrupted. */
async function follow(ctx: CliContext, keep: (line: LogLine) => boolean, workload: boolean): Promise<void> {
  const offsets = new Map<string, number>();
  for (const unit of await logUnits(ctx)) offsets.set(unit, await sizeOf(logFile(ctx, unit)));
  const streams = new Map<string, AbortController>();
  const stop = new AbortController();
  process.once('SIGINT', () => stop.abort());
  while (!stop.signal.aborted) {
    for (const unit of await logUnits(ctx)) {
      const from = offsets.get(unit) ?? 0;
      const { text, end } = await readFrom(logFile(ctx, unit), from);
      offsets.set(unit, end);
      for (const raw of text.split('\n').filter((l) => l !== '')) {
        const line = debugEntryLine(JSON.parse(raw) as DebugLogEntry);
        if (keep(line)) ctx.output.line(formatLine(line));
      }
    }
    if (workload) {
      for (const pod of await listPods(ctx.paths.stateDir).catch(() => [] as Pod[])) {
        for (const container of await readdir(ctx.paths.pebbleDir(pod.name)).catch(() => [] as string[])) {
          const key = `${pod.name}/${container}`;
          if (streams.has(key)) continue;
          const abort = new AbortController();
          streams.set(key, abort);
          stop.signal.addEventListener('abort', () => abort.abort(), { once: true });
          const socket = await new PebbleProcess(ctx.paths, pod, container).socket();
          void unixStreamLines(socket, '/v1/logs?follow=true&n=0', (raw) => {
            const line = pebbleLogLine(unitOfPod(pod), container, raw);
            if (line && keep(line)) ctx.output.line(formatLine(line));
          }, abort.signal).then(() => streams.delete(key));
        }
      }
    }
    await sleep(300);
  }
}

function logFile(ctx: CliContext, unit: string): string {
  return path.join(ctx.paths.debugLogDir, `${unit.replace('/', '-')}.log`);
}

async function sizeOf(file: string): Promise<number> {
  return (await readFrom(file, Number.MAX_SAFE_INTEGER)).end;
}

/** Whole lines from byte `from` on; `end` is where the next read starts. */
async function readFrom(file: string, from: number): Promise<{ text: string; end: number }> {
  let handle;
  try {
    handle = await open(file, 'r');
  } catch {
    return { text: '', end: 0 };
  }
  try {
    const { size } = await handle.stat();
    const start = Math.min(from, size);
    const buffer = Buffer.alloc(size - start);
    await handle.read(buffer, 0, buffer.length, start);
    const text = buffer.toString('utf8');
    const cut = text.lastIndexOf('\n') + 1;
    return { text: text.slice(0, cut), end: start + Buffer.byteLength(text.slice(0, cut)) };
  } finally {
    await handle.close();
  }
}
