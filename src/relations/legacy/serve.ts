/**
 * The legacy relations' part of the reconcile (reference charm: `src/relations/db.py`
 * `_on_relation_changed`, `set_up_relation`, `_on_relation_departed`), run on every unit.
 *
 * Leader, for each served relation: the user `relation_id_<id>` (SUPERUSER on `db-admin`, member
 * of `relation_access`) with the password it already has (the shared entry, else our bags), else
 * a new one; the database with the extensions the plugin options enable; then the shared entry
 * (shared-credentials.ts). The user and database are set up when the request is new or changed
 * (the reference redid it on every relation-changed; here a set-up is remembered by its shared
 * entry). Once pg_hba admits the user on every unit, the databag goes into our application bag
 * and the leader's unit bag.
 *
 * Every other unit writes the same databag (its own `host`) into its unit bag once the leader's
 * shared entry names the requested database and its own pg_hba admits the user.
 *
 * Nothing is deferred: a hook that cannot finish leaves the rest to the next one (a peer's
 * `user_hash` change, the secret change, update-status). A bag is written only where it differs,
 * so a hook with nothing new writes nothing. Users of relations that are gone are dropped by the
 * shared client-relation step; here the leader only forgets their shared entries.
 */
import { LibError } from '../../../lib/errors.ts';
import { isConnectionFailure, PostgreSQLGetPostgreSQLVersionError } from '../../../lib/postgresql/index.ts';
import { ACCESS_GROUP_RELATION } from '../../../lib/postgresql/index.ts';
import type { HookTools } from '../../juju/hook-tools.ts';
import type { Logger } from '../../logging.ts';
import type { SecretStore } from '../../state/secrets.ts';
import { generatePassword } from '../../handlers/reconcile/passwords.ts';
import { databagChanges, legacyDatabag, type LegacyDatabag } from './databag.ts';
import type { LegacyRelationPlan } from './plan.ts';
import { decodeSharedCredentials, encodeSharedCredentials, SHARED_CREDENTIALS_FIELD, type SharedCredential } from './shared-credentials.ts';

export interface LegacySql {
  createUser(user: string, options: { password: string; admin: boolean; extraUserRoles: readonly string[] }): Promise<void>;
  createDatabase(database: string, user: string, options: { plugins: readonly string[] }): Promise<void>;
}

export interface LegacyServeDeps {
  readonly appName: string;
  readonly unitName: string;
  readonly modelName: string;
  readonly tools: Pick<HookTools, 'relationSet'>;
  readonly secrets: Pick<SecretStore, 'get' | 'set'>;
  readonly logger: Pick<Logger, 'info' | 'warn' | 'debug'>;
}

export interface LegacyServeInput {
  readonly isLeader: boolean;
  readonly plans: readonly LegacyRelationPlan[];
  /** The extensions the plugin options enable (what a new database gets). */
  readonly plugins: readonly string[];
  /**
   * Whether pg_hba admits `user` wherever it must before its credentials go out: on every unit
   * for the leader (the peers' `user_hash`), on this unit for the others.
   */
  readonly admitted: (user: string) => boolean;
  /** SQL on the primary (leader only). */
  readonly sql: () => Promise<LegacySql>;
  /** Leader: note the user before it is created, so it is dropped with its relation even if set-up fails half-way. */
  readonly recordUser?: ((plan: LegacyRelationPlan, database: string) => Promise<void>) | undefined;
  /** The server version (`15.18`), or undefined when it cannot be read now. */
  readonly version: () => Promise<string | undefined>;
}

export interface LegacyServeResult {
  /** A set-up failure the operator must look at (the reference's "Failed to initialize <endpoint> relation"). */
  readonly blockedMessage?: string;
  /** Relation ids whose databag is published (in this unit's bags). */
  readonly published: readonly number[];
  /** Relation ids set up but waiting for pg_hba to admit their user. */
  readonly pending: readonly number[];
}

/** Whether `bag` already hands out this relation's credentials. */
function hands(bag: Readonly<Record<string, string>>, plan: LegacyRelationPlan, credential: SharedCredential): boolean {
  return bag['user'] === plan.user && bag['password'] === credential.password && bag['database'] === credential.database;
}

export const DEPRECATION_WARNING = (endpoint: string) => `DEPRECATION WARNING - \`${endpoint}\` is a legacy interface`;

const failedMessage = (endpoint: string) => `Failed to initialize ${endpoint} relation`;

/** The version to publish: read now, else whatever this bag already says. */
async function publishedVersion(input: LegacyServeInput, current: Readonly<Record<string, string>>): Promise<string | undefined> {
  try {
    return (await input.version()) ?? current['version'];
  } catch (error) {
    if (!(error instanceof PostgreSQLGetPostgreSQLVersionError) && !isConnectionFailure(error)) throw error;
    return current['version'];
  }
}

async function writeBag(deps: LegacyServeDeps, plan: LegacyRelationPlan, current: Readonly<Record<string, string>>, desired: LegacyDatabag, app: boolean): Promise<void> {
  const changes = databagChanges(current, desired);
  if (Object.keys(changes).length === 0) return;
  await deps.tools.relationSet(plan.relation, changes, { app });
  deps.logger.info({ relation: plan.relation.id, endpoint: plan.endpoint, keys: Object.keys(changes), bag: app ? 'app' : 'unit' }, 'legacy relation data updated');
}

async function databagFor(deps: LegacyServeDeps, input: LegacyServeInput, plan: LegacyRelationPlan, credential: SharedCredential, current: Readonly<Record<string, string>>, extensions: readonly string[]): Promise<LegacyDatabag> {
  const remoteUnits = Object.fromEntries(Object.entries(plan.relation.remoteUnitBags).map(([unit, bag]) => [unit, bag['egress-subnets']]));
  return legacyDatabag({
    appName: deps.appName,
    model: deps.modelName,
    unitName: deps.unitName,
    remoteApp: plan.relation.remoteApp ?? '',
    remoteUnits,
    database: credential.database,
    user: plan.user,
    password: credential.password,
    extensions,
    version: await publishedVersion(input, current),
  });
}

/** Leader: the user and database of one served relation; undefined when done, else the Blocked message. */
async function setUp(deps: LegacyServeDeps, input: LegacyServeInput, plan: LegacyRelationPlan, database: string, password: string): Promise<string | undefined> {
  deps.logger.warn(DEPRECATION_WARNING(plan.endpoint));
  await input.recordUser?.(plan, database);
  const sql = await input.sql();
  try {
    await sql.createUser(plan.user, { password, admin: plan.superuser, extraUserRoles: [ACCESS_GROUP_RELATION] });
    await sql.createDatabase(database, plan.user, { plugins: input.plugins });
  } catch (error) {
    // A server that cannot be reached is retried by the pipeline; anything else PostgreSQL
    // refused (the user, the database, an extension) blocks until a later hook succeeds.
    if (isConnectionFailure(error) || !(error instanceof LibError)) throw error;
    deps.logger.warn({ err: error, relation: plan.relation.id }, 'failed to set up the legacy relation user or database');
    return failedMessage(plan.endpoint);
  }
  deps.logger.info({ relation: plan.relation.id, endpoint: plan.endpoint, user: plan.user, database }, 'legacy relation user and database set up');
  return undefined;
}

export async function serveLegacyRelations(deps: LegacyServeDeps, given: LegacyServeInput): Promise<LegacyServeResult> {
  // The version is read at most once per hook, however many bags are written.
  let version: Promise<string | undefined> | undefined;
  const input: LegacyServeInput = { ...given, version: () => (version ??= given.version()) };
  const shared = decodeSharedCredentials(await deps.secrets.get('app', SHARED_CREDENTIALS_FIELD));
  const nextShared: Record<string, SharedCredential> = {};
  const published: number[] = [];
  const pending: number[] = [];
  let blockedMessage: string | undefined;

  for (const plan of input.plans) {
    const id = String(plan.relation.id);
    const decision = plan.decision;
    if (decision.kind === 'no-database') {
      deps.logger.debug({ relation: plan.relation.id }, 'legacy relation: no database requested yet');
      if (shared[id] !== undefined) nextShared[id] = shared[id];
      continue;
    }
    if (decision.kind === 'blocked') {
      deps.logger.warn({ relation: plan.relation.id, endpoint: plan.endpoint }, decision.detail);
      if (shared[id] !== undefined) nextShared[id] = shared[id];
      continue;
    }

    let credential = shared[id];
    if (input.isLeader) {
      const ours = plan.relation.localAppBag ?? {};
      const password = credential?.password || ours['password'] || plan.relation.localUnitBag['password'] || generatePassword();
      if (credential?.database !== decision.database || credential.password !== password) {
        const failure = await setUp(deps, input, plan, decision.database, password);
        if (failure !== undefined) {
          blockedMessage ??= failure;
          if (credential !== undefined) nextShared[id] = credential;
          continue;
        }
        credential = { password, database: decision.database };
      }
      nextShared[id] = credential;
    } else if (credential !== undefined) {
      nextShared[id] = credential;
    }

    // Published only what the leader has set up, and once pg_hba lets the user in. Bags that
    // already hand out these credentials are kept up to date (client units coming and going)
    // whatever other relations' users are still waiting for.
    if (credential === undefined || credential.database !== decision.database) continue;
    const unitBag = plan.relation.localUnitBag;
    const answered = hands(unitBag, plan, credential) && (!input.isLeader || hands(plan.relation.localAppBag ?? {}, plan, credential));
    if (!answered && !input.admitted(plan.user)) {
      deps.logger.debug({ relation: plan.relation.id, user: plan.user }, 'legacy relation: waiting for pg_hba to admit the user');
      pending.push(plan.relation.id);
      continue;
    }
    await writeBag(deps, plan, unitBag, await databagFor(deps, input, plan, credential, unitBag, decision.extensions), false);
    if (input.isLeader) {
      const appBag = plan.relation.localAppBag ?? {};
      await writeBag(deps, plan, appBag, await databagFor(deps, input, plan, credential, appBag, decision.extensions), true);
    }
    published.push(plan.relation.id);
  }

  // The leader keeps the shared map to the live relations' entries (a broken one's goes).
  if (input.isLeader && encodeSharedCredentials(nextShared) !== encodeSharedCredentials(shared)) {
    await deps.secrets.set('app', { [SHARED_CREDENTIALS_FIELD]: Object.keys(nextShared).length === 0 ? undefined : encodeSharedCredentials(nextShared) });
  }
  return blockedMessage === undefined ? { published, pending } : { blockedMessage, published, pending };
}
