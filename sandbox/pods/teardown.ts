import { rm } from 'node:fs/promises';
import { createLogger } from '../../src/logging.ts';
import { PodError } from './errors.ts';
import { podsRoot } from './layout.ts';
import { isClean, listLeftovers, sandboxSelector, type Leftovers } from './leftovers.ts';
import { mountsUnder, unmountAllUnder } from './mounts.ts';
import { bridgeName } from './names.ts';
import { deleteLink, deleteNetns, listSandboxLinks, listSandboxNetns } from './network.ts';
import { killProcesses } from './pod-processes.ts';

const log = createLogger({ base: { component: 'sandbox-pods' } });

/**
 * Remove every trace of a sandbox's pods and network: processes, namespaces, mounts, links and
 * `<stateDir>/pods`. Works from what the machine shows (name prefix, mounts under the state dir,
 * /proc), not from records, so it cleans up after a crash too. Safe to repeat. Throws
 * `pod-processes-survived` / `pod-command-failed` if something could not be removed.
 */
export async function destroySandbox(sandboxId: string, stateDir: string): Promise<void> {
  const started = performance.now();
  const root = podsRoot(stateDir);
  // Kill first: a live process keeps its namespaces (and the mounts inside them) alive.
  const killed = await killProcesses(await sandboxSelector(sandboxId, stateDir));
  const stuck = await unmountAllUnder(root);
  if (stuck.length > 0) {
    throw new PodError('pod-command-failed', `cannot unmount ${stuck.join(', ')}`);
  }
  for (const netns of await listSandboxNetns(sandboxId)) await deleteNetns(netns);
  // veths first (the bridge is their master), then the bridge
  const links = await listSandboxLinks(sandboxId);
  const bridge = bridgeName(sandboxId);
  for (const link of links.filter((l) => l !== bridge)) await deleteLink(link);
  if (links.includes(bridge)) await deleteLink(bridge);
  if ((await mountsUnder(root)).length === 0) await rm(root, { recursive: true, force: true });
  const left = await listLeftovers(sandboxId, stateDir);
  if (!isClean(left)) {
    throw new PodError('pod-command-failed', `sandbox ${sandboxId} left behind: ${describe(left)}`);
  }
  log.debug({ sandboxId, killed, ms: Math.round(performance.now() - started) }, 'sandbox destroyed');
}

function describe(left: Leftovers): string {
  return Object.entries(left)
    .filter(([, list]) => (list as unknown[]).length > 0)
    .map(([kind, list]) => `${kind}: ${JSON.stringify(list)}`)
    .join('; ');
}
