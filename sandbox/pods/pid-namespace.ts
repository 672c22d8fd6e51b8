import { spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { PodError } from './errors.ts';
import { podInitPidFile } from './layout.ts';
import { isMountPoint } from './mounts.ts';
import type { Pod } from './records.ts';
import { runTool, tryTool } from './system.ts';

/**
 * Each pod has its own PID namespace, as a Kubernetes container has: `pkill postgres` in one pod
 * reaches that pod's processes only, and /proc inside the pod lists them alone. The namespace's
 * PID 1 is pod-init.py (Kubernetes' pause container: it holds the namespace and reaps orphans).
 * A PID namespace whose init died takes no new process, so after a kill of the whole pod the
 * namespace is made again (with a fresh /proc), as a pod sandbox is recreated.
 */

export const POD_INIT_SCRIPT = fileURLToPath(new URL('./pod-init.py', import.meta.url));

type PodNamespaces = Pick<Pod, 'stateDir' | 'name' | 'netns' | 'nsFiles'>;

/** The host pid of the pod's init while it runs, else null. */
export async function podInitPid(pod: Pick<Pod, 'stateDir' | 'name'>): Promise<number | null> {
  let pid: number;
  try {
    pid = Number((await readFile(podInitPidFile(pod.stateDir, pod.name), 'utf8')).trim());
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) return null;
    const argv = (await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0');
    // a reused pid is not ours: the init carries its script and the pod's name
    return argv.includes(POD_INIT_SCRIPT) && argv.includes(pod.name) ? pid : null;
  } catch {
    return null;
  }
}

/**
 * Make sure the pod's PID namespace has a live init, making the namespace (again) when not:
 * start the init in the pod's other namespaces under `unshare --pid --fork`, bind its namespace
 * to `nsFiles.pid` and mount a /proc of that namespace in the pod. Pods recorded without a PID
 * namespace file are left as they are.
 */
export async function ensurePodPidNamespace(pod: PodNamespaces): Promise<void> {
  const file = pod.nsFiles.pid;
  if (file === undefined || (await podInitPid(pod)) !== null) return;
  if (await isMountPoint(file)) await tryTool('umount', ['-l', file]);
  await writeFile(file, '');
  const args = [
    `--net=/run/netns/${pod.netns}`,
    `--mount=${pod.nsFiles.mnt}`,
    `--uts=${pod.nsFiles.uts}`,
    `--ipc=${pod.nsFiles.ipc}`,
    '--',
    // --kill-child: the init (and so the namespace) goes when unshare is killed with the pod
    'unshare', '--pid', '--fork', '--kill-child', 'python3', POD_INIT_SCRIPT, pod.name,
  ];
  const holder = spawn('nsenter', args, { detached: true, stdio: 'ignore' });
  holder.on('error', () => undefined); // reported below as "no init"
  holder.unref();
  const init = holder.pid === undefined ? undefined : await onlyChildOf(holder.pid, 5_000);
  if (init === undefined) {
    throw new PodError('pod-command-failed', `cannot start the PID namespace init of pod ${pod.name} (nsenter … unshare --pid python3 ${POD_INIT_SCRIPT})`);
  }
  await writeFile(podInitPidFile(pod.stateDir, pod.name), `${init}\n`);
  await runTool('mount', ['--bind', `/proc/${init}/ns/pid`, file]);
  // The mount namespace began with the host's /proc: replace it with the pod's own.
  await tryTool('nsenter', [`--mount=${pod.nsFiles.mnt}`, '--', 'umount', '-l', '/proc']);
  await runTool('nsenter', [`--mount=${pod.nsFiles.mnt}`, `--pid=${file}`, '--', 'mount', '-t', 'proc', '-o', 'nosuid,nodev,noexec', 'proc', '/proc']);
}

/**
 * The host pid of what `nsenter` runs in a pod with a PID namespace: entering one takes a fork,
 * so the program is nsenter's only child (nsenter waits for it and exits with its status, but
 * passes no signal on). Without a PID namespace nsenter execs the program: its own pid.
 */
export async function programPid(pod: Pick<Pod, 'nsFiles'>, nsenterPid: number, timeoutMs = 5_000): Promise<number> {
  if (pod.nsFiles.pid === undefined) return nsenterPid;
  const child = await onlyChildOf(nsenterPid, timeoutMs);
  if (child === undefined) throw new PodError('pod-exec-failed', `nsenter ${nsenterPid} started no program in the pod`);
  return child;
}

async function onlyChildOf(pid: number, timeoutMs: number): Promise<number | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const children = await readFile(`/proc/${pid}/task/${pid}/children`, 'utf8').catch(() => null);
    const first = children?.trim().split(/\s+/)[0];
    if (first !== undefined && first !== '') return Number(first);
    if (children === null || Date.now() >= deadline) return undefined; // gone, or never forked
    await sleep(5);
  }
}
