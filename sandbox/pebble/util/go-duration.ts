/**
 * Go `time.Duration` text, both ways. Pebble speaks Go durations on the wire ("30.000s" in,
 * "1m30s"/"500ms" out) and the exact spelling shows up in error messages, so the JavaScript
 * duration libraries (which accept other grammars and print other forms) would not do.
 * Durations are carried as nanoseconds in a double: exact up to ~104 days, plenty here.
 */
import { PebbleError } from '../errors.ts';

export const NS = 1;
export const US = 1_000;
export const MS = 1_000_000;
export const SECOND = 1_000_000_000;
export const MINUTE = 60 * SECOND;
export const HOUR = 60 * MINUTE;

const UNITS: Record<string, number> = {
  ns: NS,
  us: US,
  'µs': US, // U+00B5 micro sign
  'μs': US, // U+03BC Greek mu
  ms: MS,
  s: SECOND,
  m: MINUTE,
  h: HOUR,
};

export class DurationError extends PebbleError {
  constructor(message: string) {
    super('pebble-invalid-duration', message);
  }
}

/** Go's strconv.Quote for the ASCII-ish strings that reach error messages. */
export function goQuote(s: string): string {
  return JSON.stringify(s);
}

/** Parse like Go's time.ParseDuration; returns nanoseconds. */
export function parseGoDuration(input: string): number {
  const invalid = () => new DurationError(`time: invalid duration ${goQuote(input)}`);
  let s = input;
  let negative = false;
  if (s.startsWith('-') || s.startsWith('+')) {
    negative = s.startsWith('-');
    s = s.slice(1);
  }
  if (s === '0') return 0;
  if (s === '') throw invalid();
  let total = 0;
  while (s !== '') {
    const number = /^(\d*)(?:\.(\d*))?/.exec(s);
    const whole = number?.[1] ?? '';
    const fraction = number?.[2];
    if (whole === '' && (fraction === undefined || fraction === '')) throw invalid();
    s = s.slice(number?.[0].length ?? 0);
    const unitMatch = /^[^\d.]+/.exec(s);
    if (!unitMatch) throw new DurationError(`time: missing unit in duration ${goQuote(input)}`);
    const unitName = unitMatch[0];
    const unit = UNITS[unitName];
    if (unit === undefined) {
      throw new DurationError(`time: unknown unit ${goQuote(unitName)} in duration ${goQuote(input)}`);
    }
    s = s.slice(unitName.length);
    let value = Number(whole === '' ? '0' : whole) * unit;
    if (fraction) value += Math.round(Number(`0.${fraction}`) * unit);
    total += value;
  }
  return negative ? -total : total;
}

/** Digits of v / 10^prec after the point, trailing zeros dropped ('' when none). */
function fractionDigits(v: number, prec: number): string {
  const scale = 10 ** prec;
  const frac = v % scale;
  if (frac === 0) return '';
  return `.${String(frac).padStart(prec, '0').replace(/0+$/, '')}`;
}

/** Format like Go's Duration.String: "0s", "500ms", "1.5s", "1m30s", "168h0m0s". */
export function formatGoDuration(ns: number): string {
  const negative = ns < 0;
  const u = Math.round(Math.abs(ns));
  let out: string;
  if (u === 0) return '0s';
  if (u < US) out = `${u}ns`;
  else if (u < MS) out = `${Math.floor(u / US)}${fractionDigits(u, 3)}µs`;
  else if (u < SECOND) out = `${Math.floor(u / MS)}${fractionDigits(u, 6)}ms`;
  else {
    const totalSeconds = Math.floor(u / SECOND);
    const secondsPart = `${totalSeconds % 60}${fractionDigits(u, 9)}s`;
    const totalMinutes = Math.floor(totalSeconds / 60);
    if (totalMinutes === 0) out = secondsPart;
    else {
      const hours = Math.floor(totalMinutes / 60);
      out = `${hours > 0 ? `${hours}h` : ''}${totalMinutes % 60}m${secondsPart}`;
    }
  }
  return negative ? `-${out}` : out;
}

/** Optional duration query/body parameter: '' means 0 (Pebble's parseOptionalDuration). */
export function parseOptionalDuration(s: string | undefined | null): number {
  if (s === undefined || s === null || s === '') return 0;
  return parseGoDuration(s);
}

export const nsToMs = (ns: number): number => ns / MS;
