import { expect } from 'vitest';
import { SecretStore } from '../../../../src/state/secrets.ts';
import type { Harness } from '../../../support/juju-harness.ts';
import { asSuperuser, type PostgresInstance } from '../../../support/postgres-instance.ts';
import { APP, runHook, type HookResult, type HookSpec, type UnitWiring } from './charm-under-test.ts';
import { fakeCluster, startFakePatroni, type FakeMember, type FakePatroni } from '../../../support/fake-patroni.ts';
import { startTestWorkload, type TestWorkload, type WorkloadLayout } from '../../../unit/handlers/support/workload.ts';

export const unitName = (n: number) => `${APP}/${n}`;
export const memberName = (n: number) => `${APP}-${n}`;
export const PATRONI_YML = '/var/lib/postgresql/data/patroni.yml';
export const PASSWORD_USERS = ['backup', 'operator', 'replication', 'rewind', 'monitoring', 'patroni'] as const;

export type Wired = UnitWiring & { workload: TestWorkload; patroni: FakePatroni };

/** Per-test resources, released in reverse order by `release()` (call it from afterEach). */
export class Scenario {
  readonly #cleanups: Array<() => Promise<void>> = [];
  /** The cluster as every unit's Patroni reports it (one view, shared by the units' fakes). */
  readonly cluster = fakeCluster();
  readonly members: FakeMember[] = this.cluster.members;

  constructor(readonly postgres?: PostgresInstance) {}

  async wire(n: number, layout: WorkloadLayout = {}, extra: Partial<UnitWiring> = {}): Promise<Wired> {
    const workload = await startTestWorkload({ flavour: 'debian', ...layout });
    const patroni = await startFakePatroni({ self: memberName(n), cluster: this.cluster });
    this.#cleanups.push(() => workload.stop(), () => patroni.close());
    return { workload, patroni, ...(this.postgres === undefined ? {} : { postgres: this.postgres }), ...extra };
  }

  /** Replace the cluster view every unit's Patroni reports. */
  setMembers(members: FakeMember[]): void {
    this.members.splice(0, this.members.length, ...members);
  }

  async release(): Promise<void> {
    while (this.#cleanups.length > 0) await this.#cleanups.pop()!();
  }
}

export async function hook(harness: Harness, unit: string, spec: HookSpec, wiring: UnitWiring): Promise<HookResult> {
  const result = await runHook(harness, unit, spec, wiring);
  expect(result.exitCode, result.logs).toBe(0);
  return result;
}

export async function appSecret(harness: Harness, unit = unitName(0)): Promise<Record<string, string | undefined>> {
  const store = new SecretStore(harness.hook(unit).tools, APP);
  return Object.fromEntries(await Promise.all(PASSWORD_USERS.map(async (user) => [user, await store.get('app', `${user}-password`)])));
}

/** Patroni creates its three users at bootstrap; in these tests the test does, with the charm's passwords. */
export async function createPatroniUsers(harness: Harness, postgres: PostgresInstance): Promise<void> {
  const secrets = await appSecret(harness);
  await asSuperuser(postgres, async (client) => {
    for (const user of ['operator', 'replication', 'rewind']) {
      const exists = await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [user]);
      const verb = exists.rowCount ? 'ALTER' : 'CREATE';
      await client.query(`${verb} ROLE ${user} ${user === 'operator' ? 'SUPERUSER' : ''} LOGIN PASSWORD '${secrets[user]}'`);
    }
  });
}

export function peerRelationId(harness: Harness): number {
  return harness.model.relations.find((relation) => relation.interface === 'postgresql_peers')!.id;
}

export function peerAppData(harness: Harness): Record<string, string> {
  return harness.model.relations.find((relation) => relation.interface === 'postgresql_peers')!.appData[APP] ?? {};
}

export function running(n: number, role: FakeMember['role'], extra: Partial<FakeMember> = {}): FakeMember {
  return { name: memberName(n), role, state: 'running', host: `${memberName(n)}.${APP}-endpoints`, ...extra };
}

/** Undo what a cluster initialisation made, so each test starts from a fresh bootstrap. */
export async function resetDatabase(postgres: PostgresInstance): Promise<void> {
  await asSuperuser(postgres, async (client) => {
    await client.query('DROP EXTENSION IF EXISTS pgaudit');
    await client.query('ALTER SYSTEM RESET ALL');
    await client.query('SELECT pg_reload_conf()');
    for (const role of ['backup', 'monitoring', 'admin', 'identity_access', 'internal_access', 'relation_access', 'replication', 'rewind', 'operator']) {
      const exists = await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [role]);
      if (!exists.rowCount) continue;
      await client.query(`DROP OWNED BY "${role}"`);
      await client.query(`DROP ROLE "${role}"`);
    }
  });
}
