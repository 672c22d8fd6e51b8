import { parseArgs, type ParseArgsConfig } from 'node:util';
import { parse as parseYaml } from 'yaml';
import { errorMessage } from '../../src/errors.ts';
import { SandboxError } from '../runtime/errors.ts';

/** Command-line parsing shared by the verbs. */

type Options = NonNullable<ParseArgsConfig['options']>;

/** node:util parseArgs, with its errors turned into `sandbox-usage`. */
export function parse<O extends Options>(argv: readonly string[], options: O) {
  try {
    return parseArgs({ args: [...argv], options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new SandboxError('sandbox-usage', errorMessage(error));
  }
}

const UNITS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };

/** `15m`, `90s`, `1h30m`, `500ms` or a bare number of seconds, in milliseconds. */
export function parseDuration(text: string, flag = 'timeout'): number {
  const bare = /^\d+(\.\d+)?$/.test(text) ? Number(text) * 1_000 : undefined;
  if (bare !== undefined) return Math.round(bare);
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== text) {
    throw new SandboxError('sandbox-usage', `--${flag}: "${text}" is not a duration (e.g. 90s, 15m, 1h)`);
  }
  return Math.round(parts.reduce((sum, p) => sum + Number(p[1]) * UNITS[p[2]!]!, 0));
}

export function formatDuration(ms: number): string {
  if (ms < 1_000) return `${Math.round(ms)}ms`;
  const seconds = ms / 1_000;
  if (seconds < 60) return `${seconds.toFixed(1)}s`;
  const minutes = Math.floor(seconds / 60);
  return `${minutes}m${Math.round(seconds - minutes * 60)}s`;
}

/** `key=value` words (the value may contain `=`). */
export function keyValues(words: readonly string[], what = 'setting'): Record<string, string> {
  const result: Record<string, string> = {};
  for (const word of words) {
    const at = word.indexOf('=');
    if (at <= 0) throw new SandboxError('sandbox-usage', `${what} "${word}" is not key=value`);
    result[word.slice(0, at)] = word.slice(at + 1);
  }
  return result;
}

/** Action params as `juju run` reads them: each value is YAML (`n=3` is a number). */
export function actionParams(words: readonly string[]): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  for (const [key, raw] of Object.entries(keyValues(words, 'parameter'))) {
    let value: unknown = raw;
    try {
      value = parseYaml(raw) ?? raw;
    } catch {
      // not YAML: the plain string
    }
    result[key] = value;
  }
  return result;
}

export function positiveInt(text: string | undefined, flag: string, fallback: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n <= 0) throw new SandboxError('sandbox-usage', `--${flag} must be a positive integer`);
  return n;
}
