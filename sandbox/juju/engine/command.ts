import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { errorCode, errorMessage } from '../../../src/errors.ts';
import type { HookContext } from './context.ts';
import { HookToolRunError, HookToolUsageError, StdinRequiredError } from './errors.ts';
import { type FlagDef, parseToolArgs, type ParsedArgs } from './flags.ts';
import { type FormatName, formatValue, parseFormat } from './format.ts';

/**
 * The shape every hook tool has, and the invocation it runs with: parsed flags, positionals,
 * the tool's working directory, stdin on demand and output in the requested --format.
 */

export interface Invocation {
  readonly ctx: HookContext;
  readonly flags: Record<string, unknown>;
  readonly args: string[];
  /** The tool's working directory; relative file arguments resolve against it. */
  readonly cwd: string;
  /** The whole of stdin; asks the client for it when the request carried none. */
  readStdin(): string;
  /** A file argument: `-` is stdin, relative paths are against cwd. */
  readFile(file: string): string;
  /** What the client read for this absolute path in its own filesystem view, if it sent it. */
  clientFile(resolvedPath: string): string | undefined;
  /** Print a value in the chosen --format (to --output if given). */
  write(value: unknown): void;
  /** Name of the chosen --format. */
  readonly format: FormatName;
  /** Raw text to stdout / stderr. */
  print(text: string): void;
  warn(text: string): void;
}

export interface HookTool {
  name: string;
  /** Output formats, default first; a tool with formats accepts --format, -o and --output. */
  formats?: readonly FormatName[];
  flags?: (ctx: HookContext) => FlagDef[];
  run(inv: Invocation): void;
}

export interface ToolIo {
  /** Undefined means the caller has not supplied stdin yet (jujuc only reads it on demand). */
  stdin?: string | undefined;
  cwd: string;
  /**
   * File arguments the client read itself, by absolute path. In Juju the agent shares the
   * charm's filesystem; the sandbox's agent does not (each unit is a pod with its own /tmp), so
   * jujuc sends the files it names, read where the charm wrote them.
   */
  files?: Readonly<Record<string, string>> | undefined;
}

export interface ToolOutcome {
  exitCode: number;
  stdout: string;
  stderr: string;
}

function outputFlags(formats: readonly FormatName[]): FlagDef[] {
  return [
    { names: ['format'], kind: 'string', parse: (v) => parseFormat(v, formats) },
    { names: ['o', 'output'], kind: 'string' },
  ];
}

/** Run one tool the way Juju's cmd.Main does. Throws StdinRequiredError for the client to retry. */
export function runTool(tool: HookTool, ctx: HookContext, argv: readonly string[], io: ToolIo): ToolOutcome {
  let stdout = '';
  let stderr = '';
  try {
    const defs = [...(tool.formats ? outputFlags(tool.formats) : []), ...(tool.flags?.(ctx) ?? [])];
    const parsed: ParsedArgs = parseToolArgs(defs, argv);
    if (parsed.help) return { exitCode: 0, stdout: `Usage: ${tool.name} [flags] ...\n`, stderr: '' };
    const format = (parsed.flags['format'] as FormatName | undefined) ?? tool.formats?.[0] ?? 'smart';
    const resolve = (file: string) => path.resolve(io.cwd, file);
    const readStdin = () => {
      if (io.stdin === undefined) throw new StdinRequiredError();
      return io.stdin;
    };
    const inv: Invocation = {
      ctx,
      flags: parsed.flags,
      args: parsed.positionals,
      cwd: io.cwd,
      format,
      readStdin,
      clientFile(resolvedPath) {
        return io.files?.[resolvedPath];
      },
      readFile(file) {
        if (file === '-') return readStdin();
        const sent = io.files?.[resolve(file)];
        if (sent !== undefined) return sent;
        try {
          return readFileSync(resolve(file), 'utf8');
        } catch (error) {
          throw new HookToolRunError(`open ${resolve(file)}: ${errorCode(error) === 'ENOENT' ? 'no such file or directory' : errorMessage(error)}`);
        }
      },
      write(value) {
        const text = formatValue(format, value);
        const output = parsed.flags['o'] as string | undefined;
        if (output === undefined) stdout += text;
        else writeFileSync(resolve(output), text);
      },
      print(text) {
        stdout += text;
      },
      warn(text) {
        stderr += text;
      },
    };
    tool.run(inv);
    return { exitCode: 0, stdout, stderr };
  } catch (error) {
    if (error instanceof StdinRequiredError) throw error;
    if (error instanceof HookToolUsageError || error instanceof HookToolRunError) {
      return { exitCode: error.exitCode, stdout, stderr: `${stderr}ERROR ${error.message}\n` };
    }
    // A bug in the engine must still look like a failed tool to the charm, not crash the agent.
    return { exitCode: 1, stdout, stderr: `${stderr}ERROR ${errorMessage(error)}\n` };
  }
}

/** The relation flag (-r / --relation) every relation tool has; validates like Juju's relationIdValue. */
export function relationFlag(ctx: HookContext): FlagDef {
  return {
    names: ['r', 'relation'],
    kind: 'string',
    parse(value) {
      const trimmed = value.slice(value.lastIndexOf(':') + 1);
      if (!/^[+-]?\d+$/.test(trimmed)) throw new Error('invalid relation id');
      return ctx.relation(Number(trimmed)).id;
    },
  };
}

/** The relation a tool addresses: -r if given, else the hook's relation, else a usage error. */
export function relationIdOrFail(inv: Invocation): number {
  const id = (inv.flags['r'] as number | undefined) ?? inv.ctx.hookRelationId();
  if (id === undefined) throw new HookToolUsageError('no relation id specified');
  return id;
}
