/**
 * Command lines as Pebble reads them: shell-like word splitting without a shell (no variable
 * expansion, no operators), plus the service-only trailing `[ default args ]` group.
 */
import { accessSync, constants, statSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'shell-quote';
import { PebbleError } from '../errors.ts';

export class CommandParseError extends PebbleError {
  constructor(message: string) {
    super('pebble-command-parse', message);
  }
}

/**
 * shell-quote silently accepts an unterminated quote or a trailing backslash; Go's shlex
 * reports them, and Pebble surfaces that in layer validation. This walk only tracks quoting
 * state to find those two cases; the splitting itself is shell-quote's.
 */
function checkQuoting(s: string): void {
  let quote: "'" | '"' | undefined;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (quote === "'") {
      if (c === "'") quote = undefined;
    } else if (c === '\\') {
      if (i + 1 >= s.length) {
        throw new CommandParseError(quote ? 'EOF found when expecting closing quote' : 'EOF found after escape character');
      }
      i++;
    } else if (quote === '"') {
      if (c === '"') quote = undefined;
    } else if (c === "'" || c === '"') {
      quote = c;
    }
  }
  if (quote) throw new CommandParseError('EOF found when expecting closing quote');
}

/** Split a command line into words. `$VAR` stays literal: Pebble never expands variables. */
export function splitCommand(command: string): string[] {
  checkQuoting(command);
  const words: string[] = [];
  for (const entry of parse(command, (key) => `$${key}`)) {
    if (typeof entry === 'string') {
      words.push(entry);
    } else if ('comment' in entry) {
      break;
    } else if (entry.op === 'glob') {
      words.push(entry.pattern);
    } else {
      words.push(entry.op);
    }
  }
  return words;
}

/** A service command split into the base argv and the `[ ... ]` default arguments. */
export function parseServiceCommand(name: string, command: string): { base: string[]; extra: string[] } {
  const wrap = (message: string) => new CommandParseError(`cannot parse service "${name}" command: ${message}`);
  let args: string[];
  try {
    args = splitCommand(command);
  } catch (err) {
    throw wrap(err instanceof Error ? err.message : String(err));
  }
  const base: string[] = [];
  const extra: string[] = [];
  let inBrackets = false;
  let gotBrackets = false;
  args.forEach((arg, idx) => {
    if (inBrackets) {
      if (arg === '[') throw wrap('cannot nest [ ... ] groups');
      if (arg === ']') inBrackets = false;
      else extra.push(arg);
      return;
    }
    if (gotBrackets) throw wrap('cannot have any arguments after [ ... ] group');
    if (arg === '[') {
      if (idx === 0) throw wrap('cannot start command with [ ... ] group');
      inBrackets = true;
      gotBrackets = true;
      return;
    }
    if (arg === ']') throw wrap('cannot have ] outside of [ ... ] group');
    base.push(arg);
  });
  return { base, extra };
}

function isExecutableFile(path: string): boolean {
  try {
    if (!statSync(path).isFile()) return false;
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Go's exec.LookPath: a name with a slash is checked as is, otherwise searched in PATH.
 * Returns undefined when nothing executable is found.
 */
export function lookPath(file: string, pathEnv: string | undefined): string | undefined {
  if (file.includes('/')) return isExecutableFile(file) ? file : undefined;
  for (const dir of (pathEnv ?? '').split(':')) {
    const candidate = join(dir === '' ? '.' : dir, file);
    if (isExecutableFile(candidate)) return candidate;
  }
  return undefined;
}
