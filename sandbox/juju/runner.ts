import type { ToolResult, ToolRunner, ToolRunOptions } from '../../src/juju/tool-runner.ts';
import { type HookContext, runHookTool } from './engine/index.ts';
import { HookToolAgentError } from './errors.ts';

/**
 * A ToolRunner that answers hook-tool calls in process from the sandbox's engine, so the charm's
 * unit tests exercise the same implementation the sandbox runs, without child processes.
 */

export interface InMemoryToolRunnerOptions {
  /** The tools' working directory (relative file arguments resolve against it). */
  cwd?: string;
}

export function createInMemoryToolRunner(context: HookContext, options: InMemoryToolRunnerOptions = {}): ToolRunner {
  const cwd = options.cwd ?? process.cwd();
  return {
    async run(tool: string, args: readonly string[], runOptions?: ToolRunOptions): Promise<ToolResult> {
      let result = runHookTool(context, tool, args, { cwd });
      if (result.kind === 'needs-stdin') {
        // What jujuc does next: read stdin to EOF (empty when the caller gave none) and retry.
        result = runHookTool(context, tool, args, { cwd, stdin: runOptions?.stdin ?? '' });
      }
      if (result.kind === 'needs-stdin') throw new HookToolAgentError(`${tool} asked for stdin although it was given`);
      return { exitCode: result.exitCode, stdout: result.stdout, stderr: result.stderr };
    },
  };
}
