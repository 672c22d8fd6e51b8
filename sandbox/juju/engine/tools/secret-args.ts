import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { errorMessage } from '../../../../src/errors.ts';
import { parseSecretUri } from '../../model/names.ts';
import { ROTATE_POLICIES, type Secret } from '../../model/schema.ts';
import type { Invocation } from '../command.ts';
import { HookToolUsageError } from '../errors.ts';
import type { FlagDef } from '../flags.ts';

/**
 * Argument handling shared by secret-add and secret-set (Juju's secretUpsertCommand.Init and
 * core/secrets CreateSecretData): content as `key=value`, `key#base64=...`, `key#file=<path>`
 * or a YAML/JSON --file, keys checked against Juju's rule, values stored base64-encoded.
 */

const KEY_RULE = /^[a-z](?:-?[a-z0-9]){2,}$/;
const MAX_VALUE_BYTES = 1000 * 1000;
const MAX_CONTENT_BYTES = 1000 * 1000;

export const upsertFlags: FlagDef[] = [
  { names: ['expire'], kind: 'string' },
  { names: ['rotate'], kind: 'string' },
  { names: ['description'], kind: 'string' },
  { names: ['label'], kind: 'string' },
  { names: ['file'], kind: 'string' },
  { names: ['owner'], kind: 'string' },
];

export interface UpsertArgs {
  content: Record<string, string>;
  label?: string;
  description?: string;
  rotatePolicy?: NonNullable<Secret['rotatePolicy']>;
  expireTime?: string;
  owner: 'application' | 'unit';
}

// Go accepts both micro signs: U+00B5 and U+03BC.
const DURATION_UNITS_MS: Record<string, number> = { ns: 1e-6, us: 1e-3, '\u00b5s': 1e-3, '\u03bcs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Go's time.ParseDuration, returning milliseconds (null if the text is not a duration). */
export function parseGoDuration(text: string): number | null {
  const match = /^([+-]?)((?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|\u00b5s|\u03bcs|ms|s|m|h))+$/.exec(text);
  // After the sign, a bare "0" is zero.
  if (!match) return /^[+-]?0$/.test(text) ? 0 : null;
  let total = 0;
  for (const part of text.slice(match[1]!.length).matchAll(/(\d+(?:\.\d*)?|\.\d+)(ns|us|\u00b5s|\u03bcs|ms|s|m|h)/g)) {
    total += Number(part[1]) * DURATION_UNITS_MS[part[2]!]!;
  }
  return match[1] === '-' ? -total : total;
}

const GO_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{1,2}):(\d{2}):(\d{2})(?:[.,](\d+))?(Z|[+-]\d{2}:\d{2})?$/;

/**
 * Go's time.Parse with the layouts `time.RFC3339` and `2006-01-02T15:04:05` (the zone-less
 * one): a one- or two-digit hour, fractional seconds after `.` or `,` even though neither layout
 * has them, a zone that is `Z` or `±hh:mm` (required by RFC3339, absent in the other), and dates
 * and times checked for range. A time without a zone is UTC, as time.Parse makes it.
 */
export function parseGoTime(text: string, withZone: boolean): Date | null {
  const m = GO_TIME.exec(text);
  if (!m || (m[8] !== undefined) !== withZone) return null;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const daysInMonth = new Date(Date.UTC(2000, month, 0)).getUTCDate() - (month === 2 && !isLeapYear(year) ? 1 : 0);
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth || hour > 23 || minute > 59 || second > 59) return null;
  let offsetMinutes = 0;
  if (m[8] !== undefined && m[8] !== 'Z') {
    const [hh, mm] = m[8].slice(1).split(':').map(Number) as [number, number];
    if (hh > 24 || mm > 60) return null;
    offsetMinutes = (m[8].startsWith('-') ? -1 : 1) * (hh * 60 + mm);
  }
  const date = new Date(Date.UTC(2000, month - 1, day, hour, minute, second));
  date.setUTCFullYear(year);
  const fractionMs = m[7] === undefined ? 0 : Number(`0.${m[7]}`) * 1000;
  return new Date(date.getTime() + Math.floor(fractionMs) - offsetMinutes * 60_000);
}

function isLeapYear(year: number): boolean {
  return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
}

/**
 * --expire, as Juju's secretUpsertCommand.Init (juju/juju
 * worker/uniter/runner/jujuc/secret-add.go) reads it: time.Parse(time.RFC3339), else
 * time.Parse("2006-01-02T15:04:05") (so a naive datetime's isoformat, which ops sends, is UTC),
 * else a positive time.ParseDuration from now.
 */
function parseExpire(spec: string, now: Date): string {
  const time = parseGoTime(spec, true) ?? parseGoTime(spec, false);
  if (time !== null) return time.toISOString();
  const ms = parseGoDuration(spec);
  if (ms === null) throw new HookToolUsageError(`expire time or duration ${JSON.stringify(spec)} not valid`);
  if (ms <= 0) throw new HookToolUsageError(`negative expire duration ${JSON.stringify(spec)} not valid`);
  return new Date(now.getTime() + ms).toISOString();
}

function readContentFile(inv: Invocation, file: string, what: string): string {
  const resolved = path.resolve(inv.cwd, file);
  const sent = inv.clientFile(resolved);
  if (sent !== undefined) {
    if (Buffer.byteLength(sent) > MAX_VALUE_BYTES) throw new HookToolUsageError(`${what}: secret content in file ${JSON.stringify(resolved)} too large`);
    return sent;
  }
  try {
    if (statSync(resolved).size > MAX_VALUE_BYTES) throw new Error(`secret content in file ${JSON.stringify(resolved)} too large`);
    return readFileSync(resolved, 'utf8');
  } catch (error) {
    throw new HookToolUsageError(`${what}: ${errorMessage(error)}`, { cause: error });
  }
}

function encodeContent(raw: Record<string, string>): Record<string, string> {
  const result: Record<string, string> = {};
  let total = 0;
  for (const [rawKey, value] of Object.entries(raw)) {
    const base64 = rawKey.endsWith('#base64');
    const key = base64 ? rawKey.slice(0, -'#base64'.length) : rawKey;
    const encoded = base64 ? value : Buffer.from(value, 'utf8').toString('base64');
    if (!KEY_RULE.test(key)) throw new HookToolUsageError(`key ${JSON.stringify(key)} not valid`);
    if (encoded.length > MAX_VALUE_BYTES) throw new HookToolUsageError(`base64 encoded secret content for key ${JSON.stringify(key)} too large: ${encoded.length} bytes`);
    total += encoded.length;
    result[key] = encoded;
  }
  if (total > MAX_CONTENT_BYTES) throw new HookToolUsageError(`base64 encoded secret content too large: ${total} bytes`);
  return result;
}

/** Parse content arguments and metadata flags; every problem is a usage error (exit 2). */
export function parseUpsertArgs(inv: Invocation, args: readonly string[]): UpsertArgs {
  const flags = inv.flags as Record<string, string | undefined>;
  const result: UpsertArgs = { content: {}, owner: 'application' };
  if (flags['expire']) result.expireTime = parseExpire(flags['expire'], inv.ctx.now());
  if (flags['rotate']) {
    if (!(ROTATE_POLICIES as readonly string[]).includes(flags['rotate'])) throw new HookToolUsageError(`rotate policy ${JSON.stringify(flags['rotate'])} not valid`);
    result.rotatePolicy = flags['rotate'] as UpsertArgs['rotatePolicy'];
  }
  const owner = flags['owner'] ?? 'application';
  if (owner !== 'application' && owner !== 'unit') throw new HookToolUsageError(`secret owner ${JSON.stringify(owner)} not valid`);
  result.owner = owner;
  if (flags['description']) result.description = flags['description'];
  if (flags['label']) result.label = flags['label'];

  const raw: Record<string, string> = {};
  for (const arg of args) {
    // Base64 padding may end the value, so look for `=` only before any trailing padding.
    const index = arg.replace(/=+$/, '').indexOf('=');
    if (index < 1) throw new HookToolUsageError(`key value ${JSON.stringify(arg)} not valid`);
    const key = arg.slice(0, index);
    const value = arg.slice(index + 1);
    if (key.endsWith('#file')) {
      const name = key.slice(0, -'#file'.length);
      raw[name] = readContentFile(inv, value, `reading content for secret key ${JSON.stringify(name)}`);
    } else {
      raw[key] = value;
    }
  }
  if (flags['file']) {
    let doc: unknown;
    try {
      doc = parseYaml(readContentFile(inv, flags['file'], 'reading secret file'));
    } catch (error) {
      if (error instanceof HookToolUsageError) throw error;
      throw new HookToolUsageError(`yaml: ${errorMessage(error)}`, { cause: error });
    }
    if (doc !== null && (typeof doc !== 'object' || Array.isArray(doc))) throw new HookToolUsageError('secret file must hold a map of keys to values');
    for (const [key, value] of Object.entries(doc ?? {})) raw[key] = String(value);
  }
  result.content = encodeContent(raw);
  return result;
}

/** The secret id positional: a usage error when missing or malformed. */
export function secretIdArg(value: string | undefined, missing = 'missing secret URI'): string {
  if (value === undefined) throw new HookToolUsageError(missing);
  const id = parseSecretUri(value);
  if (id === null) throw new HookToolUsageError(`secret URI ${JSON.stringify(value)} not valid`);
  return id;
}
