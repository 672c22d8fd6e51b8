import { stringify as stringifyYaml } from 'yaml';
import { HookToolUsageError } from './errors.ts';

/**
 * Juju's output formatters (internal/cmd/output.go): `smart` prints strings raw, string lists
 * one per line, booleans as True/False and nothing for null, and falls back to YAML; `json`
 * is Go's encoding/json (sorted map keys, HTML-escaped) plus a newline; `yaml` is goyaml with
 * the trailing newlines trimmed to one.
 */

export type FormatName = 'smart' | 'yaml' | 'json';

/** Go's json.Marshal sorts map keys; JS objects keep insertion order, so sort explicitly. */
function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.keys(value).sort().map((k) => [k, sortKeys((value as Record<string, unknown>)[k])]));
  }
  return value;
}

export function formatJson(value: unknown): string {
  // encoding/json escapes <, >, & and the JS line separators inside strings.
  const text = JSON.stringify(sortKeys(value ?? null))
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
  return `${text}\n`;
}

export function formatYaml(value: unknown): string {
  if (value === null || value === undefined) return '';
  const text = stringifyYaml(value, { sortMapEntries: true, lineWidth: 0 }).replace(/\n+$/, '');
  return text === '' ? '' : `${text}\n`;
}

export function formatSmart(value: unknown): string {
  if (value === null || value === undefined) return '';
  let text: string;
  if (typeof value === 'string') text = value;
  else if (typeof value === 'boolean') text = value ? 'True' : 'False';
  else if (Array.isArray(value) && value.every((v) => typeof v === 'string')) text = value.join('\n');
  else return formatYaml(value);
  return text === '' ? '' : `${text}\n`;
}

export function formatValue(format: FormatName, value: unknown): string {
  switch (format) {
    case 'json':
      return formatJson(value);
    case 'yaml':
      return formatYaml(value);
    default:
      return formatSmart(value);
  }
}

/** Validate a --format value against the formats a command offers. */
export function parseFormat(value: string, allowed: readonly FormatName[]): FormatName {
  if (!(allowed as readonly string[]).includes(value)) throw new HookToolUsageError(`unknown format ${JSON.stringify(value)}`);
  return value as FormatName;
}
