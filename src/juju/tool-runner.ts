/**
 * How the charm runs one Juju hook tool. Production runs the executable on PATH with child_process
 * (`processToolRunner` in process-tool-runner.ts); unit tests run the sandbox's in-memory hook-tool engine
 * (`sandbox/juju/`), which answers as docs/hook-tools.md says Juju does.
 */
export interface ToolResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export interface ToolRunOptions {
  /** Written to the tool's stdin, which is then closed (tools read stdin to EOF: `--file -`). */
  stdin?: string;
}

export interface ToolRunner {
  run(tool: string, args: readonly string[], options?: ToolRunOptions): Promise<ToolResult>;
}
