/**
 * Read-only queries: parameters, version, TLS, restart and WAL state, and the catalog checks
 * behind the charm's config validation (reference charm: `src/charm.py`
 * `_validate_config_options`, and the `PostgreSQL` class of
 * `lib/charms/postgresql_k8s/v0/postgresql.py`; see docs/upstream-charm.md).
 */
import type { PostgreSQLConnector, Target } from './connection.ts';
import {
  PostgreSQLGetCurrentTimelineError,
  PostgreSQLGetLastArchivedWALError,
  PostgreSQLGetPostgreSQLVersionError,
  PostgreSQLQueryError,
} from './errors.ts';
import { buildPostgresqlGroupMap } from './group-map.ts';
import { firstColumn } from './sql.ts';

async function readColumn(
  db: PostgreSQLConnector,
  what: string,
  text: string,
  target: Target,
  values?: unknown[],
): Promise<string[]> {
  try {
    return await db.run((client) => firstColumn(client, text, values), target);
  } catch (cause) {
    throw new PostgreSQLQueryError(`Failed to read ${what}`, { cause });
  }
}

/** `pg_catalog.<name>` for every text search configuration (on the unit's own host). */
export function getTextSearchConfigs(db: PostgreSQLConnector): Promise<string[]> {
  return readColumn(db, 'text search configurations',
    "SELECT CONCAT('pg_catalog.', cfgname) FROM pg_ts_config ORDER BY 1", { currentHost: true });
}

/** Every time zone name the server knows (on the unit's own host). */
export function getTimezones(db: PostgreSQLConnector): Promise<string[]> {
  return readColumn(db, 'time zones', 'SELECT name FROM pg_timezone_names ORDER BY 1', {
    currentHost: true,
  });
}

/** Table access methods (on the unit's own host). */
export function getDefaultTableAccessMethods(db: PostgreSQLConnector): Promise<string[]> {
  return readColumn(db, 'table access methods', "SELECT amname FROM pg_am WHERE amtype = 't' ORDER BY 1", {
    currentHost: true,
  });
}

/**
 * Whether PostgreSQL accepts the DateStyle. It is set for this session only; the value travels
 * as a bind parameter, so odd input cannot change the statement.
 */
export async function validateDateStyle(db: PostgreSQLConnector, dateStyle: string): Promise<boolean> {
  try {
    await db.run((client) => client.query("SELECT set_config('DateStyle', $1, false)", [dateStyle]), {
      currentHost: true,
    });
    return true;
  } catch {
    return false;
  }
}

/** Whether `ldap_map` parses and every PostgreSQL group it names exists. */
export async function validateGroupMap(
  db: PostgreSQLConnector,
  groupMap: string | undefined | null,
): Promise<boolean> {
  if (groupMap === undefined || groupMap === null) return true;
  let groups: string[];
  try {
    groups = buildPostgresqlGroupMap(groupMap).map(([, pgGroup]) => pgGroup);
  } catch {
    return false;
  }
  if (groups.length === 0) return true;
  try {
    const found = await db.run((client) =>
      firstColumn(client, 'SELECT rolname FROM pg_roles WHERE rolname = ANY($1::text[])', [groups]),
    );
    return groups.every((group) => found.includes(group));
  } catch {
    return false;
  }
}

/** The config options `checkConfigAgainstDatabase` looks at; absent ones are not checked. */
export interface DatabaseCheckedOptions {
  instance_default_text_search_config?: string;
  ldap_map?: string;
  request_date_style?: string;
  request_time_zone?: string;
  storage_default_table_access_method?: string;
}

/**
 * The charm's config checks that need the server, in the reference's order. Returns the
 * reference's message for every invalid option (empty when all pass). Connection failures
 * are thrown, not reported, so the caller can retry later.
 */
export async function checkConfigAgainstDatabase(
  db: PostgreSQLConnector,
  options: DatabaseCheckedOptions,
): Promise<string[]> {
  const problems: string[] = [];
  const invalid = (option: string) => `${option} config option has an invalid value`;
  const textSearch = options.instance_default_text_search_config;
  if (textSearch !== undefined && !(await getTextSearchConfigs(db)).includes(textSearch)) {
    problems.push(invalid('instance_default_text_search_config'));
  }
  if (options.ldap_map !== undefined && !(await validateGroupMap(db, options.ldap_map))) {
    problems.push(invalid('ldap_map'));
  }
  if (options.request_date_style !== undefined && !(await validateDateStyle(db, options.request_date_style))) {
    problems.push(invalid('request_date_style'));
  }
  if (options.request_time_zone !== undefined && !(await getTimezones(db)).includes(options.request_time_zone)) {
    problems.push(invalid('request_time_zone'));
  }
  const accessMethod = options.storage_default_table_access_method;
  if (accessMethod !== undefined && !(await getDefaultTableAccessMethods(db)).includes(accessMethod)) {
    problems.push(invalid('storage_default_table_access_method'));
  }
  return problems;
}

/** A parameter's current value, as SHOW prints it (`current_setting`, bind-parameterised). */
export async function showParameter(
  db: PostgreSQLConnector,
  name: string,
  target: Target = {},
): Promise<string> {
  const [value] = await readColumn(db, `parameter ${name}`, 'SELECT current_setting($1)', target, [name]);
  return value ?? '';
}

export interface ParameterSetting {
  name: string;
  setting: string;
  unit: string | null;
  source: string;
  pendingRestart: boolean;
}

/** Rows of pg_settings for the given names (unknown names are simply absent). */
export async function getSettings(
  db: PostgreSQLConnector,
  names: readonly string[],
  target: Target = {},
): Promise<Map<string, ParameterSetting>> {
  try {
    const result = await db.run(
      (client) =>
        client.query<{ name: string; setting: string; unit: string | null; source: string; pending_restart: boolean }>(
          'SELECT name, setting, unit, source, pending_restart FROM pg_settings WHERE name = ANY($1::text[])',
          [names],
        ),
      target,
    );
    return new Map(
      result.rows.map((row) => [
        row.name,
        { name: row.name, setting: row.setting, unit: row.unit, source: row.source, pendingRestart: row.pending_restart },
      ]),
    );
  } catch (cause) {
    throw new PostgreSQLQueryError('Failed to read pg_settings', { cause });
  }
}

/** Whether any parameter waits for a restart (on the unit's own host); false when unknown. */
export async function isRestartPending(db: PostgreSQLConnector): Promise<boolean> {
  try {
    const [count] = await db.run(
      (client) => firstColumn(client, 'SELECT COUNT(*) FROM pg_settings WHERE pending_restart'),
      { currentHost: true },
    );
    return Number(count) > 0;
  } catch {
    return false;
  }
}

/** Whether the server has `ssl` on; false when it cannot be asked. */
export async function isTlsEnabled(db: PostgreSQLConnector, options: { currentHost?: boolean } = {}) {
  try {
    const [ssl] = await db.run((client) => firstColumn(client, 'SHOW ssl'), options);
    return (ssl ?? '').includes('on');
  } catch {
    return false;
  }
}

/** The server version number, e.g. `15.18` (second word of `version()`). */
export async function getPostgreSQLVersion(
  db: PostgreSQLConnector,
  options: { currentHost?: boolean } = { currentHost: true },
): Promise<string> {
  try {
    const [version] = await db.run((client) => firstColumn(client, 'SELECT version()'), options);
    const number = version?.split(' ')[1];
    if (!number) throw new Error('unexpected version() output');
    return number;
  } catch (cause) {
    throw new PostgreSQLGetPostgreSQLVersionError('Failed to read the PostgreSQL version', { cause });
  }
}

/** The last WAL segment the archiver shipped, or null when none has been archived. */
export async function getLastArchivedWal(db: PostgreSQLConnector): Promise<string | null> {
  try {
    const result = await db.run((client) =>
      client.query<{ last_archived_wal: string | null }>('SELECT last_archived_wal FROM pg_stat_archiver'),
    );
    return result.rows[0]?.last_archived_wal ?? null;
  } catch (cause) {
    throw new PostgreSQLGetLastArchivedWALError('Failed to read the last archived WAL', { cause });
  }
}

/** The timeline of the latest checkpoint. */
export async function getCurrentTimeline(db: PostgreSQLConnector): Promise<number> {
  try {
    const [timeline] = await db.run((client) =>
      firstColumn(client, 'SELECT timeline_id FROM pg_control_checkpoint()'),
    );
    const value = Number(timeline);
    if (!Number.isInteger(value)) throw new Error('no timeline in pg_control_checkpoint()');
    return value;
  } catch (cause) {
    throw new PostgreSQLGetCurrentTimelineError('Failed to read the current timeline', { cause });
  }
}

/** Whether any pg_hba rule names the user. */
export async function isUserInHba(db: PostgreSQLConnector, user: string): Promise<boolean> {
  try {
    const [count] = await db.run((client) =>
      firstColumn(client, 'SELECT COUNT(*) FROM pg_hba_file_rules WHERE $1 = ANY(user_name)', [user]),
    );
    return Number(count) > 0;
  } catch (cause) {
    throw new PostgreSQLQueryError('Failed to read pg_hba rules', { cause });
  }
}
