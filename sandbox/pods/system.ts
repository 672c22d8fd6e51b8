import { execa } from 'execa';
import { PodError } from './errors.ts';

/** What a finished system tool left behind. */
export interface ToolResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

/**
 * Run a system tool (`ip`, `unshare`, `nsenter`, `mount`, `umount`) and return its output, or
 * throw `pod-command-failed` carrying the command line and stderr, which is what explains the
 * failure (e.g. "RTNETLINK answers: File exists").
 */
export async function runTool(file: string, args: readonly string[]): Promise<string> {
  const result = await tryTool(file, args);
  if (result.exitCode !== 0) {
    throw new PodError(
      'pod-command-failed',
      `${[file, ...args].join(' ')} exited ${result.exitCode}: ${result.stderr.trim() || result.stdout.trim()}`,
    );
  }
  return result.stdout;
}

/** Run a system tool and report its exit code instead of throwing (for "delete if present"). */
export async function tryTool(file: string, args: readonly string[]): Promise<ToolResult> {
  try {
    const result = await execa(file, args, { reject: false, stdin: 'ignore', timeout: 30_000 });
    // No exit code means it never ran or was killed (timeout): execa's message says which.
    if (result.exitCode === undefined) {
      return { stdout: result.stdout, stderr: result.shortMessage ?? '', exitCode: 1 };
    }
    return { stdout: result.stdout, stderr: result.stderr, exitCode: result.exitCode };
  } catch (error) {
    throw new PodError('pod-command-failed', `${file} could not be started`, { cause: error });
  }
}
