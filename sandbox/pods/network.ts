import { z } from 'zod';
import { PodError } from './errors.ts';
import { NETWORK_LOCK_PATH, withHostLock } from './host-lock.ts';
import { bridgeName, namePrefix } from './names.ts';
import { readNetworkRecord, writeNetworkRecord, type NetworkRecord } from './records.ts';
import { bridgeAddress, DEFAULT_SUBNET, parseSubnet, type Subnet } from './subnet.ts';
import { runTool, tryTool } from './system.ts';

export interface SandboxNetworkOptions {
  sandboxId: string;
  stateDir: string;
  /** Default `10.213.0.0/24`; give each concurrently running sandbox its own. */
  subnet?: string;
  /** Kubernetes namespace (Juju model name) used in pod DNS names; default `sandbox`. */
  namespace?: string;
}

/**
 * Make sure the sandbox bridge exists with its `.1` address, and return the network record.
 * The bridge lives in the root namespace so host-side services (etcd, the controller stand-in)
 * listening on the bridge address are reachable from every pod. No NAT and no default route:
 * pods can reach each other and the bridge address, nothing else.
 */
export async function ensureSandboxNetwork(options: SandboxNetworkOptions): Promise<NetworkRecord> {
  const existing = await readNetworkRecord(options.stateDir);
  if (existing && options.subnet !== undefined && existing.subnet !== options.subnet) {
    throw new PodError(
      'pod-invalid-spec',
      `sandbox ${options.sandboxId} already uses subnet ${existing.subnet}, not ${options.subnet}`,
    );
  }
  const subnet = parseSubnet(existing?.subnet ?? options.subnet ?? DEFAULT_SUBNET);
  const record: NetworkRecord = existing ?? {
    sandboxId: options.sandboxId,
    subnet: subnet.cidr,
    bridge: bridgeName(options.sandboxId),
    bridgeIp: bridgeAddress(subnet),
    prefixLength: subnet.prefixLength,
    namespace: options.namespace ?? 'sandbox',
  };
  await fenceSandboxRange();
  if (!(await linkExists(record.bridge))) {
    await withHostLock(NETWORK_LOCK_PATH, async () => {
      await assertSubnetFree(subnet, record.bridge);
      await createBridge(record);
    });
  }
  if (!existing) await writeNetworkRecord(options.stateDir, record);
  return record;
}

/**
 * Sandbox subnets live in 10.213.0.0/16. While a sandbox's bridge exists its /24 route wins;
 * once the bridge is gone (destroy, crash) a client still aiming at a pod address would follow
 * the host's default route off the machine. A `prohibit` route for the whole range makes such a
 * packet fail locally instead. It is deliberately left in place after destroy: it is a guard,
 * not a sandbox resource, and removing it would reopen the leak for stragglers.
 */
export const SANDBOX_RANGE = '10.213.0.0/16';

async function fenceSandboxRange(): Promise<void> {
  await runTool('ip', ['route', 'replace', 'prohibit', SANDBOX_RANGE, 'metric', '4000']);
}

async function createBridge(record: NetworkRecord): Promise<void> {
  // nf_call_iptables 0: traffic between pods is bridged, so host firewall rules (br_netfilter)
  // must not filter it.
  const added = await tryTool('ip', ['link', 'add', 'name', record.bridge, 'type', 'bridge', 'nf_call_iptables', '0']);
  if (added.exitCode !== 0 && !(await linkExists(record.bridge))) {
    throw new PodError('pod-command-failed', `cannot create bridge ${record.bridge}: ${added.stderr.trim()}`);
  }
  const cidr = `${record.bridgeIp}/${record.prefixLength}`;
  const addressed = await tryTool('ip', ['addr', 'add', cidr, 'dev', record.bridge]);
  if (addressed.exitCode !== 0 && !/File exists/.test(addressed.stderr)) {
    throw new PodError('pod-command-failed', `cannot address bridge ${record.bridge}: ${addressed.stderr.trim()}`);
  }
  await runTool('ip', ['link', 'set', record.bridge, 'up']);
}

/** Two sandboxes on overlapping subnets would fight over routes; refuse instead. */
async function assertSubnetFree(subnet: Subnet, ownBridge: string): Promise<void> {
  for (const link of await listAddresses()) {
    if (link.name === ownBridge) continue;
    for (const address of link.addresses) {
      const other = parseSubnetOf(address.local, address.prefixlen);
      if (overlaps(subnet, other)) {
        throw new PodError(
          'pod-subnet-in-use',
          `subnet ${subnet.cidr} overlaps ${address.local}/${address.prefixlen} on ${link.name}`,
        );
      }
    }
  }
}

/** Give a pod its network namespace, a veth into the bridge (`eth0` inside) and `lo`. */
export async function attachPodNetwork(params: {
  netns: string;
  veth: string;
  bridge: string;
  ip: string;
  prefixLength: number;
}): Promise<void> {
  const { netns, veth, bridge, ip, prefixLength } = params;
  await runTool('ip', ['netns', 'add', netns]);
  await runTool('ip', ['link', 'add', veth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', netns]);
  await runTool('ip', ['link', 'set', veth, 'master', bridge, 'up']);
  await runTool('ip', ['-n', netns, 'addr', 'add', `${ip}/${prefixLength}`, 'dev', 'eth0']);
  await runTool('ip', ['-n', netns, 'link', 'set', 'eth0', 'up']);
  await runTool('ip', ['-n', netns, 'link', 'set', 'lo', 'up']);
}

/** Links in the root namespace whose names carry the sandbox prefix (bridge and veths). */
export async function listSandboxLinks(sandboxId: string): Promise<string[]> {
  const prefix = namePrefix(sandboxId);
  return (await listAddresses('link')).map((l) => l.name).filter((n) => n.startsWith(prefix));
}

/** Network namespaces (`ip netns`) whose names carry the sandbox prefix. */
export async function listSandboxNetns(sandboxId: string): Promise<string[]> {
  const prefix = namePrefix(sandboxId);
  const out = await runTool('ip', ['-j', 'netns', 'list']);
  const list = z.array(z.object({ name: z.string() })).parse(out.trim() === '' ? [] : JSON.parse(out));
  return list.map((n) => n.name).filter((n) => n.startsWith(prefix));
}

export async function linkExists(name: string): Promise<boolean> {
  return (await tryTool('ip', ['link', 'show', 'dev', name])).exitCode === 0;
}

/** Delete a link if it is there (deleting either end of a veth pair deletes both). */
export async function deleteLink(name: string): Promise<void> {
  const result = await tryTool('ip', ['link', 'del', 'dev', name]);
  if (result.exitCode !== 0 && (await linkExists(name))) {
    throw new PodError('pod-command-failed', `cannot delete link ${name}: ${result.stderr.trim()}`);
  }
}

export async function deleteNetns(name: string): Promise<void> {
  const result = await tryTool('ip', ['netns', 'del', name]);
  if (result.exitCode !== 0 && (await netnsExists(name))) {
    throw new PodError('pod-command-failed', `cannot delete netns ${name}: ${result.stderr.trim()}`);
  }
}

async function netnsExists(name: string): Promise<boolean> {
  const out = await runTool('ip', ['netns', 'list']);
  return out.split('\n').some((line) => line.split(' ')[0] === name);
}

const AddrSchema = z.array(
  z.object({
    ifname: z.string(),
    addr_info: z
      .array(z.object({ family: z.string(), local: z.string(), prefixlen: z.number() }))
      .optional(),
  }),
);

async function listAddresses(
  what: 'addr' | 'link' = 'addr',
): Promise<{ name: string; addresses: { local: string; prefixlen: number }[] }[]> {
  const out = await runTool('ip', what === 'addr' ? ['-j', '-4', 'addr', 'show'] : ['-j', 'link', 'show']);
  return AddrSchema.parse(JSON.parse(out)).map((l) => ({
    name: l.ifname,
    addresses: (l.addr_info ?? []).filter((a) => a.family === 'inet'),
  }));
}

function parseSubnetOf(address: string, prefixLength: number): { network: number; size: number } {
  const value = address.split('.').reduce((acc, o) => acc * 256 + Number(o), 0);
  const size = 2 ** (32 - prefixLength);
  return { network: value - (value % size), size };
}

function overlaps(a: { network: number; size: number }, b: { network: number; size: number }): boolean {
  return a.network < b.network + b.size && b.network < a.network + a.size;
}
