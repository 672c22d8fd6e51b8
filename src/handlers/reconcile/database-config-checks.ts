/**
 * The config checks only the database can make (the reference charm's
 * `PostgresqlOperatorCharm._validate_config_options` in src/charm.py): values PostgreSQL itself
 * must recognise — text search config, time zone, table access method, date style, LDAP group
 * map, and the lc_* locales the container has. They are checked against this member's running
 * PostgreSQL before patroni.yml is rendered: an invalid value blocks the unit and the member keeps
 * its last good config (PostgreSQL would refuse to start with some of them). The checks run once
 * per set of values; before PostgreSQL runs (first bootstrap) there is nothing to ask.
 */
import { isConnectionFailure } from '../../../lib/postgresql/index.ts';
import { CONFIG_ERROR_PREFIX, type CharmConfig } from '../../config/index.ts';
import { errorCode } from '../../errors.ts';
import { availableLocales, normaliseLocale, WorkloadProbeError } from '../../workload-probe/index.ts';
import { SERVICE_POSTGRESQL } from '../../workload/index.ts';
import type { HandlerDeps } from '../deps.ts';
import { isMemoised, memoise } from './memo.ts';
import { blocked } from './outcome.ts';
import { halt, proceed, step } from './pipeline.ts';

const MEMO_KEY = 'reconcile.config-checked';
const LOCALE_OPTIONS = ['response_lc_monetary', 'response_lc_numeric', 'response_lc_time'] as const;

/** The options whose validity only the database (or the container's locales) can tell. */
export function databaseCheckedValues(config: CharmConfig) {
  return {
    instance_default_text_search_config: config.instance_default_text_search_config,
    ...(config.ldap_map === undefined ? {} : { ldap_map: config.ldap_map }),
    request_date_style: config.request_date_style,
    request_time_zone: config.request_time_zone,
    storage_default_table_access_method: config.storage_default_table_access_method,
    response_lc_monetary: config.response_lc_monetary,
    response_lc_numeric: config.response_lc_numeric,
    response_lc_time: config.response_lc_time,
  };
}

/** The reference's message for each lc_* value the container lacks. */
export function localeProblems(values: Readonly<Record<(typeof LOCALE_OPTIONS)[number], string>>, locales: readonly string[]): string[] {
  const available = new Set(locales.map(normaliseLocale));
  return LOCALE_OPTIONS.filter((option) => !available.has(normaliseLocale(values[option]))).map(
    (option) => `Value for ${option} not one of the locales available in the system`,
  );
}

/** One status line: the first problem and how many more there are. */
export function databaseCheckStatus(problems: readonly string[]): string {
  const more = problems.length > 1 ? ` (and ${problems.length - 1} more)` : '';
  return `${CONFIG_ERROR_PREFIX}: ${problems[0] ?? 'invalid configuration'}${more}`;
}

/** The container's locales; when `locale -a` cannot run, every configured locale is taken as valid. */
async function workloadLocales(deps: Pick<HandlerDeps, 'pebble' | 'logger'>, config: CharmConfig): Promise<string[]> {
  try {
    return await availableLocales(await deps.pebble());
  } catch (error) {
    if (!(error instanceof WorkloadProbeError)) throw error;
    deps.logger.warn({ code: error.code }, error.message);
    return LOCALE_OPTIONS.map((option) => config[option]);
  }
}

async function postgresqlIsRunning(deps: Pick<HandlerDeps, 'pebble'>): Promise<boolean> {
  const [service] = await (await deps.pebble()).services([SERVICE_POSTGRESQL]);
  return service?.current === 'active';
}

export const databaseConfigChecksStep = step({
  name: 'database-config',
  retryMessage: 'waiting to check the configuration against PostgreSQL',
  requires: ['config'],
  provides: [],
  async run(deps: Pick<HandlerDeps, 'tools' | 'pebble' | 'postgresql' | 'logger'>, { config }) {
    const values = databaseCheckedValues(config);
    if ((await isMemoised(deps.tools, MEMO_KEY, values)) || !(await postgresqlIsRunning(deps))) return proceed();
    const postgresql = await deps.postgresql();
    let problems: string[];
    try {
      problems = [...(await postgresql.checkConfigAgainstDatabase(values)), ...localeProblems(values, await workloadLocales(deps, config))];
    } catch (error) {
      // Not halting here: the config about to be rendered may be what restores connectivity.
      // Without the memo the check runs again on the next hook.
      if (!isConnectionFailure(error)) throw error;
      deps.logger.info({ code: errorCode(error) }, 'PostgreSQL not reachable; config checks postponed');
      return proceed();
    }
    if (problems.length > 0) {
      deps.logger.warn({ problems }, 'the configuration has values PostgreSQL does not accept');
      return halt(blocked(databaseCheckStatus(problems)));
    }
    await memoise(deps.tools, MEMO_KEY, values);
    return proceed();
  },
});
