import type { ToolResult, ToolRunner, ToolRunOptions } from '../../../src/juju/tool-runner.ts';

/**
 * A ToolRunner that records every call and answers from scripted responses, written the way Juju's
 * tools answer (docs/hook-tools.md#hook-tool-conventions): JSON plus a newline on stdout, `ERROR
 * <reason>` plus a newline on stderr, exit 1 for run-time errors and 2 for usage errors.
 */
export interface RecordedCall {
  tool: string;
  args: string[];
  stdin: string | undefined;
}

export type Responder = ToolResult | ((call: RecordedCall) => ToolResult | Promise<ToolResult>);

interface Script {
  tool: string;
  args: readonly string[] | undefined;
  responder: Responder;
}

export class RecordingToolRunner implements ToolRunner {
  readonly calls: RecordedCall[] = [];
  readonly #scripts: Script[] = [];

  /** Answer `tool` (only when called with exactly `args`, if given). Later scripts win. */
  respond(tool: string, responder: Responder, args?: readonly string[]): this {
    this.#scripts.unshift({ tool, args, responder });
    return this;
  }

  async run(tool: string, args: readonly string[], options?: ToolRunOptions): Promise<ToolResult> {
    const call: RecordedCall = { tool, args: [...args], stdin: options?.stdin };
    this.calls.push(call);
    const script = this.#scripts.find(
      (s) => s.tool === tool && (s.args === undefined || (s.args.length === args.length && s.args.every((a, i) => a === args[i]))),
    );
    if (!script) throw new Error(`unscripted hook tool call: ${[tool, ...args].join(' ')}`);
    return typeof script.responder === 'function' ? script.responder(call) : script.responder;
  }

  /** Calls of one tool, in order. */
  callsOf(tool: string): RecordedCall[] {
    return this.calls.filter((call) => call.tool === tool);
  }
}

export function ok(stdout = ''): ToolResult {
  return { exitCode: 0, stdout, stderr: '' };
}

/** `--format=json` output: the JSON document and a trailing newline. */
export function jsonOut(value: unknown): ToolResult {
  return ok(`${JSON.stringify(value)}\n`);
}

/** A failing tool: `ERROR <message>` on stderr. */
export function fail(message: string, exitCode = 1): ToolResult {
  return { exitCode, stdout: '', stderr: `ERROR ${message}\n` };
}
