/**
 * Facts the charm reads from the workload container through Pebble, on the rock and on Debian
 * alike: which PostgreSQL it runs, which flavour of workload it is, and the memory, CPUs and
 * disk space the container really has. Reading the container's own cgroup limits replaces the
 * reference's node-allocatable lookup, which needed `juju trust` and ignored cgroup limits.
 */
import { CharmError } from '../errors.ts';
import type { WorkloadPebble } from '../clients/workload-pebble.ts';
import { DEFAULT_WORKLOAD_PATHS, LEADER_LABEL_VALUE, postgresqlBinDir, type WorkloadCommands } from '../workload/index.ts';
import { availablePreloadLibraries, flavourSettings, type WorkloadFlavour } from './flavour.ts';
import { listNames, readOptionalFile, runOptional } from './pebble-reads.ts';
import {
  countCpuList,
  cpusFromQuota,
  majorVersion,
  newestMajor,
  parseCpuMax,
  parseDfOutput,
  parseLocaleList,
  parseMeminfoTotal,
  parseMemoryLimit,
  parsePostgresVersionOutput,
  patroniLeaderLabel,
  parseRockVersion,
  type FilesystemSpace,
} from './parsers.ts';

export type WorkloadProbeErrorCode = 'workload-probe-failed';

export class WorkloadProbeError extends CharmError<WorkloadProbeErrorCode> {
  constructor(message: string, options?: { cause?: unknown }) {
    super('workload-probe-failed', message, options);
  }
}

const POSTGRESQL_LIB_ROOT = '/usr/lib/postgresql';

export interface WorkloadFacts {
  readonly flavour: WorkloadFlavour;
  /** The workload version shown by `juju status` (e.g. `14.23`, `15.18`). */
  readonly version: string;
  readonly major: number;
  readonly binDir: string;
  readonly commands: Partial<WorkloadCommands>;
  readonly pgbackrestExporter: boolean;
  /** Undefined keeps the rock's list. */
  readonly sharedPreloadLibraries?: readonly string[];
  readonly lcMessages?: string;
  /** The pod `role` label Patroni gives the leader, which the `<app>-primary` Service selects. */
  readonly patroniLeaderLabel: string;
}

/** Which PostgreSQL the container has: the rock's snap metadata, else the newest Debian install. */
export async function probeWorkload(pebble: WorkloadPebble): Promise<WorkloadFacts> {
  const snapYaml = await readOptionalFile(pebble, DEFAULT_WORKLOAD_PATHS.rockMetadata);
  const rockVersion = snapYaml === undefined ? undefined : parseRockVersion(snapYaml);
  const rockMajor = rockVersion === undefined ? undefined : majorVersion(rockVersion);
  if (rockVersion !== undefined && rockMajor !== undefined) {
    // The rock's Patroni honours leader_label_value.
    const binDir = postgresqlBinDir(rockMajor);
    return { flavour: 'rock', version: rockVersion, major: rockMajor, binDir, ...flavourSettings('rock'), patroniLeaderLabel: LEADER_LABEL_VALUE };
  }

  const major = newestMajor(await listNames(pebble, POSTGRESQL_LIB_ROOT));
  if (major === undefined) {
    throw new WorkloadProbeError(`no PostgreSQL in the workload: neither ${DEFAULT_WORKLOAD_PATHS.rockMetadata} nor ${POSTGRESQL_LIB_ROOT}/<major>`);
  }
  const binDir = postgresqlBinDir(major);
  const settings = flavourSettings('debian');
  const [versionOutput, patroniVersion, libraries] = await Promise.all([
    runOptional(pebble, [`${binDir}/postgres`, '--version']),
    runOptional(pebble, [settings.commands.patroni ?? 'patroni', '--version']),
    listNames(pebble, `${POSTGRESQL_LIB_ROOT}/${major}/lib`, '*.so'),
  ]);
  const version = (versionOutput === undefined ? undefined : parsePostgresVersionOutput(versionOutput)) ?? String(major);
  return {
    flavour: 'debian',
    version,
    major,
    binDir,
    ...settings,
    sharedPreloadLibraries: availablePreloadLibraries(libraries),
    patroniLeaderLabel: patroniLeaderLabel(patroniVersion, LEADER_LABEL_VALUE),
  };
}

export interface WorkloadResources {
  readonly memoryBytes: number;
  readonly cpuCores: number;
}

/** Memory and CPUs as the container sees them (cgroup v2, then v1, then the whole machine). */
export async function probeResources(pebble: WorkloadPebble): Promise<WorkloadResources> {
  const [memoryBytes, cpuCores] = await Promise.all([probeMemory(pebble), probeCpus(pebble)]);
  return { memoryBytes, cpuCores };
}

async function probeMemory(pebble: WorkloadPebble): Promise<number> {
  const read = (path: string) => readOptionalFile(pebble, path);
  const [v2, v1, meminfoFile] = await Promise.all([
    read('/sys/fs/cgroup/memory.max'),
    read('/sys/fs/cgroup/memory/memory.limit_in_bytes'),
    read('/proc/meminfo'),
  ]);
  // Files under /proc report size 0; if a Pebble pull comes back empty, ask cat.
  const meminfo = meminfoFile?.trim() ? meminfoFile : await runOptional(pebble, ['cat', '/proc/meminfo']);
  const machine = meminfo === undefined ? undefined : parseMeminfoTotal(meminfo);
  const limit = (v2 === undefined ? undefined : parseMemoryLimit(v2)) ?? (v1 === undefined ? undefined : parseMemoryLimit(v1));
  const candidates = [limit, machine].filter((value): value is number => value !== undefined);
  if (candidates.length === 0) throw new WorkloadProbeError('cannot tell the workload container\'s memory (no cgroup limit, no /proc/meminfo)');
  return Math.min(...candidates);
}

async function probeCpus(pebble: WorkloadPebble): Promise<number> {
  const read = (path: string) => readOptionalFile(pebble, path);
  const [cpuset, online, cpuMax, cfsQuota, cfsPeriod] = await Promise.all([
    read('/sys/fs/cgroup/cpuset.cpus.effective'),
    read('/sys/devices/system/cpu/online'),
    read('/sys/fs/cgroup/cpu.max'),
    read('/sys/fs/cgroup/cpu/cpu.cfs_quota_us'),
    read('/sys/fs/cgroup/cpu/cpu.cfs_period_us'),
  ]);
  let cpus = (cpuset === undefined ? undefined : countCpuList(cpuset)) ?? (online === undefined ? undefined : countCpuList(online));
  if (cpus === undefined) {
    const nproc = await runOptional(pebble, ['nproc']);
    const parsed = Number(nproc?.trim());
    cpus = Number.isInteger(parsed) && parsed > 0 ? parsed : undefined;
  }
  if (cpus === undefined) throw new WorkloadProbeError('cannot tell how many CPUs the workload container has');
  const quota =
    (cpuMax === undefined ? undefined : parseCpuMax(cpuMax)) ??
    (cfsQuota === undefined || cfsPeriod === undefined ? undefined : cpusFromQuota(Number(cfsQuota.trim()), Number(cfsPeriod.trim())));
  return quota === undefined ? cpus : Math.min(cpus, quota);
}

/**
 * Size and free space of the filesystem holding `path`. `df` runs with `path` as its working
 * directory (`.`), so it measures the container's own mount wherever Pebble maps paths.
 */
export async function probeFilesystemSpace(pebble: WorkloadPebble, path: string): Promise<FilesystemSpace> {
  const output = await runOptional(pebble, ['df', '-P', '-k', '.'], { workingDir: path });
  const space = output === undefined ? undefined : parseDfOutput(output);
  if (space === undefined) throw new WorkloadProbeError(`cannot read the free space of ${path}`);
  return space;
}

/** The locales the workload has (`locale -a`). */
export async function availableLocales(pebble: WorkloadPebble): Promise<string[]> {
  const output = await runOptional(pebble, ['locale', '-a']);
  if (output === undefined) throw new WorkloadProbeError('cannot list the workload\'s locales (locale -a failed)');
  return parseLocaleList(output);
}
