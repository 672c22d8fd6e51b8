/**
 * The raw-Patroni baseline of bench:cluster: three plain Patroni 3.0.2 processes (PostgreSQL 15,
 * etcd 3.4 as the DCS, synchronous mode, loopback) on the same machine with the same ttl,
 * loop_wait and retry_timeout as the charm, no charm, no Pebble, no sandbox
 * (tests/support/patroni-stack.ts). The same measures as the charm's:
 *
 *   failover    SIGKILL of the leader's Patroni and PostgreSQL, nothing restarts them → the first
 *               INSERT accepted by another member; then the member is started again and rejoins
 *   switchover  POST /switchover {leader, candidate: the sync standby} to the leader, as
 *               patronictl does → the first INSERT accepted by the candidate
 *
 * with a ContinuousWrites writer through each, reporting its longest gap and checking that no
 * acknowledged write is lost or doubled.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { ContinuousWrites } from '../../tests/support/continuous-writes.ts';
import { startPatroniStack, type PatroniStack, type PatroniStackMember, type StackClusterView } from '../../tests/support/patroni-stack.ts';

export interface RawBaselineOptions {
  readonly timing: { ttl: number; loop_wait: number; retry_timeout: number };
  readonly failovers: number;
  readonly switchovers: number;
  readonly record: (name: string, ms: number) => void;
  readonly note: (text: string) => void;
}

const MIN = 60_000;
const target = (m: PatroniStackMember): string => `127.0.0.1:${m.pgPort}`;

export async function rawPatroniBaseline(options: RawBaselineOptions): Promise<void> {
  const stack = await startPatroniStack({ members: 3, timing: options.timing, startTimeoutMs: 3 * MIN });
  try {
    const { superuser } = stack;
    const leader = await leaderMember(stack);
    await query(stack, leader, 'CREATE TABLE bench_probe (at timestamptz NOT NULL DEFAULT clock_timestamp())');
    const healthy = (view: StackClusterView): boolean =>
      view.members.length === 3 &&
      view.members.every((m) => m.state === 'running' || m.state === 'streaming') &&
      view.members.filter((m) => m.role === 'leader').length === 1 &&
      view.members.some((m) => m.role === 'sync_standby');

    for (let i = 0; i < options.failovers; i++) {
      process.stderr.write(`raw patroni failover ${i + 1}/${options.failovers}\n`);
      await withWriter(stack, options, 'raw patroni failover', async () => {
        const victim = await leaderMember(stack);
        const others = stack.members.filter((m) => m !== victim);
        const killedAt = stack.crash(victim);
        const at = await firstWrite(others, superuser.password, 3 * MIN);
        options.record('raw patroni failover: kill → first write on new primary', at - killedAt);
        stack.restart(victim);
        await stack.waitForCluster(healthy, 'the old leader back as a replica, a sync standby', 5 * MIN);
        options.record('raw patroni failover: kill → old primary rejoined', Date.now() - killedAt);
      });
    }

    for (let i = 0; i < options.switchovers; i++) {
      process.stderr.write(`raw patroni switchover ${i + 1}/${options.switchovers}\n`);
      await withWriter(stack, options, 'raw patroni switchover', async () => {
        const view = await stack.waitForCluster(healthy, 'a sync standby', 3 * MIN);
        const leader = stack.members.find((m) => m.name === view.members.find((v) => v.role === 'leader')!.name)!;
        const candidate = stack.members.find((m) => m.name === view.members.find((v) => v.role === 'sync_standby')!.name)!;
        const t0 = Date.now();
        const answered = switchover(stack, leader, candidate).then(() => Date.now());
        const at = await firstWrite([candidate], superuser.password, 3 * MIN);
        options.record('raw patroni switchover: request → first write on new primary', at - t0);
        options.record('raw patroni switchover: POST /switchover answered', (await answered) - t0);
        await stack.waitForCluster((v) => healthy(v) && v.members.find((m) => m.role === 'leader')?.name === candidate.name, 'healthy again', 5 * MIN);
      });
    }
  } finally {
    await stack.stop();
  }
}

async function leaderMember(stack: PatroniStack): Promise<PatroniStackMember> {
  const view = await stack.waitForCluster((v) => v.members.some((m) => m.role === 'leader'), 'a leader', 3 * MIN);
  const name = view.members.find((m) => m.role === 'leader')!.name;
  return stack.members.find((m) => m.name === name)!;
}

async function query(stack: PatroniStack, member: PatroniStackMember, sql: string): Promise<void> {
  const client = new pg.Client(stack.pgConfig(member));
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

async function firstWrite(members: readonly PatroniStackMember[], password: string, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    for (const member of members) {
      const client = new pg.Client({ host: '127.0.0.1', port: member.pgPort, user: 'postgres', password, database: 'postgres', connectionTimeoutMillis: 2_000 });
      client.on('error', () => undefined);
      try {
        await client.connect();
        await client.query('INSERT INTO bench_probe DEFAULT VALUES');
        return Date.now();
      } catch {
        // read-only or not up yet
      } finally {
        await client.end().catch(() => undefined);
      }
    }
    await sleep(25);
  }
  throw new Error(`no write accepted within ${timeoutMs} ms`);
}

async function switchover(stack: PatroniStack, leader: PatroniStackMember, candidate: PatroniStackMember): Promise<void> {
  const auth = Buffer.from(`${stack.restUsername}:${stack.restPassword}`).toString('base64');
  const response = await fetch(`${leader.restUrl}/switchover`, {
    method: 'POST',
    headers: { authorization: `Basic ${auth}`, 'content-type': 'application/json' },
    body: JSON.stringify({ leader: leader.name, candidate: candidate.name }),
    signal: AbortSignal.timeout(60_000),
  });
  const body = await response.text();
  if (response.status !== 200) throw new Error(`switchover refused: ${response.status} ${body}`);
}

async function withWriter(stack: PatroniStack, options: RawBaselineOptions, label: string, work: () => Promise<void>): Promise<void> {
  const cw = new ContinuousWrites({
    hosts: () => stack.members.map(target),
    user: 'postgres',
    password: stack.superuser.password,
    table: 'bench_writes',
    intervalMs: 20,
  });
  await cw.start();
  await cw.waitForWrites(20, MIN);
  try {
    await work();
    await cw.waitForWrites(20, 2 * MIN);
  } finally {
    const report = await cw.stop();
    options.record(`${label} write gap`, report.longestGapMs);
    const leader = await leaderMember(stack);
    const check = await cw.verify(target(leader));
    if (check.missing.length + check.duplicated.length + check.unexpected.length > 0) {
      options.note(`${label}: writes LOST or DOUBLED: ${JSON.stringify({ missing: check.missing.slice(0, 10), duplicated: check.duplicated.slice(0, 10), unexpected: check.unexpected.slice(0, 10) })}`);
    }
  }
}
