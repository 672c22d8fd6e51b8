/**
 * A service's captured output: timestamped lines in a byte-bounded ring (Pebble keeps 100 KiB
 * per service), with listeners for `GET /v1/logs?follow=true`.
 */
import { nowNs } from '../util/go-time.ts';

export interface LogEntry {
  time: bigint;
  service: string;
  message: string;
}

const MAX_BYTES = 100 * 1024;

export class LogBuffer {
  private readonly entries: LogEntry[] = [];
  private bytes = 0;
  private partial = '';
  private readonly listeners = new Set<(entry: LogEntry) => void>();

  constructor(readonly service: string) {}

  /** Feed raw output; complete lines become entries, a trailing partial line waits. */
  write(chunk: Buffer | string): void {
    const text = this.partial + chunk.toString();
    const lines = text.split('\n');
    this.partial = lines.pop() ?? '';
    for (const line of lines) this.push(line);
  }

  /** Flush a trailing partial line (the process exited without a final newline). */
  flush(): void {
    if (this.partial === '') return;
    const line = this.partial;
    this.partial = '';
    this.push(line);
  }

  private push(message: string): void {
    const entry: LogEntry = { time: nowNs(), service: this.service, message };
    this.entries.push(entry);
    this.bytes += message.length + 40;
    while (this.bytes > MAX_BYTES && this.entries.length > 1) {
      const dropped = this.entries.shift() as LogEntry;
      this.bytes -= dropped.message.length + 40;
    }
    for (const listener of this.listeners) listener(entry);
  }

  all(): LogEntry[] {
    return [...this.entries];
  }

  /** The last n lines, for the "Most recent service output" task log. */
  lastLines(n: number): string[] {
    const lines = this.entries.slice(-n).map((e) => e.message);
    if (this.partial !== '') lines.push(this.partial);
    return lines.slice(-n);
  }

  subscribe(listener: (entry: LogEntry) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
