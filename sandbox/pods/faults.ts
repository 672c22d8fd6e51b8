import { readNetworkRecord, type NetworkRecord, type Pod } from './records.ts';
import { PodError } from './errors.ts';
import { shmSource } from './names.ts';
import { POD_INIT_SCRIPT } from './pid-namespace.ts';
import { findProcesses } from './pod-processes.ts';
import { runTool, tryTool } from './system.ts';

/**
 * Faults a pod can suffer short of being killed, as chaos tools bring them on Kubernetes
 * (chaos-mesh's PodChaos "container freeze" / NetworkChaos "partition"):
 *
 *   freeze     SIGSTOP to every process of the pod (but its PID namespace's init), as
 *              a hung node or a stalled VM: nothing runs, nothing answers, nothing dies
 *   partition  the pod's link to the bridge goes down: no other pod, the DCS or a client
 *              outside reaches it, and it reaches none of them
 *   partition-dcs  what the pod sends to the DCS's ports on the bridge address (etcd, the
 *              Kubernetes API stand-in) is dropped inside the pod: it still talks to the other
 *              pods and to clients
 *
 * Each is undone by its counterpart (thaw, heal); heal undoes both partitions.
 */

/**
 * Signal every process of the pod from the host, but its init (and the `unshare` holding it):
 * also the host-side `nsenter` parents of the pod's programs, which stop themselves when their
 * child stops and would otherwise stay stopped after a thaw.
 */
async function signalPod(pod: Pod, signal: 'SIGSTOP' | 'SIGCONT'): Promise<number> {
  const selector = {
    nsFiles: [`/run/netns/${pod.netns}`, pod.nsFiles.mnt, pod.nsFiles.uts, pod.nsFiles.ipc, ...(pod.nsFiles.pid === undefined ? [] : [pod.nsFiles.pid])],
    shmSource: { exact: shmSource(pod.sandboxId, pod.name) },
  };
  const signalled = new Set<number>();
  // Twice: a process forked while the first pass ran shows up in the second.
  for (let pass = 0; pass < 2; pass++) {
    for (const { pid, command } of await findProcesses(selector)) {
      if (signalled.has(pid) || command.includes(POD_INIT_SCRIPT)) continue;
      try {
        process.kill(pid, signal);
        signalled.add(pid);
      } catch {
        // gone meanwhile
      }
    }
  }
  return signalled.size;
}

export async function freezePod(pod: Pod): Promise<void> {
  if ((await signalPod(pod, 'SIGSTOP')) === 0) throw new PodError('pod-not-found', `no process runs in pod ${pod.name}`);
}

export async function thawPod(pod: Pod): Promise<void> {
  await signalPod(pod, 'SIGCONT');
}

export async function partitionPod(pod: Pod): Promise<void> {
  await runTool('ip', ['link', 'set', pod.veth, 'down']);
}

/** The address the DCS listens on, as the pods reach it: the sandbox bridge's. */
async function dcsAddress(pod: Pod): Promise<string> {
  const network = await readNetworkRecord(pod.stateDir);
  if (!network) throw new PodError('pod-state-invalid', `no sandbox network in ${pod.stateDir}`);
  return network.bridgeIp;
}

/**
 * The DCS's ports on the bridge address: the Kubernetes API stand-in's and etcd's client port
 * (a sandbox runs one of them; nothing else listens on either there).
 */
export const DCS_PORTS: readonly number[] = [443, 2379];

/**
 * iptables(8) rules, inside the pod's network namespace, that drop what the pod sends to the DCS.
 * By port, not by address: the host's clients (a test's writer, the CLI) reach the pods from the
 * bridge address too, and must still reach a pod that is cut from the DCS only.
 */
export function dcsPartitionRules(bridgeIp: string): string[][] {
  return DCS_PORTS.map((port) => ['OUTPUT', '-d', `${bridgeIp}/32`, '-p', 'tcp', '--dport', String(port), '-j', 'DROP']);
}

const inNetns = (pod: Pod, args: readonly string[]): [string, string[]] => ['ip', ['netns', 'exec', pod.netns, 'iptables', '-w', ...args]];

export async function partitionPodFromDcs(pod: Pod): Promise<void> {
  for (const rule of dcsPartitionRules(await dcsAddress(pod))) {
    if ((await tryTool(...inNetns(pod, ['-C', ...rule]))).exitCode === 0) continue;
    await runTool(...inNetns(pod, ['-I', ...rule]));
  }
}

/** Undo both partitions; safe when neither is in place. */
export async function healPod(pod: Pod): Promise<void> {
  await runTool('ip', ['link', 'set', pod.veth, 'up']);
  const bridgeIp = await dcsAddress(pod);
  for (const rule of dcsPartitionRules(bridgeIp)) {
    while ((await tryTool(...inNetns(pod, ['-C', ...rule]))).exitCode === 0) await runTool(...inNetns(pod, ['-D', ...rule]));
  }
  // the blackhole route an earlier version of partition-dcs used
  await tryTool('ip', ['-n', pod.netns, 'route', 'del', 'blackhole', `${bridgeIp}/32`]);
}

/**
 * The whole DCS down, as its server process stopping would leave it: every connection a pod makes
 * to the DCS's port on the bridge address (new or open) is answered with a TCP reset. A host
 * firewall rule on the traffic coming in over the sandbox bridge, so it reaches the pods only and
 * leaves the DCS itself (and its data) as it was. `port`: etcd's client port or the Kubernetes API
 * stand-in's. iptables(8): `-C` checks, `-I` inserts first in the chain, `-D` deletes one copy.
 */
export function dcsDownRule(network: Pick<NetworkRecord, 'bridge' | 'bridgeIp' | 'sandboxId'>, port: number): string[] {
  return [
    'INPUT',
    '-i', network.bridge,
    '-d', `${network.bridgeIp}/32`,
    '-p', 'tcp',
    '--dport', String(port),
    '-m', 'comment', '--comment', `sandbox-${network.sandboxId}-dcs-down`,
    '-j', 'REJECT', '--reject-with', 'tcp-reset',
  ];
}

async function requireNetwork(stateDir: string): Promise<NetworkRecord> {
  const network = await readNetworkRecord(stateDir);
  if (!network) throw new PodError('pod-state-invalid', `no sandbox network in ${stateDir}`);
  return network;
}

/** Take the DCS away from every pod; returns false when it already was. */
export async function dcsDown(stateDir: string, port: number): Promise<boolean> {
  const rule = dcsDownRule(await requireNetwork(stateDir), port);
  if ((await tryTool('iptables', ['-w', '-C', ...rule])).exitCode === 0) return false;
  await runTool('iptables', ['-w', '-I', ...rule]);
  return true;
}

/** Give the DCS back; returns false when it was not down. Safe to repeat. */
export async function dcsUp(stateDir: string, port: number): Promise<boolean> {
  const network = await readNetworkRecord(stateDir);
  if (!network) return false;
  const rule = dcsDownRule(network, port);
  let removed = false;
  while ((await tryTool('iptables', ['-w', '-C', ...rule])).exitCode === 0) {
    await runTool('iptables', ['-w', '-D', ...rule]);
    removed = true;
  }
  return removed;
}
