import { constants } from 'node:os';
import type { ToolResult, ToolRunner } from './tool-runner.ts';

type Execa = typeof import('execa').execa;
let execaPromise: Promise<Execa> | undefined;

/** execa costs tens of milliseconds to import; load it when the first tool runs, not at start. */
function loadExeca(): Promise<Execa> {
  execaPromise ??= import('execa').then((module) => module.execa);
  return execaPromise;
}

/**
 * Runs hook tools for real: the executable named `tool` on PATH (Juju prepends its tools dir),
 * with this process's environment unchanged (the tools need JUJU_CONTEXT_ID and the agent
 * socket), no shell, stdin fed then closed — or closed at once — and output captured as text.
 * Non-zero exits are returned, not thrown; HookTools classifies them.
 */
export function execaToolRunner(): ToolRunner {
  return {
    async run(tool, args, options): Promise<ToolResult> {
      const execa = await loadExeca();
      const stdin = options?.stdin;
      const result = await execa(tool, [...args], {
        reject: false,
        shell: false,
        stripFinalNewline: false,
        encoding: 'utf8',
        // A hook tool is a quick client of the unit agent: there is no timeout to enforce, and one
        // outliving a crashed hook does no harm. Skipping execa's exit hooks and kill timers saves
        // about a millisecond per call, and a hook makes several.
        cleanup: false,
        forceKillAfterDelay: false,
        ...(stdin === undefined ? { stdin: 'ignore' as const } : { input: stdin }),
      });
      if (result.exitCode !== undefined) {
        return { exitCode: result.exitCode, stdout: result.stdout, stderr: result.stderr };
      }
      if (result.signal !== undefined) {
        // Shell convention, so callers see a non-zero code for "killed by a signal".
        return { exitCode: 128 + (constants.signals[result.signal] ?? 0), stdout: result.stdout, stderr: result.stderr };
      }
      // The process never ran (ENOENT: the tool is not on PATH, EACCES…): report it Juju-style.
      return { exitCode: 127, stdout: '', stderr: `ERROR cannot run ${tool}: ${result.code ?? 'spawn failed'}\n` };
    },
  };
}
