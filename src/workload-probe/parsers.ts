/**
 * Pure readers for what the workload container tells us about itself: versions, cgroup limits,
 * /proc files and `df` output. Each returns undefined for input it does not understand, so the
 * probe can fall back to the next source instead of guessing.
 */
import { parse } from 'yaml';

/** The rock's `/meta.charmed-postgresql/snap.yaml` `version:` (e.g. `14.23`). */
export function parseRockVersion(snapYaml: string): string | undefined {
  let document: unknown;
  try {
    document = parse(snapYaml);
  } catch {
    return undefined;
  }
  const version = (document as { version?: unknown } | null)?.version;
  if (typeof version === 'number') return String(version);
  return typeof version === 'string' && version.trim() !== '' ? version.trim() : undefined;
}

/** `14.23` → 14, `15` → 15. */
export function majorVersion(version: string): number | undefined {
  const match = /^(\d+)/.exec(version.trim());
  return match ? Number(match[1]) : undefined;
}

/** The newest major among `/usr/lib/postgresql` entries (`14`, `15`, `common`, …). */
export function newestMajor(entries: readonly string[]): number | undefined {
  const majors = entries.filter((name) => /^\d+$/.test(name)).map(Number);
  return majors.length === 0 ? undefined : Math.max(...majors);
}

/** `postgres (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)` → `15.18`. */
/**
 * The `role` label value Patroni gives its leader pod, from `patroni --version` output
 * (`patroni 3.0.2`): Patroni 3.1 added `kubernetes.leader_label_value`, which the charm sets to
 * `configured`; older ones always write `master`. Unreadable output keeps `configured`.
 */
export function patroniLeaderLabel(versionOutput: string | undefined, configured: string): string {
  const match = /(\d+)\.(\d+)/.exec(versionOutput ?? '');
  if (match === null) return configured;
  const [major, minor] = [Number(match[1]), Number(match[2])];
  return major > 3 || (major === 3 && minor >= 1) ? configured : 'master';
}

export function parsePostgresVersionOutput(output: string): string | undefined {
  return /\(PostgreSQL\)\s+(\d+(?:\.\d+)*)/.exec(output)?.[1];
}

/** Kernels print "no limit" as a page-rounded 2^63 in cgroup v1; anything this large is no limit. */
const NO_LIMIT_THRESHOLD = 2 ** 60;

/** cgroup v2 `memory.max` or v1 `memory.limit_in_bytes`: bytes, or undefined for `max`/no limit. */
export function parseMemoryLimit(text: string): number | undefined {
  const value = text.trim();
  if (!/^\d+$/.test(value)) return undefined;
  const bytes = Number(value);
  return bytes > 0 && bytes < NO_LIMIT_THRESHOLD ? bytes : undefined;
}

/** `/proc/meminfo` `MemTotal:  24576000 kB` → bytes. */
export function parseMeminfoTotal(text: string): number | undefined {
  const match = /^MemTotal:\s+(\d+)\s*kB\s*$/m.exec(text);
  return match ? Number(match[1]) * 1024 : undefined;
}

/**
 * cgroup v2 `cpu.max` (`<quota> <period>` or `max <period>`) as whole CPUs, rounded down but at
 * least 1 (the reference's `500m` would become 0, which makes no sense for worker counts).
 */
export function parseCpuMax(text: string): number | undefined {
  const [quota, period] = text.trim().split(/\s+/);
  if (quota === undefined || period === undefined || !/^\d+$/.test(quota) || !/^\d+$/.test(period)) return undefined;
  return cpusFromQuota(Number(quota), Number(period));
}

/** cgroup v1 `cpu.cfs_quota_us` / `cpu.cfs_period_us` (quota -1 = no limit). */
export function cpusFromQuota(quota: number, period: number): number | undefined {
  if (!(quota > 0) || !(period > 0)) return undefined;
  return Math.max(1, Math.floor(quota / period));
}

/** A CPU list such as `0-3,6,8-9` (cpuset, /sys/devices/system/cpu/online) → how many CPUs. */
export function countCpuList(text: string): number | undefined {
  const list = text.trim();
  if (list === '') return undefined;
  let count = 0;
  for (const part of list.split(',')) {
    const match = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!match) return undefined;
    const first = Number(match[1]);
    const last = match[2] === undefined ? first : Number(match[2]);
    if (last < first) return undefined;
    count += last - first + 1;
  }
  return count;
}

export interface FilesystemSpace {
  readonly totalBytes: number;
  readonly availableBytes: number;
}

/**
 * `df -P -k <path>` output: the second line's 1024-blocks and Available columns. POSIX mode keeps
 * one line per filesystem even for long device names.
 */
export function parseDfOutput(output: string): FilesystemSpace | undefined {
  const [, line] = output.trim().split('\n');
  const fields = line?.trim().split(/\s+/) ?? [];
  const total = fields[1];
  const available = fields[3];
  if (total === undefined || available === undefined || !/^\d+$/.test(total) || !/^\d+$/.test(available)) return undefined;
  return { totalBytes: Number(total) * 1024, availableBytes: Number(available) * 1024 };
}

/** `locale -a` output → the locale names, one per line. */
export function parseLocaleList(output: string): string[] {
  return output
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '');
}

/**
 * Locale names as PostgreSQL matches them: `locale -a` prints `en_US.utf8` where operators write
 * `en_US.UTF-8`; both name the same locale.
 */
export function normaliseLocale(name: string): string {
  const [language, codeset] = name.split('.', 2);
  if (codeset === undefined) return name;
  return `${language}.${codeset.toLowerCase().replace(/-/g, '')}`;
}
