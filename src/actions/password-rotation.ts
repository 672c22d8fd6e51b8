import { setTimeout as sleep } from 'node:timers/promises';
import type { PostgreSQL } from '../../lib/postgresql/index.ts';
import { errorCode } from '../errors.ts';
import type { Logger } from '../logging.ts';
import { memberNameToUnitName, NO_RETRY, type ClusterMember, type ClusterStatus, type PatroniClient } from '../patroni/index.ts';
import type { PeerDataStore } from '../state/peer-data.ts';
import { OPERATOR_USER } from '../workload/users.ts';
import type { Awaitable } from './common.ts';

/*
 * The database half of set-password. PostgreSQL keeps passwords in pg_authid, which replicas get
 * through WAL, so a password is changed once, on the primary, and is valid on a replica once the
 * replica has replayed that change. We therefore read the primary's WAL position right after the
 * change and wait until every other member's Patroni reports having replayed past it.
 */

/** Where a member's PostgreSQL listens, as Patroni's `/cluster` lists it. */
export type MemberAddress = Pick<ClusterMember, 'host' | 'port'>;

/** The SQL set-password runs on one member (the primary), as `operator`. */
export interface MemberSql {
  /** `ALTER USER … WITH ENCRYPTED PASSWORD …`, without the statement reaching the server log. */
  updateUserPassword(user: string, password: string): Promise<void>;
  /** `pg_current_wal_lsn()` as PostgreSQL prints it (`16/B374D848`). */
  currentWalLsn(): Promise<string>;
}

/**
 * Open SQL on `member`. The login uses the charm's stored `operator` password unless
 * `connectPassword` replaces it (after `operator` itself changed, only its new one logs in).
 */
export type MemberSqlFactory = (member: MemberAddress, options?: { connectPassword?: string }) => Awaitable<MemberSql>;

/** The lib/postgresql client (already aimed at the member) that the production MemberSql runs on. */
export type MemberPostgreSQL = Pick<PostgreSQL, 'updateUserPassword' | 'run'>;

/** MemberSql over lib/postgresql: its unlogged password change, and one query for the WAL position. */
export function postgresqlMemberSql(postgresql: MemberPostgreSQL): MemberSql {
  return {
    updateUserPassword: (user, password) => postgresql.updateUserPassword(user, password),
    currentWalLsn: () =>
      postgresql.run(async (connection) => {
        const result = await connection.query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn');
        return result.rows[0]?.lsn ?? '';
      }),
  };
}

/**
 * `ALTER USER … PASSWORD` on the primary, without the statement reaching the server log. The
 * connection uses the charm's current credentials unless `connectPassword` says otherwise.
 */
export async function changePasswordOnPrimary(
  memberSql: MemberSqlFactory,
  primary: MemberAddress,
  user: string,
  password: string,
  options: { connectPassword?: string } = {},
): Promise<void> {
  const sql = await memberSql({ host: primary.host, port: primary.port }, options.connectPassword === undefined ? {} : options);
  await sql.updateUserPassword(user, password);
}

/**
 * The primary's current WAL position as a byte offset. After changing `operator`'s password the
 * old one no longer opens connections, so the new one is used for this read.
 */
export async function primaryWalPosition(memberSql: MemberSqlFactory, primary: MemberAddress, changedUser: string, newPassword: string): Promise<bigint> {
  const sql = await memberSql({ host: primary.host, port: primary.port }, changedUser === OPERATOR_USER ? { connectPassword: newPassword } : {});
  return parseLsn(await sql.currentWalLsn());
}

/** `16/B374D848` → its byte offset. */
export function parseLsn(lsn: string): bigint {
  const match = /^([0-9A-Fa-f]{1,8})\/([0-9A-Fa-f]{1,8})$/.exec(lsn);
  if (!match) throw new TypeError(`not a WAL position: ${JSON.stringify(lsn)}`);
  return (BigInt(`0x${match[1]}`) << 32n) | BigInt(`0x${match[2]}`);
}

export interface ReplayWaitOptions {
  timeoutMs: number;
  intervalMs: number;
  logger: Logger;
}

/**
 * Wait until every member but the primary has replayed up to `position`, asking each member's
 * own Patroni (`GET /patroni`, `xlog.replayed_location`). Returns the units still behind when the
 * time runs out (empty when all caught up).
 */
export async function waitForReplay(
  patroni: PatroniClient,
  cluster: ClusterStatus,
  primaryName: string,
  position: bigint,
  options: ReplayWaitOptions,
): Promise<string[]> {
  // The loop is the retry: each poll asks once.
  const once = patroni.withRetryPolicies({ read: NO_RETRY });
  let behind = cluster.members.filter((member) => member.name !== primaryName);
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    const replayed = await Promise.all(behind.map((member) => hasReplayed(once, member, position, options.logger)));
    behind = behind.filter((_member, index) => !replayed[index]);
    if (behind.length === 0 || Date.now() >= deadline) break;
    await sleep(Math.min(options.intervalMs, Math.max(0, deadline - Date.now())));
  }
  return behind.map((member) => memberNameToUnitName(member.name));
}

async function hasReplayed(patroni: PatroniClient, member: ClusterMember, position: bigint, logger: Logger): Promise<boolean> {
  if (member.api_url === undefined) return false;
  try {
    const status = await patroni.forMember(new URL(member.api_url).origin).patroni();
    const replayed = status.xlog?.replayed_location;
    return typeof replayed === 'number' && BigInt(replayed) >= position;
  } catch (error) {
    logger.debug({ member: member.name, code: errorCode(error) }, 'member did not report its replay position');
    return false;
  }
}

/**
 * Tell every unit that the passwords changed: bump the peer app bag's `password-rotation`. Juju
 * hands the write to the other units as relation-changed once the action ends (when it also
 * commits the secret), and their reconcile renders patroni.yml from the new secret.
 */
export async function announcePasswordRotation(peers: Pick<PeerDataStore, 'readApp' | 'writeApp'>): Promise<number> {
  const bag = await peers.readApp();
  const current = bag.status === 'no-peer-relation' ? undefined : bag.data['password-rotation'];
  const next = (current ?? 0) + 1;
  await peers.writeApp({ 'password-rotation': next });
  return next;
}
