import { parseArgs } from 'node:util';
import { errorMessage } from '../../../src/errors.ts';
import { HookToolUsageError } from './errors.ts';

/**
 * Hook-tool argv parsing with Juju's gnuflag rules on top of node:util parseArgs: flags may be
 * interspersed with positionals, `--` ends flags, `-x v` / `-xv` / `--name v` / `--name=v` all
 * set a value, booleans take an optional `=value` in Go's ParseBool syntax, and every failure
 * is a usage error (exit 2) worded as gnuflag words it.
 */

export interface FlagDef {
  /** Every name the flag answers to; Juju registers aliases (`r`, `relation`) as separate flags. */
  names: readonly string[];
  kind: 'bool' | 'string';
  /** gnuflag's Value.Set: convert or reject the value; a thrown message becomes the reason. */
  parse?: (value: string) => unknown;
}

export interface ParsedArgs {
  /** Values keyed by each flag's first name; only flags given on the command line appear. */
  flags: Record<string, unknown>;
  positionals: string[];
  /** `-h` / `--help` was given and the command has no such flag. */
  help: boolean;
}

const TRUE_WORDS = new Set(['1', 't', 'T', 'TRUE', 'true', 'True']);
const FALSE_WORDS = new Set(['0', 'f', 'F', 'FALSE', 'false', 'False']);

/** Go's strconv.ParseBool. */
export function parseGoBool(value: string): boolean {
  if (TRUE_WORDS.has(value)) return true;
  if (FALSE_WORDS.has(value)) return false;
  throw new Error(`strconv.ParseBool: parsing ${JSON.stringify(value)}: invalid syntax`);
}

/** gnuflag names a flag `-x` when it has one rune and `--name` otherwise. */
function flagWithMinus(name: string): string {
  return name.length > 1 ? `--${name}` : `-${name}`;
}

export function parseToolArgs(defs: readonly FlagDef[], argv: readonly string[]): ParsedArgs {
  const byName = new Map<string, FlagDef>();
  const options: Record<string, { type: 'string' | 'boolean' }> = {};
  for (const def of defs) {
    for (const name of def.names) {
      byName.set(name, def);
      // parseArgs maps `-x` to an option literally named `x` when no option declares short `x`.
      options[name] = { type: def.kind === 'bool' ? 'boolean' : 'string' };
    }
  }
  const { tokens } = parseArgs({ args: [...argv], options, strict: false, allowPositionals: true, tokens: true });
  const result: ParsedArgs = { flags: {}, positionals: [], help: false };
  for (const token of tokens) {
    if (token.kind === 'positional') {
      result.positionals.push(token.value);
      continue;
    }
    if (token.kind !== 'option') continue;
    const def = byName.get(token.name);
    const shown = flagWithMinus(token.name);
    if (!def) {
      if (token.name === 'help' || token.name === 'h') {
        result.help = true;
        continue;
      }
      throw new HookToolUsageError(`flag provided but not defined: ${shown}`);
    }
    const key = def.names[0]!;
    if (def.kind === 'bool') {
      if (token.value === undefined) {
        result.flags[key] = true;
        continue;
      }
      try {
        result.flags[key] = parseGoBool(token.value);
      } catch (error) {
        throw new HookToolUsageError(`invalid boolean value ${JSON.stringify(token.value)} for ${shown}: ${errorMessage(error)}`);
      }
      continue;
    }
    if (token.value === undefined) throw new HookToolUsageError(`flag needs an argument: ${shown}`);
    try {
      result.flags[key] = def.parse ? def.parse(token.value) : token.value;
    } catch (error) {
      throw new HookToolUsageError(`invalid value ${JSON.stringify(token.value)} for flag ${shown}: ${errorMessage(error)}`, {
        cause: error,
      });
    }
  }
  return result;
}

/** Juju's cmd.CheckEmpty. */
export function checkEmpty(args: readonly string[]): void {
  if (args.length > 0) throw new HookToolUsageError(`unrecognized args: [${args.map((a) => JSON.stringify(a)).join(' ')}]`);
}

/**
 * juju/utils keyvalues.Parse with empty values allowed: `key=value` arguments, each key once.
 */
export function parseKeyValues(args: readonly string[]): Record<string, string> {
  const result: Record<string, string> = {};
  for (const arg of args) {
    const eq = arg.indexOf('=');
    if (eq <= 0) throw new HookToolUsageError(`expected "key=value", got ${JSON.stringify(arg)}`);
    const key = arg.slice(0, eq);
    if (Object.hasOwn(result, key)) throw new HookToolUsageError(`key ${JSON.stringify(key)} specified more than once`);
    result[key] = arg.slice(eq + 1);
  }
  return result;
}
