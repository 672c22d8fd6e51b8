import type { PortRange } from '../../model/schema.ts';
import { type HookTool, type Invocation, relationFlag } from '../command.ts';
import { HookToolRunError, HookToolUsageError } from '../errors.ts';
import { checkEmpty } from '../flags.ts';

/**
 * network-get, open-port, close-port, opened-ports. Port changes are transactional
 * (docs/hook-tools.md).
 */

const ALL_FORMATS = ['smart', 'yaml', 'json'] as const;

/** The CIDR a single address belongs to in the sandbox (one address per unit). */
function cidrOf(address: string): string {
  return address.includes(':') ? `${address}/128` : `${address}/32`;
}

export const networkGet: HookTool = {
  name: 'network-get',
  formats: ALL_FORMATS,
  flags: (ctx) => [
    relationFlag(ctx),
    { names: ['primary-address'], kind: 'bool' },
    { names: ['bind-address'], kind: 'bool' },
    { names: ['ingress-address'], kind: 'bool' },
    { names: ['egress-subnets'], kind: 'bool' },
  ],
  run(inv) {
    const { ctx } = inv;
    const [binding, ...rest] = inv.args;
    if (binding === undefined) throw new HookToolUsageError('no arguments specified');
    if (binding === '') throw new HookToolUsageError('no binding name specified');
    checkEmpty(rest);
    const charm = ctx.app.charm;
    if (!charm.endpoints[binding] && !charm.extraBindings.includes(binding)) {
      throw new HookToolRunError(`no network config found for binding ${JSON.stringify(binding)}`);
    }
    const address = ctx.unit.address;
    const keys = (['bind-address', 'ingress-address', 'egress-subnets'] as const).filter((k) => inv.flags[k] === true);
    if (inv.flags['primary-address'] === true) {
      if (keys.length > 0) throw new HookToolRunError('--primary-address must be the only flag specified');
      inv.write(address);
      return;
    }
    const values: Record<string, unknown> = { 'bind-address': address, 'ingress-address': address, 'egress-subnets': [cidrOf(address)] };
    if (keys.length === 1) {
      inv.write(values[keys[0]!]);
      return;
    }
    if (keys.length > 1) {
      inv.write(Object.fromEntries(keys.map((k) => [k, values[k]])));
      return;
    }
    const json = inv.format === 'json';
    // The YAML form also carries the legacy keys (address, macaddress, interfacename) older agents read.
    const addressEntry = { hostname: '', value: address, cidr: cidrOf(address), ...(json ? {} : { address }) };
    const bind = { 'mac-address': '', 'interface-name': 'eth0', addresses: [addressEntry], ...(json ? {} : { macaddress: '', interfacename: 'eth0' }) };
    inv.write({ 'bind-addresses': [bind], 'egress-subnets': [cidrOf(address)], 'ingress-addresses': [address] });
  },
};

/** Go's strconv.Atoi, or a usage error worded like network.ParsePortRange's. */
function atoi(text: string, shown: string): number {
  if (!/^[+-]?\d+$/.test(text)) {
    throw new HookToolUsageError(`invalid port ${JSON.stringify(shown)}: strconv.Atoi: parsing ${JSON.stringify(text)}: invalid syntax`);
  }
  return Number(text);
}

/** network.ParsePortRange: `<port>[/<protocol>]`, `<from>-<to>[/<protocol>]` or `icmp`. */
export function parsePortRange(text: string): Omit<PortRange, 'endpoint'> {
  const value = text.toLowerCase();
  const slash = value.indexOf('/');
  const ports = slash < 0 ? value : value.slice(0, slash);
  let protocol = slash < 0 ? 'tcp' : value.slice(slash + 1);
  const parts = ports.split('-');
  if (parts.length > 2) throw new HookToolUsageError(`invalid port range ${JSON.stringify(ports)}`);
  let from: number;
  let to: number;
  if (parts.length === 1) {
    from = to = parts[0] === 'icmp' ? -1 : atoi(parts[0]!, ports);
  } else {
    from = atoi(parts[0]!, parts[0]!);
    to = atoi(parts[1]!, parts[1]!);
  }
  if (from === -1) protocol = 'icmp';
  if (protocol !== 'tcp' && protocol !== 'udp' && protocol !== 'icmp') {
    throw new HookToolUsageError(`invalid protocol ${JSON.stringify(protocol)}, expected "tcp", "udp", or "icmp"`);
  }
  if (protocol === 'icmp') {
    if (from !== -1 || to !== -1) throw new HookToolUsageError(`protocol "icmp" doesn't support any ports; got "${from}"`);
    return { protocol, from, to };
  }
  if (from > to) throw new HookToolUsageError(`invalid port range ${from}-${to}/${protocol}`);
  if (from < 0 || from > 65535 || to < 0 || to > 65535) {
    throw new HookToolUsageError(`port range bounds must be between 0 and 65535, got ${from}-${to}`);
  }
  return { protocol, from, to };
}

export function formatPortRange(range: Omit<PortRange, 'endpoint'>): string {
  if (range.protocol === 'icmp') return 'icmp';
  return range.from === range.to ? `${range.from}/${range.protocol}` : `${range.from}-${range.to}/${range.protocol}`;
}

function portTool(name: 'open-port' | 'close-port', open: boolean): HookTool {
  return {
    name,
    flags: () => [
      { names: ['endpoints'], kind: 'string' },
      { names: ['format'], kind: 'string' },
    ],
    run(inv: Invocation) {
      const [spec, ...rest] = inv.args;
      if (spec === undefined) throw new HookToolUsageError('no port or range specified');
      const range = parsePortRange(spec);
      checkEmpty(rest);
      if (inv.flags['format'] !== undefined) inv.warn(`--format flag deprecated for command "${name}"`);
      const endpoints = inv.flags['endpoints'] as string | undefined;
      const targets = endpoints === undefined || endpoints === '' ? [''] : endpoints.split(',').map((e) => e.trim());
      for (const endpoint of targets) {
        if (endpoint !== '' && !inv.ctx.app.charm.endpoints[endpoint]) {
          throw new HookToolRunError(`endpoint ${JSON.stringify(endpoint)} not found`);
        }
        inv.ctx.pending.ports.push({ open, range: { endpoint, ...range } });
      }
    },
  };
}

export const openPort = portTool('open-port', true);
export const closePort = portTool('close-port', false);

/** network.SortPortRanges: by protocol, then by port numbers. */
function comparePorts(a: PortRange, b: PortRange): number {
  return (a.protocol < b.protocol ? -1 : a.protocol > b.protocol ? 1 : 0) || a.from - b.from || a.to - b.to;
}

export const openedPorts: HookTool = {
  name: 'opened-ports',
  formats: ALL_FORMATS,
  flags: () => [{ names: ['endpoints'], kind: 'bool' }],
  run(inv) {
    checkEmpty(inv.args);
    // Committed ports only: pending open-port calls of this hook do not show (docs/hook-tools.md).
    const ports = [...inv.ctx.unit.openedPorts].sort(comparePorts);
    const byRange = new Map<string, Set<string>>();
    for (const port of ports) {
      const key = formatPortRange(port);
      if (!byRange.has(key)) byRange.set(key, new Set());
      byRange.get(key)!.add(port.endpoint);
    }
    if (inv.flags['endpoints'] !== true) {
      inv.write([...byRange.keys()]);
      return;
    }
    inv.write(
      [...byRange].map(([range, endpoints]) => `${range} (${endpoints.has('') ? '*' : [...endpoints].sort().join(', ')})`),
    );
  },
};
