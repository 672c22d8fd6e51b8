import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { ProgressEvent } from './event-log.ts';
import { errorCode } from '../../src/errors.ts';

/**
 * Per-unit debug logs, the sandbox's `juju debug-log`: one JSON line per line a dispatch wrote
 * (stdout, stderr) or logged through juju-log, in `<dir>/<app>-<n>.log`.
 */

export interface DebugLogEntry {
  time: string;
  unit: string;
  /** The hook name, or `action:<name>` for an action. */
  hook: string;
  stream: 'stdout' | 'stderr' | 'juju-log' | 'controller';
  line: string;
  level?: string;
}

export function debugLogPath(dir: string, unit: string): string {
  return path.join(dir, `${unit.replace('/', '-')}.log`);
}

export class DebugLog {
  private readonly streams = new Map<string, WriteStream>();

  constructor(readonly dir: string) {
    // Synchronously, so that the lazily opened streams below always find it.
    mkdirSync(dir, { recursive: true });
  }

  write(entry: Omit<DebugLogEntry, 'time'> & { time?: string }): void {
    const { time, ...rest } = entry;
    const line = `${JSON.stringify({ time: time ?? new Date().toISOString(), ...rest })}\n`;
    this.stream(entry.unit).write(line);
  }

  /** Resolves once everything written so far has reached the files. */
  async flush(): Promise<void> {
    await Promise.all([...this.streams.values()].map((s) => new Promise<void>((resolve) => s.write('', () => resolve()))));
  }

  async close(): Promise<void> {
    const streams = [...this.streams.values()];
    this.streams.clear();
    await Promise.all(streams.map((s) => new Promise<void>((resolve) => s.end(() => resolve()))));
  }

  private stream(unit: string): WriteStream {
    let stream = this.streams.get(unit);
    if (!stream) {
      stream = createWriteStream(debugLogPath(this.dir, unit), { flags: 'a', mode: 0o600 });
      stream.on('error', () => undefined); // a lost log line must not crash the controller
      this.streams.set(unit, stream);
    }
    return stream;
  }
}

/** Read a unit's debug log back (for the CLI and tests). */
export async function readDebugLog(dir: string, unit: string): Promise<DebugLogEntry[]> {
  let text: string;
  try {
    text = await readFile(debugLogPath(dir, unit), 'utf8');
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return [];
    throw error;
  }
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as DebugLogEntry);
}

/**
 * What the controller decided about a unit outside any dispatch (a unit added or removed, a
 * leader elected, a hook dropped or skipped), as a debug-log entry; null for everything else
 * (dispatches write their own start and end lines).
 */
export function progressNote(event: ProgressEvent): Omit<DebugLogEntry, 'time'> | null {
  if (event.unit === '') return null;
  const hook = event.hook ?? (event.action === undefined ? '' : `action:${event.action}`);
  switch (event.type) {
    case 'model':
      return { unit: event.unit, hook, stream: 'controller', level: 'INFO', line: event.what };
    case 'dropped':
    case 'skipped':
      return { unit: event.unit, hook, stream: 'controller', level: 'WARNING', line: `${event.what} ${event.type}` };
    default:
      return null;
  }
}
