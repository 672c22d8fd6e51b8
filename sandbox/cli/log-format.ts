import type { DebugLogEntry } from '../controller/debug-log.ts';

/**
 * Lines as `juju debug-log` prints them: `unit-<app>-<n>: HH:MM:SS LEVEL <module> <message>`. Hook
 * stdout is DEBUG and stderr WARNING (docs/hook-tools.md#dispatch), except that the charm's own
 * pino lines on stderr are shown at their level with their message and fields.
 */

const PINO_LEVELS: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARNING', 50: 'ERROR', 60: 'CRITICAL' };
const QUIET_FIELDS = new Set(['level', 'time', 'msg', 'unit', 'dispatch', 'pid', 'hostname', 'component']);

export const LEVEL_ORDER = ['TRACE', 'DEBUG', 'INFO', 'WARNING', 'ERROR', 'CRITICAL'] as const;

function clock(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toISOString().slice(11, 19);
}

function unitTag(unit: string): string {
  return `unit-${unit.replace('/', '-')}`;
}

/** A pino JSON line's level and text, or null when the line is not one. */
function pinoLine(line: string): { level: string; text: string } | null {
  if (!line.startsWith('{')) return null;
  try {
    const record = JSON.parse(line) as Record<string, unknown>;
    if (typeof record['level'] !== 'number') return null;
    const fields = Object.entries(record).filter(([key]) => !QUIET_FIELDS.has(key));
    const extra = fields.length === 0 ? '' : ` ${JSON.stringify(Object.fromEntries(fields))}`;
    return { level: PINO_LEVELS[record['level']] ?? 'INFO', text: `${String(record['msg'] ?? '')}${extra}` };
  } catch {
    return null;
  }
}

export interface LogLine {
  time: string;
  unit: string;
  level: string;
  text: string;
}

export function debugEntryLine(entry: DebugLogEntry): LogLine {
  const module =
    entry.stream === 'controller' ? 'juju.worker.uniter.operation' : `unit.${entry.unit}.${entry.stream === 'juju-log' ? 'juju-log' : entry.hook || 'agent'}`;
  let level: string;
  let message = entry.line;
  switch (entry.stream) {
    case 'juju-log':
      level = (entry.level ?? 'INFO').toUpperCase();
      break;
    case 'controller':
      level = (entry.level ?? 'ERROR').toUpperCase();
      break;
    case 'stdout':
      level = 'DEBUG';
      break;
    default: {
      const pino = pinoLine(entry.line);
      level = pino?.level ?? 'WARNING';
      message = pino?.text ?? entry.line;
    }
  }
  return { time: entry.time, unit: entry.unit, level, text: `${module} ${message}` };
}

/** A Pebble service log line (GET /v1/logs) of a unit's container. */
export function pebbleLogLine(unit: string, container: string, raw: string): LogLine | null {
  try {
    const record = JSON.parse(raw) as { time?: string; service?: string; message?: string };
    if (typeof record.message !== 'string') return null;
    return { time: record.time ?? new Date().toISOString(), unit, level: 'INFO', text: `workload.${container}.${record.service ?? '?'} ${record.message}` };
  } catch {
    return null;
  }
}

export function formatLine(line: LogLine): string {
  return `${unitTag(line.unit)}: ${clock(line.time)} ${line.level} ${line.text}`;
}

export function formatDebugEntry(entry: DebugLogEntry): string {
  return formatLine(debugEntryLine(entry));
}
