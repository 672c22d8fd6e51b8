import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { allActive, APP, isClean, SandboxFixture, type UnitStatus } from '../../support/sandbox-fixture.ts';
import { unitNames } from './helpers.ts';

// The VM flavour's path, kept running next to the Kubernetes default: the sandbox with
// `--dcs etcd` (docs/dcs.md). A 2-unit cluster bootstraps on etcd, replicates and switches over;
// Patroni sees no Kubernetes API and the model has no Services.

const MIN = 60_000;
let sbx: SandboxFixture;

beforeAll(async () => {
  sbx = await SandboxFixture.create('etcd');
});

afterAll(async () => {
  const leftovers = await sbx?.teardown();
  expect(leftovers === null || isClean(leftovers), JSON.stringify(leftovers)).toBe(true);
}, 5 * MIN);

const leaderOf = (units: Record<string, UnitStatus>): string | undefined => Object.entries(units).find(([, u]) => u.patroni?.role === 'leader')?.[0];

describe('the charm on etcd (--dcs etcd)', () => {
  it('bootstraps on etcd, replicates, and switches over; Patroni has no Kubernetes API', async () => {
    await sbx.deploy(2, { dcs: 'etcd' });
    const status = await sbx.waitFor((u) => allActive(u, 2) && Object.values(u).some((x) => x.patroni?.role === 'sync_standby'), 'a leader and a sync standby', 3 * MIN);
    expect((status as unknown as Record<string, unknown>)['services']).toBeUndefined();
    const units = status.applications[APP]!.units;
    const primary = leaderOf(units)!;
    const replica = unitNames(units).find((u) => u !== primary)!;

    const patroniYml = (await sbx.ssh(primary, ['cat', '/var/lib/postgresql/data/patroni.yml'])).stdout;
    expect(patroniYml).toMatch(/^etcd3:/m);
    expect(patroniYml).not.toMatch(/^kubernetes:/m);
    // The pod's own Patroni: pods share the PID namespace, so pick it by its network namespace.
    const ownPatroni = 'for p in $(pgrep -f bin/patroni); do [ "$(readlink /proc/$p/ns/net)" = "$(readlink /proc/self/ns/net)" ] && tr "\\0" "\\n" < /proc/$p/environ; done; true';
    const environ = await sbx.ssh(primary, ['sh', '-c', ownPatroni]);
    expect(environ.stdout).toContain('PATRONI_NAME=');
    expect(environ.stdout).not.toContain('KUBERNETES_SERVICE_HOST');
    expect(environ.stdout).not.toContain('POSTGRESQL_DCS_ETCD_PASSWORD');

    // etcd requires credentials (docs/dcs.md#etcd-authentication): Patroni has them, in its 0600
    // patroni.yml only; etcdctl from the pod without them can neither list nor write Patroni's keys.
    const etcd3 = (parse(patroniYml) as { etcd3: { hosts: string[]; username?: string; password?: string } }).etcd3;
    expect(etcd3.username).toBe('patroni');
    expect(etcd3.password).toEqual(expect.any(String));
    expect((await sbx.ssh(primary, ['stat', '-c', '%a %U', '/var/lib/postgresql/data/patroni.yml'])).stdout.trim()).toBe('600 postgres');
    const etcdHost = etcd3.hosts[0]!;
    const etcdctl = (...args: string[]) => sbx.ssh(primary, ['env', 'ETCDCTL_API=3', 'etcdctl', `--endpoints=${etcdHost}`, '--dial-timeout=3s', '--command-timeout=5s', ...args]);
    const get = await etcdctl('get', '--prefix', '/service/');
    expect(get.exitCode, get.stdout).not.toBe(0);
    expect(get.stdout).not.toContain('/leader');
    expect(get.stderr).toContain('user name is empty');
    const put = await etcdctl('put', `/service/sandbox/patroni-${APP}/leader`, 'intruder');
    expect(put.exitCode).not.toBe(0);
    expect(put.stderr).toContain('user name is empty');

    await sbx.sql(primary, 'CREATE TABLE etcd_smoke (id int PRIMARY KEY)');
    await sbx.sql(primary, 'INSERT INTO etcd_smoke SELECT generate_series(1, 100)');
    await sbx.until(() => sbx.sql<{ n: string }>(replica, 'SELECT count(*) AS n FROM etcd_smoke'), (r) => r[0]?.n === '100', `the rows on ${replica}`, MIN);

    await sbx.runOk(replica, 'promote-to-primary', { scope: 'unit' });
    await sbx.waitFor((u) => leaderOf(u) === replica && allActive(u, 2), `${replica} to lead`, 3 * MIN);
    await sbx.sql(replica, 'INSERT INTO etcd_smoke VALUES (101)');
  }, 15 * MIN);
});
