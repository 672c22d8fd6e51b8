import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allActive, APP, isClean, SandboxFixture, summarize, type UnitStatus } from '../../support/sandbox-fixture.ts';
import { unitNames } from './helpers.ts';

// The charm on the Kubernetes DCS through the sandbox's API stand-in (--dcs kubernetes): deployed
// without `--trust` it blocks with the reference's hint, `trust` clears that by itself (Juju runs
// config-changed), and the `<app>-primary` Service's cluster DNS name follows a switchover.

const MIN = 60_000;
const TRUST_MESSAGE = `Insufficient permissions, try: \`juju trust ${APP} --scope=cluster\``;
let sbx: SandboxFixture;
const timings: Record<string, number> = {};

beforeAll(async () => {
  sbx = await SandboxFixture.create('k8s');
});

afterAll(async () => {
  const leftovers = await sbx?.teardown();
  if (Object.keys(timings).length > 0) console.info(`kubernetes DCS timings (s): ${JSON.stringify(timings)}`);
  expect(leftovers === null || isClean(leftovers), JSON.stringify(leftovers)).toBe(true);
}, 5 * MIN);

async function timed<T>(name: string, work: () => Promise<T>): Promise<T> {
  const started = Date.now();
  try {
    return await work();
  } finally {
    timings[name] = Math.round((Date.now() - started) / 100) / 10;
  }
}

const leaderOf = (units: Record<string, UnitStatus>): string | undefined => Object.entries(units).find(([, u]) => u.patroni?.role === 'leader')?.[0];

/** The IPv4 addresses `name` resolves to inside `unit`'s pod (its /etc/hosts, as cluster DNS). */
async function resolveIn(unit: string, name: string): Promise<string[]> {
  const result = await sbx.ssh(unit, ['getent', 'ahostsv4', name]);
  if (result.exitCode !== 0) return [];
  return [...new Set(result.stdout.split('\n').map((line) => line.split(/\s+/)[0]!).filter((ip) => /^\d+\.\d+\.\d+\.\d+$/.test(ip)))].sort();
}

describe('the charm on the Kubernetes DCS (API stand-in)', () => {
  it('a. without trust the application is Blocked with the juju trust hint; trust makes it active by itself', async () => {
    await timed('deploy-untrusted', () => sbx.deploy(2, { dcs: 'kubernetes', trust: false }));
    // The leader is refused first (its pod labels and Services) and shows why on the
    // application; the other unit waits for the cluster its leader cannot start.
    const blocked = await timed('blocked', () =>
      sbx.waitFor(
        (units, status) => {
          const application = status.applications[APP]?.['application-status'];
          const leader = Object.values(units).find((u) => u.leader);
          return application?.current === 'blocked' && application.message === TRUST_MESSAGE && leader?.['workload-status'].message === TRUST_MESSAGE;
        },
        'the application and its leader blocked on trust',
        5 * MIN,
      ),
    );
    const units = blocked.applications[APP]!.units;
    expect(Object.values(units).filter((u) => u['workload-status'].current === 'active'), summarize(units)).toEqual([]);

    const trustedAt = Date.now();
    await timed('trust', () => sbx.trust());
    const active = await timed('active-after-trust', () => sbx.waitForActive(2, 5 * MIN));
    expect(active.applications[APP]!['application-status'].message ?? '').not.toBe(TRUST_MESSAGE);
    // No update-status was needed: trust ran config-changed on every unit.
    for (const unit of unitNames(active.applications[APP]!.units)) expect((await sbx.hooksStarted(unit, trustedAt)).map((h) => h.hook), unit).toContain('config-changed');
  }, 15 * MIN);

  it('b. <app>-primary.<model>.svc.cluster.local resolves to the primary, before and after a switchover', async () => {
    const status = await sbx.waitFor(
      (units) => allActive(units, 2) && Object.values(units).some((u) => u.patroni?.role === 'sync_standby'),
      'a leader and a sync standby',
      3 * MIN,
    );
    const model = status.model.name;
    const name = `${APP}-primary.${model}.svc.cluster.local`;
    const units = status.applications[APP]!.units;
    const primary = leaderOf(units)!;
    const replica = unitNames(units).find((u) => u !== primary)!;
    const primaryIp = await sbx.unitAddress(primary);
    const replicaIp = await sbx.unitAddress(replica);
    // Asked from the replica's pod, as a client in the cluster would.
    expect(await sbx.until(() => resolveIn(replica, name), (ips) => ips.length === 1 && ips[0] === primaryIp, `${name} → ${primaryIp}`, 30_000)).toEqual([primaryIp]);
    expect(await resolveIn(replica, `kubernetes.default.svc.cluster.local`)).toHaveLength(1);

    await timed('switchover', () => sbx.runOk(replica, 'promote-to-primary', { scope: 'unit' }));
    // Once the action is done, the name follows within seconds: polled every 50 ms inside the
    // old primary's pod, timed there (the CLI's own start-up is not counted).
    const poll = [
      'start=$(date +%s%N)',
      `until [ "$(getent ahostsv4 ${name} | awk '{print $1}' | sort -u | tr '\\n' ' ')" = "${replicaIp} " ]; do`,
      '  [ $(( ($(date +%s%N) - start) / 1000000 )) -gt 30000 ] && { echo timeout; exit 1; }',
      '  sleep 0.05',
      'done',
      'echo $(( ($(date +%s%N) - start) / 1000000 ))',
    ].join('\n');
    const followed = await sbx.ssh(primary, ['bash', '-c', poll]);
    expect(followed.exitCode, `${followed.stdout}${followed.stderr}`).toBe(0);
    timings['dns-after-switchover-ms'] = Number(followed.stdout.trim());
    expect(Number(followed.stdout.trim())).toBeLessThan(10_000);
    await sbx.waitFor((u) => leaderOf(u) === replica, `${replica} to lead in Patroni`, MIN);
    expect(await resolveIn(primary, name)).toEqual([replicaIp]);
  }, 10 * MIN);
});
