import { afterEach, describe, expect, it } from 'vitest';
import { buildPebbleLayer, LAYER_LABEL, selectDcs } from '../../../src/workload/index.ts';
import { layerChanges } from '../../../src/handlers/reconcile/pebble-layer.ts';
import {
  availableLocales,
  availablePreloadLibraries,
  countCpuList,
  cpusFromQuota,
  DEBIAN_COMMANDS,
  majorVersion,
  newestMajor,
  normaliseLocale,
  parseCpuMax,
  parseDfOutput,
  parseMeminfoTotal,
  parseMemoryLimit,
  parsePostgresVersionOutput,
  parseRockVersion,
  patroniLeaderLabel,
  probeFilesystemSpace,
  probeResources,
  probeWorkload,
  WorkloadProbeError,
} from '../../../src/workload-probe/index.ts';
import { startTestWorkload, type TestWorkload, type WorkloadLayout } from './support/workload.ts';

const workloads: TestWorkload[] = [];
afterEach(async () => {
  while (workloads.length > 0) await workloads.pop()!.stop();
});
async function workload(layout: WorkloadLayout = {}): Promise<TestWorkload> {
  const started = await startTestWorkload(layout);
  workloads.push(started);
  return started;
}

describe('parsers', () => {
  it('read versions', () => {
    expect(parseRockVersion("name: charmed-postgresql\nversion: '14.23'\n")).toBe('14.23');
    expect(parseRockVersion('version: 16\n')).toBe('16');
    expect(parseRockVersion('name: x\n')).toBeUndefined();
    expect(parseRockVersion(': : :')).toBeUndefined();
    expect(majorVersion('14.23')).toBe(14);
    expect(majorVersion('x')).toBeUndefined();
    expect(newestMajor(['14', 'common', '15', '9'])).toBe(15);
    expect(newestMajor(['common'])).toBeUndefined();
    expect(parsePostgresVersionOutput('postgres (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)\n')).toBe('15.18');
    expect(parsePostgresVersionOutput('bash: postgres: not found')).toBeUndefined();
  });

  it('tell the leader label Patroni really writes: master before 3.1, the configured one after', () => {
    expect(patroniLeaderLabel('patroni 3.0.2\n', 'primary')).toBe('master');
    expect(patroniLeaderLabel('patroni 2.1.7', 'primary')).toBe('master');
    expect(patroniLeaderLabel('patroni 3.1.0', 'primary')).toBe('primary');
    expect(patroniLeaderLabel('patroni 4.0.4', 'primary')).toBe('primary');
    expect(patroniLeaderLabel(undefined, 'primary')).toBe('primary');
  });

  it('read memory limits, treating "max" and kernel no-limit values as none', () => {
    expect(parseMemoryLimit('1073741824\n')).toBe(1073741824);
    expect(parseMemoryLimit('max\n')).toBeUndefined();
    expect(parseMemoryLimit('9223372036854771712')).toBeUndefined();
    expect(parseMemoryLimit('0')).toBeUndefined();
    expect(parseMeminfoTotal('MemTotal:       24576000 kB\nMemFree: 1 kB\n')).toBe(24576000 * 1024);
    expect(parseMeminfoTotal('MemFree: 1 kB\n')).toBeUndefined();
  });

  it('read CPU limits as whole CPUs, at least one', () => {
    expect(parseCpuMax('max 100000')).toBeUndefined();
    expect(parseCpuMax('200000 100000')).toBe(2);
    expect(parseCpuMax('150000 100000')).toBe(1);
    expect(parseCpuMax('50000 100000')).toBe(1);
    expect(cpusFromQuota(-1, 100000)).toBeUndefined();
    expect(cpusFromQuota(400000, 100000)).toBe(4);
    expect(countCpuList('0-3,6,8-9\n')).toBe(7);
    expect(countCpuList('0')).toBe(1);
    expect(countCpuList('3-1')).toBeUndefined();
    expect(countCpuList('')).toBeUndefined();
  });

  it('read df -P output and locale names', () => {
    const df = 'Filesystem     1024-blocks     Used Available Capacity Mounted on\n/dev/vda 1000 950 50 95% /data\n';
    expect(parseDfOutput(df)).toEqual({ totalBytes: 1000 * 1024, availableBytes: 50 * 1024 });
    expect(parseDfOutput('garbage')).toBeUndefined();
    expect(normaliseLocale('en_US.UTF-8')).toBe('en_US.utf8');
    expect(normaliseLocale('C')).toBe('C');
  });

  it('keep only the preload libraries the workload has', () => {
    expect(availablePreloadLibraries(['pgaudit.so', 'pg_stat_statements.so', 'plpgsql.so'])).toEqual(['pgaudit', 'pg_stat_statements']);
    expect(availablePreloadLibraries(['timescaledb.so', 'pgaudit.so', 'pg_stat_statements.so'])).toEqual(['timescaledb', 'pgaudit', 'pg_stat_statements']);
  });
});

describe('probeWorkload over Pebble', () => {
  it('recognises the rock by its snap metadata', async () => {
    const facts = await probeWorkload((await workload({ flavour: 'rock' })).client());
    expect(facts).toEqual({ flavour: 'rock', version: '14.23', major: 14, binDir: '/usr/lib/postgresql/14/bin', commands: {}, pgbackrestExporter: true, patroniLeaderLabel: 'primary' });
  });

  it('recognises Debian by its newest PostgreSQL install', async () => {
    const facts = await probeWorkload((await workload({ flavour: 'debian' })).client());
    expect(facts).toMatchObject({
      flavour: 'debian',
      major: 15,
      binDir: '/usr/lib/postgresql/15/bin',
      commands: DEBIAN_COMMANDS,
      pgbackrestExporter: false,
      lcMessages: 'C.UTF-8',
      sharedPreloadLibraries: ['pgaudit', 'pg_stat_statements'],
    });
    // The version comes from the binary when it runs (here the host's PostgreSQL 15).
    expect(facts.version).toMatch(/^15(\.\d+)?$/);
  });

  it('refuses a container without PostgreSQL', async () => {
    const empty = await workload({ flavour: 'debian' });
    const { rm } = await import('node:fs/promises');
    await rm(empty.path('/usr/lib/postgresql'), { recursive: true });
    await expect(probeWorkload(empty.client())).rejects.toBeInstanceOf(WorkloadProbeError);
  });
});

describe('probeResources over Pebble', () => {
  it('takes the machine when the container has no limits', async () => {
    const resources = await probeResources((await workload({ memTotalKb: 2_000_000, cpus: 6 })).client());
    expect(resources).toEqual({ memoryBytes: 2_000_000 * 1024, cpuCores: 6 });
  });

  it('lowers to the cgroup limits', async () => {
    const limited = await workload({ memTotalKb: 2_000_000, cpus: 6, memoryMax: '1000000000', cpuMax: '250000 100000' });
    expect(await probeResources(limited.client())).toEqual({ memoryBytes: 1_000_000_000, cpuCores: 2 });
    const unlimited = await workload({ memTotalKb: 2_000_000, cpus: 6, memoryMax: 'max', cpuMax: 'max 100000' });
    expect(await probeResources(unlimited.client())).toEqual({ memoryBytes: 2_000_000 * 1024, cpuCores: 6 });
  });

  it('measures the storage filesystem and lists locales', async () => {
    const started = await workload();
    const space = await probeFilesystemSpace(started.client(), '/var/lib/postgresql/data');
    expect(space.totalBytes).toBeGreaterThan(0);
    expect(space.availableBytes).toBeLessThanOrEqual(space.totalBytes);
    expect(await availableLocales(started.client())).toContain('C');
  });
});

describe('layerChanges against the plan Pebble renders', () => {
  it('sees no change once the layer is in, and tells services from checks', async () => {
    const client = (await workload()).client();
    const dcs = selectDcs({ POSTGRESQL_DCS_ETCD_HOSTS: '127.0.0.1:2379' }, { app: 'postgresql-k8s', model: 'm' });
    const layer = buildPebbleLayer({ unitName: 'postgresql-k8s/0', dcs, patroniApiTls: false, monitoringPassword: 'pw', pgbackrestExporter: false });
    expect(layerChanges(await client.plan(), layer)).toEqual({ services: true, checks: true });
    await client.addLayer(LAYER_LABEL, layer, { combine: true });
    const plan = await client.plan();
    expect(layerChanges(plan, layer)).toEqual({ services: false, checks: false });
    expect(layerChanges(plan, buildPebbleLayer({ unitName: 'postgresql-k8s/0', dcs, patroniApiTls: true, monitoringPassword: 'pw', pgbackrestExporter: false }))).toEqual({
      services: false,
      checks: true,
    });
    // No service carries the monitoring password (the exporter and the observer read a pgpass
    // file), so a new one changes nothing in the plan; another exporter does.
    expect(layerChanges(plan, buildPebbleLayer({ unitName: 'postgresql-k8s/0', dcs, patroniApiTls: false, monitoringPassword: 'new', pgbackrestExporter: false }))).toEqual({
      services: false,
      checks: false,
    });
    expect(layerChanges(plan, buildPebbleLayer({ unitName: 'postgresql-k8s/0', dcs, patroniApiTls: false, monitoringPassword: 'pw', pgbackrestExporter: true }))).toEqual({
      services: true,
      checks: false,
    });
  });
});
