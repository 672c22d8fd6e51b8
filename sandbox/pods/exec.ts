import { execa, type Options, type ResultPromise } from 'execa';
import { PodError } from './errors.ts';
import type { Pod } from './records.ts';

/**
 * Options of a process run inside a pod: execa's, except that `cwd`, `uid` and `gid` apply
 * inside the pod (nsenter sets them after entering the namespaces, where the paths and the
 * privileges mean what they mean to the pod).
 */
export type PodRunOptions = Omit<Options, 'cwd' | 'shell' | 'node' | 'preferLocal' | 'localDir' | 'argv0'> & {
  /** Working directory inside the pod; default `/`. */
  cwd?: string;
};

type PodIdentity = Pick<Pod, 'name' | 'netns' | 'nsFiles'>;

/**
 * The nsenter command line that runs `argv` in the pod's network, mount, UTS, IPC and PID
 * namespaces. Entering the PID namespace takes a fork: the pid a caller gets is nsenter's, which
 * waits for the program and exits with its status but passes no signal on; `programPid` gives
 * the program's, and a process group (`detached`) reaches both.
 */
export function nsenterArgs(
  pod: PodIdentity,
  argv: readonly string[],
  options: { cwd?: string; uid?: number; gid?: number } = {},
): string[] {
  if (argv.length === 0) throw new PodError('pod-invalid-spec', 'no command to run in the pod');
  const args = [
    `--net=/run/netns/${pod.netns}`,
    `--mount=${pod.nsFiles.mnt}`,
    `--uts=${pod.nsFiles.uts}`,
    `--ipc=${pod.nsFiles.ipc}`,
  ];
  if (pod.nsFiles.pid !== undefined) args.push(`--pid=${pod.nsFiles.pid}`);
  if (options.gid !== undefined) args.push(`--setgid=${options.gid}`);
  if (options.uid !== undefined) args.push(`--setuid=${options.uid}`);
  args.push(`--wdns=${options.cwd ?? '/'}`);
  return [...args, '--', ...argv];
}

/**
 * Start `argv` inside the pod and return execa's subprocess. Defaults suit daemons: nothing is
 * buffered (`buffer: false`) and the promise resolves rather than rejects when the process dies
 * (`reject: false`), since destroying a pod SIGKILLs it and an unawaited rejection would crash
 * the caller. Pass `detached: true` for a process that must outlive this one.
 */
export function runInPod<O extends PodRunOptions = PodRunOptions>(
  pod: PodIdentity,
  argv: readonly string[],
  options?: O,
): ResultPromise<O> {
  const { cwd, uid, gid, ...rest } = options ?? ({} as PodRunOptions);
  const execaOptions = { buffer: false, reject: false, stdin: 'ignore', ...rest } as Options;
  return execa('nsenter', nsenterArgs(pod, argv, { cwd, uid, gid }), execaOptions) as unknown as ResultPromise<O>;
}

export interface PodExecOptions {
  cwd?: string;
  uid?: number;
  gid?: number;
  env?: Record<string, string | undefined>;
  /** Inherit this process's environment (default true, as execa does). */
  extendEnv?: boolean;
  input?: string;
  timeoutMs?: number;
  /** Throw `pod-exec-failed` on a non-zero exit (default true). */
  reject?: boolean;
}

export interface PodExecResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

/** Run a short command inside the pod and collect its output. */
export async function execInPod(
  pod: PodIdentity,
  argv: readonly string[],
  options: PodExecOptions = {},
): Promise<PodExecResult> {
  const result = await execa('nsenter', nsenterArgs(pod, argv, options), {
    reject: false,
    env: options.env,
    extendEnv: options.extendEnv ?? true,
    timeout: options.timeoutMs ?? 60_000,
    ...(options.input === undefined ? { stdin: 'ignore' as const } : { input: options.input }),
  });
  const exitCode = result.exitCode ?? 1;
  const stderr = result.exitCode === undefined ? (result.shortMessage ?? '') : result.stderr;
  if (exitCode !== 0 && options.reject !== false) {
    throw new PodError(
      'pod-exec-failed',
      `${argv.join(' ')} in pod ${pod.name} exited ${exitCode}: ${stderr.trim()}`,
    );
  }
  return { stdout: result.stdout, stderr, exitCode };
}
