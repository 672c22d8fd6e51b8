import { readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { destroySandbox, isClean, listLeftovers, type Leftovers } from '../pods/index.ts';
import { mountsUnder } from '../pods/mounts.ts';
import { stopDaemon } from './daemon-process.ts';
import { dcsUp } from '../pods/faults.ts';
import { ETCD_CLIENT_PORT, stopEtcd } from './etcd.ts';
import { KUBE_API_PORT } from './kubernetes.ts';
import { stopS3Server } from './s3-server.ts';
import { SandboxError } from './errors.ts';
import { PEBBLE_SCRIPT, type SandboxPaths } from './paths.ts';
import { findOwnProcess, terminate } from './processes.ts';
import { readSettings } from './settings.ts';

/**
 * `destroy`: stop the daemon (or kill it), let the Pebbles stop their services, kill whatever
 * still runs in the pods, remove the pods' namespaces, links and mounts, stop etcd and the S3 server and delete the
 * state dir. Works from pidfiles and the machine itself, so it also cleans up after a crash.
 */

export interface TeardownReport {
  sandboxId: string | null;
  daemonStopped: boolean;
  pebblesStopped: number;
  etcdStopped: boolean;
  leftovers: Leftovers | null;
}

export async function destroyEverything(paths: SandboxPaths, options: { pebbleGraceMs?: number } = {}): Promise<TeardownReport> {
  const settings = await readSettings(paths).catch(() => null);
  const daemonStopped = await stopDaemon(paths);
  const pebblesStopped = await stopPebbles(paths, options.pebbleGraceMs ?? 15_000);
  let leftovers: Leftovers | null = null;
  if (settings) {
    // a `chaos dcs-down` left in place is a host firewall rule: it would outlive the sandbox
    for (const port of [KUBE_API_PORT, ETCD_CLIENT_PORT]) await dcsUp(paths.stateDir, port).catch(() => false);
    await destroySandbox(settings.sandboxId, paths.stateDir);
    leftovers = await listLeftovers(settings.sandboxId, paths.stateDir);
    if (!isClean(leftovers)) throw new SandboxError('sandbox-teardown-failed', `sandbox ${settings.sandboxId} left things behind: ${JSON.stringify(leftovers)}`);
  }
  const etcdStopped = await stopEtcd(paths.etcdDir);
  await stopS3Server(paths.stateDir);
  await removeStateDir(paths);
  return { sandboxId: settings?.sandboxId ?? null, daemonStopped, pebblesStopped, etcdStopped, leftovers };
}

/** SIGTERM every unit's Pebble at once (each stops its services), SIGKILL after the grace. */
async function stopPebbles(paths: SandboxPaths, graceMs: number): Promise<number> {
  const root = path.join(paths.stateDir, 'pebble');
  const pids: number[] = [];
  for (const pod of await readdir(root).catch(() => [] as string[])) {
    for (const container of await readdir(path.join(root, pod)).catch(() => [] as string[])) {
      const dir = paths.pebbleDir(pod, container);
      const pid = await findOwnProcess(path.join(dir, 'pebble.pid'), [PEBBLE_SCRIPT, path.join(dir, 'state')]);
      if (pid !== null) pids.push(pid);
    }
  }
  await Promise.all(pids.map((pid) => terminate(pid, graceMs)));
  return pids.length;
}

/** Delete the state dir, but never through a mount (that would delete what the mount shows). */
async function removeStateDir(paths: SandboxPaths): Promise<void> {
  const inside = await mountsUnder(paths.stateDir);
  if (inside.length > 0) throw new SandboxError('sandbox-teardown-failed', `mounts remain under ${paths.stateDir}: ${inside.join(', ')}`);
  await rm(paths.stateDir, { recursive: true, force: true });
}
