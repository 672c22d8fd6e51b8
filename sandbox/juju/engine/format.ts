import { Document, Scalar, type ToStringOptions, visit } from 'yaml';
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

/**
 * The plain strings goyaml (gopkg.in/yaml.v2, resolve.go: resolveMapList and resolve) would read
 * back as something else, which its encoder (encode.go, stringv) therefore double-quotes: YAML 1.1
 * booleans and nulls, ints (any base, `_` allowed), floats, base-60 floats and timestamps.
 */
const GOYAML_NON_STRINGS = new Set([
  ...['y', 'Y', 'yes', 'Yes', 'YES', 'true', 'True', 'TRUE', 'on', 'On', 'ON'],
  ...['n', 'N', 'no', 'No', 'NO', 'false', 'False', 'FALSE', 'off', 'Off', 'OFF'],
  ...['', '~', 'null', 'Null', 'NULL', '.nan', '.NaN', '.NAN', '<<'],
  ...['.inf', '.Inf', '.INF', '+.inf', '+.Inf', '+.INF', '-.inf', '-.Inf', '-.INF'],
]);
const GOYAML_INT = /^[-+]?(?:0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|[0-9]+)$/;
const GOYAML_FLOAT = /^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$/;
const GOYAML_BASE60 = /^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$/;
const GOYAML_TIMESTAMP = /^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:(?:[Tt][0-9]{1,2}:[0-9]{1,2}:[0-9]{1,2}(?:\.[0-9]*)?(?:Z|[-+][0-9]{2}:[0-9]{2}))|(?: [0-9]{1,2}:[0-9]{1,2}:[0-9]{1,2}(?:\.[0-9]*)?))?$/;

function goyamlReadsAsNonString(text: string): boolean {
  if (GOYAML_NON_STRINGS.has(text) || GOYAML_BASE60.test(text) || GOYAML_TIMESTAMP.test(text)) return true;
  const plain = text.replace(/_/g, '');
  return GOYAML_INT.test(plain) || GOYAML_FLOAT.test(plain);
}

/** libyaml's is_printable (yaml.v2 yamlprivateh.go); anything else forces double quotes. */
const NON_PRINTABLE = /[^\n\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufefe\uff00-\ufffd\u{10000}-\u{10ffff}]/u;

/**
 * The scalar style goyaml's emitter picks for a string (yaml.v2 encode.go stringv, then
 * emitterc.go yaml_emitter_analyze_scalar and yaml_emitter_select_scalar_style): a string with a
 * line break is a literal block, unless it has a space before a break, ends in a space, has a
 * non-printable character or is a map key, which make it double-quoted; a string that would read
 * back as another type is double-quoted; the rest is plain, or single-quoted where plain cannot be.
 */
function goyamlStringStyle(text: string, isKey: boolean): Scalar.Type | undefined {
  if (NON_PRINTABLE.test(text)) return Scalar.QUOTE_DOUBLE;
  if (text.includes('\n')) {
    if (isKey || / \n/.test(text) || text.endsWith(' ')) return Scalar.QUOTE_DOUBLE;
    return Scalar.BLOCK_LITERAL;
  }
  if (goyamlReadsAsNonString(text)) return Scalar.QUOTE_DOUBLE;
  return undefined; // plain, or single quotes when plain cannot be (singleQuote below)
}

/** goyaml's layout: 2-space indents, sequences in a mapping not indented, no line folding. */
const GOYAML_TO_STRING: ToStringOptions = { lineWidth: 0, indent: 2, indentSeq: false, singleQuote: true };

export function formatYaml(value: unknown): string {
  if (value === null || value === undefined) return '';
  // goyaml indents a block scalar at the document root as it would under a key (`|-` then
  // two-space-indented lines); the yaml package leaves its lines at column 0, which PyYAML refuses.
  // So render a root string as a mapping value and take the `k: ` off.
  if (typeof value === 'string' && goyamlStringStyle(value, false) === Scalar.BLOCK_LITERAL) {
    const wrapped = renderYaml({ k: value });
    return trimYaml(wrapped.slice('k: '.length));
  }
  return trimYaml(renderYaml(value));
}

function renderYaml(value: unknown): string {
  const doc = new Document(value, { sortMapEntries: true });
  visit(doc, {
    Scalar(key, node) {
      if (typeof node.value !== 'string') return;
      const style = goyamlStringStyle(node.value, key === 'key');
      if (style !== undefined) node.type = style;
    },
  });
  return doc.toString(GOYAML_TO_STRING);
}

/** juju/cmd's FormatYaml trims the trailing newlines to one. */
function trimYaml(text: string): string {
  const trimmed = text.replace(/\n+$/, '');
  return trimmed === '' ? '' : `${trimmed}\n`;
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
