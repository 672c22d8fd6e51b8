/**
 * Timestamps as Pebble prints them. Go marshals time.Time as RFC3339 with nanoseconds (trailing
 * zeros trimmed); notices are filtered with `after` strictly-greater comparisons, so timestamps
 * carry nanoseconds and are strictly increasing within this process (two notices added in the
 * same millisecond must still be ordered).
 */
import { PebbleError } from '../errors.ts';

const originWallNs = BigInt(Date.now()) * 1_000_000n;
const originHr = process.hrtime.bigint();
let lastNs = 0n;

/** Wall-clock nanoseconds since the epoch, strictly increasing. */
export function nowNs(): bigint {
  let now = originWallNs + (process.hrtime.bigint() - originHr);
  if (now <= lastNs) now = lastNs + 1n;
  lastNs = now;
  return now;
}

function isoSeconds(ns: bigint): string {
  const ms = Number(ns / 1_000_000n);
  return new Date(ms).toISOString().slice(0, 19);
}

/** RFC3339 with trimmed nanoseconds, UTC: Go's time.Time JSON encoding. */
export function formatRfc3339Nano(ns: bigint): string {
  const frac = ns % 1_000_000_000n;
  const digits = frac === 0n ? '' : `.${frac.toString().padStart(9, '0').replace(/0+$/, '')}`;
  return `${isoSeconds(ns)}${digits}Z`;
}

/** RFC3339 to the second, UTC (task log lines, file last-modified). */
export function formatRfc3339(ns: bigint): string {
  return `${isoSeconds(ns)}Z`;
}

export const msToNs = (ms: number): bigint => BigInt(Math.round(ms * 1_000_000));

export class TimeParseError extends PebbleError {
  constructor(message: string) {
    super('pebble-invalid-time', message);
  }
}

/** Parse an RFC3339 timestamp (any fractional precision, any offset) to epoch nanoseconds. */
export function parseRfc3339(s: string): bigint {
  const m = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/.exec(s);
  if (!m) {
    throw new TimeParseError(
      `parsing time ${JSON.stringify(s)} as "2006-01-02T15:04:05Z07:00": cannot parse ${JSON.stringify(s)} as "2006"`,
    );
  }
  const [, y, mo, d, h, mi, sec, frac, , sign, offH, offM] = m;
  const baseMs = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(sec));
  let ns = BigInt(baseMs) * 1_000_000n + BigInt((frac ?? '').padEnd(9, '0') || '0');
  if (sign) {
    const offsetNs = BigInt((Number(offH) * 60 + Number(offM)) * 60) * 1_000_000_000n;
    ns = sign === '+' ? ns - offsetNs : ns + offsetNs;
  }
  return ns;
}
