import { PodError } from './errors.ts';

/** The default sandbox subnet: private, small, and unlikely to clash with a host's own networks. */
export const DEFAULT_SUBNET = '10.213.0.0/24';

/** Pods get `.10 + index`, leaving the low addresses for the bridge (`.1`) and sandbox services. */
const FIRST_POD_OFFSET = 10;

export interface Subnet {
  /** Canonical `a.b.c.d/len` form. */
  cidr: string;
  prefixLength: number;
  network: number;
  size: number;
}

/** Parse an IPv4 CIDR; only private (RFC 1918) ranges are accepted, traffic must stay local. */
export function parseSubnet(cidr: string): Subnet {
  const match = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(cidr);
  if (!match) throw new PodError('pod-invalid-spec', `subnet ${cidr} is not an IPv4 CIDR`);
  const octets = match.slice(1, 5).map(Number);
  const prefixLength = Number(match[5]);
  if (octets.some((o) => o > 255) || prefixLength < 16 || prefixLength > 28) {
    throw new PodError('pod-invalid-spec', `subnet ${cidr} must be a valid /16../28 IPv4 network`);
  }
  const address = octets.reduce((acc, o) => acc * 256 + o, 0);
  const size = 2 ** (32 - prefixLength);
  const network = address - (address % size);
  if (network !== address) {
    throw new PodError('pod-invalid-spec', `subnet ${cidr} has host bits set`);
  }
  if (!isPrivate(network)) {
    throw new PodError('pod-invalid-spec', `subnet ${cidr} is not a private (RFC 1918) range`);
  }
  // Only inside the fenced range (network.ts SANDBOX_RANGE) can a stray packet never leave the host.
  if (Math.floor(network / 65536) !== 10 * 256 + 213 || prefixLength < 17) {
    throw new PodError('pod-invalid-spec', `subnet ${cidr} must lie inside 10.213.0.0/16 (the sandbox's fenced range), e.g. 10.213.7.0/24`);
  }
  return { cidr, prefixLength, network, size };
}

/** The bridge's own address, `.1`: the host side of every pod, where sandbox services listen. */
export function bridgeAddress(subnet: Subnet): string {
  return formatAddress(subnet.network + 1);
}

/** The address of pod slot `index`, `.10 + index`. */
export function podAddress(subnet: Subnet, index: number): string {
  if (!Number.isInteger(index) || index < 0 || index > maxPodIndex(subnet)) {
    throw new PodError(
      'pod-invalid-spec',
      `pod index ${index} does not fit subnet ${subnet.cidr} (0..${maxPodIndex(subnet)})`,
    );
  }
  return formatAddress(subnet.network + FIRST_POD_OFFSET + index);
}

/** The highest slot below the broadcast address. */
export function maxPodIndex(subnet: Subnet): number {
  return subnet.size - 2 - FIRST_POD_OFFSET;
}

function formatAddress(value: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join('.');
}

function isPrivate(network: number): boolean {
  const inRange = (base: string, len: number): boolean => {
    const size = 2 ** (32 - len);
    const start = base.split('.').reduce((acc, o) => acc * 256 + Number(o), 0);
    return network >= start && network < start + size;
  };
  return inRange('10.0.0.0', 8) || inRange('172.16.0.0', 12) || inRange('192.168.0.0', 16);
}
