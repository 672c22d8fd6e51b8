import * as z from 'zod/mini';
import '../zod-setup.ts';
import { errorMessage } from '../errors.ts';
import type { ActionEvent } from '../juju/events.ts';
import { allMembersReady, primaryOf, type ClusterMember, type ClusterStatus, type PatroniClient } from '../patroni/index.ts';
import { passwordKey, type PasswordUser, type SecretStore } from '../state/secrets.ts';
import { OPERATOR_USER, PATRONI_API_USER } from '../workload/users.ts';
import { actionParams, ActionFailedError, runAction, type Awaitable, type BaseActionDeps } from './common.ts';
import { changePasswordOnPrimary, primaryWalPosition, waitForReplay, type MemberSqlFactory } from './password-rotation.ts';
import { isPasswordUser, LDAP_UNKNOWN_USER_MESSAGE, newPassword, passwordProblem, unknownUserMessage } from './passwords.ts';

export interface SetPasswordDeps extends BaseActionDeps {
  readonly secrets: Pick<SecretStore, 'get' | 'set'>;
  /** This unit's Patroni client (any member answers `/cluster`). */
  patroni(): Awaitable<PatroniClient>;
  /** SQL as `operator` on one member (here: the primary `/cluster` names). */
  readonly memberSql: MemberSqlFactory;
  /** Re-render this unit's patroni.yml from the secrets and reload Patroni (SIGHUP through Pebble). */
  refreshWorkloadConfig?(): Promise<void>;
  /** Announce the change to every unit (peer app bag `password-rotation`). */
  announceRotation?(): Promise<void>;
  ldapEnabled?(): Promise<boolean>;
}

export interface SetPasswordOptions {
  /** How long replicas get to replay the change (default 60 s). */
  replayTimeoutMs?: number;
  replayIntervalMs?: number;
}

export const NOT_LEADER_MESSAGE = 'The action can be run only on leader unit';
export const USERNAME_REQUIRED_MESSAGE = 'The action requires a username';
export const NOT_READY_MESSAGE = 'Failed changing the password: Not all members healthy or finished initial sync.';
export const CHANGE_FAILED_MESSAGE = 'Failed changing the password.';

const paramsSchema = z.looseObject({ username: z.optional(z.string()), password: z.optional(z.string()) });

/**
 * `set-password`, on the leader. Rotation order, chosen so that the secret never holds a
 * password the database does not have, and without restarting anything:
 *
 * 1. check params, leadership and that every member is running with a primary (changes nothing);
 * 2. database users: `ALTER USER` on the primary (unlogged). Open sessions, streaming replicas and
 *    Patroni's own connections keep working: PostgreSQL checks passwords only at login;
 * 3. store it in the application secret (a failure here puts the old password back first);
 * 4. database users: wait until every replica has replayed the change, so the new password logs
 *    in on every member when the action returns;
 * 5. refresh this unit's patroni.yml and reload Patroni. The other units do the same when their
 *    `secret-changed` runs (Juju commits the secret when the action ends), and, not to depend on
 *    that, on the relation-changed the bump of the peer app bag's `password-rotation` gives them.
 *
 * The `patroni` REST user skips 2 and 4. Patroni accepts a single REST password, so until a
 * unit's `secret-changed` has reloaded its Patroni, unsafe REST calls (POST/PATCH) made to that
 * member with the new password answer 401; that reload must therefore use SIGHUP, not REST.
 */
export async function setPassword(_event: ActionEvent, deps: SetPasswordDeps, options: SetPasswordOptions = {}): Promise<void> {
  await runAction(deps, async () => {
    if (!(await deps.tools.isLeader())) throw new ActionFailedError(NOT_LEADER_MESSAGE, { code: 'not-leader' });
    const params = await actionParams(deps.tools, paramsSchema);
    const user = await checkedUser(params.username, deps);
    const password = params.password ?? newPassword();
    const problem = passwordProblem(password);
    if (problem !== undefined) throw new ActionFailedError(problem, { code: 'invalid-action-params' });

    const key = passwordKey(user);
    const stored = await deps.secrets.get('app', key);
    if (stored === password) {
      deps.logger.info({ username: user }, 'The old and new passwords are equal.');
      await deps.tools.actionSet({ password });
      return;
    }

    const patroni = await deps.patroni();
    const { cluster, primary } = await readyCluster(patroni, deps);
    const isDatabaseUser = user !== PATRONI_API_USER;
    if (isDatabaseUser) await changeInDatabase(primary, user, password, deps);

    await storeOrRevert(deps, { user, key, password, stored, primary, isDatabaseUser });
    // From here the new password is in force: hand it over even if a later step fails.
    await deps.tools.actionSet({ password });
    deps.logger.info({ username: user }, 'password changed and stored');

    // The change is in force: what follows can only report that some unit lags behind it.
    const problems: string[] = [...(await announce(deps))];
    if (isDatabaseUser) problems.push(...(await confirmReplayed(deps, patroni, cluster, primary, user, password, options)));
    problems.push(...(await refreshThisUnit(deps)));
    if (problems.length > 0) throw new ActionFailedError(`The password was changed and stored, but ${problems.join('; and ')}`, { code: 'rotation-incomplete' });
  });
}

/** Step 4: what is wrong if some member has not replayed the change (empty when all have). */
async function confirmReplayed(
  deps: SetPasswordDeps,
  patroni: PatroniClient,
  cluster: ClusterStatus,
  primary: ClusterMember,
  user: string,
  password: string,
  options: SetPasswordOptions,
): Promise<string[]> {
  let position: bigint;
  try {
    position = await primaryWalPosition(deps.memberSql, primary, user, password);
  } catch (cause) {
    deps.logger.warn({ error: errorMessage(cause) }, 'could not read the primary WAL position');
    return [`the primary's WAL position could not be read to confirm the replicas have it (${errorMessage(cause)})`];
  }
  const timeoutMs = options.replayTimeoutMs ?? 60_000;
  const behind = await waitForReplay(patroni, cluster, primary.name, position, {
    timeoutMs,
    intervalMs: options.replayIntervalMs ?? 1_000,
    logger: deps.logger,
  });
  if (behind.length === 0) return [];
  return [
    `${behind.join(', ')} had not replayed it after ${timeoutMs / 1000} s: logging in there with the new password fails until they catch up (check them with juju status; nothing needs to be run again)`,
  ];
}

async function checkedUser(username: string | undefined, deps: SetPasswordDeps): Promise<PasswordUser> {
  // The reference silently fell back to `operator` in some versions: require it explicitly.
  if (username === undefined || username === '') throw new ActionFailedError(USERNAME_REQUIRED_MESSAGE, { code: 'invalid-action-params' });
  if (isPasswordUser(username)) return username;
  if (await deps.ldapEnabled?.()) throw new ActionFailedError(LDAP_UNKNOWN_USER_MESSAGE, { code: 'invalid-action-params' });
  throw new ActionFailedError(unknownUserMessage(username), { code: 'invalid-action-params' });
}

/** The cluster, if every member runs and one leads; otherwise the reference's failure. */
async function readyCluster(patroni: PatroniClient, deps: SetPasswordDeps): Promise<{ cluster: ClusterStatus; primary: ClusterMember }> {
  let cluster: ClusterStatus;
  try {
    cluster = await patroni.clusterFromAny();
  } catch (cause) {
    throw new ActionFailedError(NOT_READY_MESSAGE, { cause, code: 'cluster-not-ready' });
  }
  const primary = cluster.members.find((member) => member.name === primaryOf(cluster));
  if (!allMembersReady(cluster) || primary === undefined) {
    deps.logger.warn({ members: cluster.members.map(({ name, role, state }) => ({ name, role, state })) }, 'cluster not ready for a password change');
    throw new ActionFailedError(NOT_READY_MESSAGE, { code: 'cluster-not-ready' });
  }
  return { cluster, primary };
}

async function changeInDatabase(primary: ClusterMember, user: string, password: string, deps: SetPasswordDeps): Promise<void> {
  try {
    await changePasswordOnPrimary(deps.memberSql, primary, user, password);
  } catch (cause) {
    throw new ActionFailedError(CHANGE_FAILED_MESSAGE, { cause, code: 'password-change-failed' });
  }
  deps.logger.info({ username: user, primary: primary.name }, 'password changed on the primary');
}

/**
 * Store the new password. If Juju refuses, put the old password back in the database so the
 * secret and the database still agree; if even that fails, return the new password so the
 * operator can finish by running the action again with it.
 */
async function storeOrRevert(
  deps: SetPasswordDeps,
  change: { user: PasswordUser; key: string; password: string; stored: string | undefined; primary: ClusterMember; isDatabaseUser: boolean },
): Promise<void> {
  try {
    await deps.secrets.set('app', { [change.key]: change.password });
    return;
  } catch (cause) {
    deps.logger.error({ username: change.user, error: errorMessage(cause) }, 'could not store the new password');
    if (!change.isDatabaseUser) throw new ActionFailedError(CHANGE_FAILED_MESSAGE, { cause, code: 'password-store-failed' });
    if (change.stored !== undefined) {
      const reverted = await revert(deps, change.primary, change.user, change.password, change.stored);
      if (reverted) throw new ActionFailedError(CHANGE_FAILED_MESSAGE, { cause, code: 'password-store-failed' });
    }
    await deps.tools.actionSet({ password: change.password });
    throw new ActionFailedError(
      `Failed changing the password: the database now has the new password but it could not be stored; run the action again with the password in these results`,
      { cause, code: 'password-store-failed' },
    );
  }
}

async function revert(deps: SetPasswordDeps, primary: ClusterMember, user: string, newValue: string, oldValue: string): Promise<boolean> {
  try {
    // After changing `operator` itself, only the new password opens a connection.
    const connectPassword = user === OPERATOR_USER ? newValue : undefined;
    await changePasswordOnPrimary(deps.memberSql, primary, user, oldValue, connectPassword === undefined ? {} : { connectPassword });
    deps.logger.warn({ username: user }, 'put the old password back');
    return true;
  } catch (error) {
    deps.logger.error({ username: user, error: errorMessage(error) }, 'could not put the old password back');
    return false;
  }
}

/** Step 5, on this unit; the other units follow on secret-changed. */
async function refreshThisUnit(deps: SetPasswordDeps): Promise<string[]> {
  if (deps.refreshWorkloadConfig === undefined) return [];
  try {
    await deps.refreshWorkloadConfig();
    return [];
  } catch (cause) {
    deps.logger.warn({ error: errorMessage(cause) }, 'could not refresh the workload configuration');
    return [`this unit's Patroni configuration could not be refreshed (${errorMessage(cause)}); the next hook on this unit retries`];
  }
}

/** Step 5, for the other units: the peer app bag bump (what is wrong if it cannot be written). */
async function announce(deps: SetPasswordDeps): Promise<string[]> {
  if (deps.announceRotation === undefined) return [];
  try {
    await deps.announceRotation();
    return [];
  } catch (cause) {
    deps.logger.warn({ error: errorMessage(cause) }, 'could not announce the password change to the other units');
    return [`the other units could not be told at once (${errorMessage(cause)}); they pick it up on secret-changed or their next hook`];
  }
}
