import type { ChildProcess } from 'node:child_process';
import { constants } from 'node:os';
import type { ToolResult, ToolRunner } from './tool-runner.ts';

/**
 * Runs hook tools for real: the executable named `tool` on PATH (Juju prepends its tools dir),
 * with this process's environment unchanged (the tools need JUJU_CONTEXT_ID and the agent
 * socket), no shell, stdin fed then closed (or /dev/null), and output captured as text. Non-zero
 * exits are returned, not thrown; HookTools classifies them.
 *
 * Node's own child_process, not execa: a hook tool call needs none of execa's features (no shell,
 * no timeout, no pipes between processes), and execa cost every hook ~8 ms to load plus ~3 ms per
 * call (bench/dispatch: install hook 233 ms -> 208 ms), a tenth of a typical hook.
 */
export function processToolRunner(): ToolRunner {
  return {
    run(tool, args, options): Promise<ToolResult> {
      // Loaded on the first call: child_process pulls in net and stream, which a hook that calls
      // no tool never needs.
      const { spawn } = process.getBuiltinModule('node:child_process');
      const stdin = options?.stdin;
      const child = spawn(tool, [...args], { shell: false, stdio: [stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
      return new Promise((resolve) => {
        let stdout = '';
        let stderr = '';
        let spawnError: NodeJS.ErrnoException | undefined;
        child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
        child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
        // The process never ran (ENOENT: the tool is not on PATH, EACCES…); 'close' follows.
        child.on('error', (error: NodeJS.ErrnoException) => (spawnError ??= error));
        child.on('close', (code, signal) => resolve(toolResult(tool, code, signal, stdout, stderr, spawnError)));
        if (stdin !== undefined) feed(child, stdin);
      });
    },
  };
}

function feed(child: ChildProcess, input: string): void {
  // A tool that exits without reading its stdin makes the write fail with EPIPE; its exit code
  // says what happened, so the write error itself is not news.
  child.stdin!.on('error', () => undefined);
  child.stdin!.end(input, 'utf8');
}

function toolResult(
  tool: string,
  code: number | null,
  signal: NodeJS.Signals | null,
  stdout: string,
  stderr: string,
  spawnError: NodeJS.ErrnoException | undefined,
): ToolResult {
  if (spawnError !== undefined) {
    // Juju-style report of a tool that could not be started ('close' then carries the errno).
    return { exitCode: 127, stdout: '', stderr: `ERROR cannot run ${tool}: ${spawnError.code ?? spawnError.message}\n` };
  }
  if (signal !== null) {
    // Shell convention, so callers see a non-zero code for "killed by a signal".
    return { exitCode: 128 + (constants.signals[signal] ?? 0), stdout, stderr };
  }
  return { exitCode: code ?? 0, stdout, stderr };
}
