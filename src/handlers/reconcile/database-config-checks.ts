/**
 * Step a, second half (reference §2.3 "checks that need the database"): values PostgreSQL itself
 * must recognise — text search config, time zone, table access method, date style, LDAP group
 * map, and the lc_* locales the container has. They are checked against this member's running
 * PostgreSQL before patroni.yml is rendered: an invalid value blocks the unit and the member keeps
 * its last good config (PostgreSQL would refuse to start with some of them). The checks run once
 * per set of values; before PostgreSQL runs (first bootstrap) there is nothing to ask.
 */
import { isConnectionFailure } from '../../../lib/postgresql/index.ts';
import type { CharmContext } from '../../charm-context.ts';
import { CONFIG_ERROR_PREFIX, type CharmConfig } from '../../config/index.ts';
import { availableLocales, normaliseLocale, WorkloadProbeError } from '../../workload-probe/index.ts';
import { SERVICE_POSTGRESQL } from '../../workload/index.ts';
import { isMemoised, memoise } from './memo.ts';
import { blocked, DONE } from './outcome.ts';
import type { ReconcileStep } from './step.ts';

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
async function workloadLocales(charm: CharmContext): Promise<string[]> {
  const config = await charm.config();
  try {
    return await availableLocales(await charm.pebble());
  } catch (error) {
    if (!(error instanceof WorkloadProbeError) || !config.ok) throw error;
    charm.logger.warn({ code: error.code }, error.message);
    return LOCALE_OPTIONS.map((option) => config.config[option]);
  }
}

async function postgresqlIsRunning(charm: CharmContext): Promise<boolean> {
  const [service] = await (await charm.pebble()).services([SERVICE_POSTGRESQL]);
  return service?.current === 'active';
}

export const databaseConfigChecksStep: ReconcileStep = {
  name: 'database-config',
  retryMessage: 'waiting to check the configuration against PostgreSQL',
  async run(charm, state) {
    if (state.config === undefined) return DONE;
    const values = databaseCheckedValues(state.config);
    if ((await isMemoised(charm, MEMO_KEY, values)) || !(await postgresqlIsRunning(charm))) return DONE;
    const postgresql = await charm.postgresql();
    let problems: string[];
    try {
      problems = [
        ...(await postgresql.checkConfigAgainstDatabase(values)),
        ...localeProblems(values, await workloadLocales(charm)),
      ];
    } catch (error) {
      // Not halting here: the config about to be rendered may be what restores connectivity.
      // Without the memo the check runs again on the next hook.
      if (!isConnectionFailure(error)) throw error;
      charm.logger.info({ code: (error as { code?: string }).code }, 'PostgreSQL not reachable; config checks postponed');
      return DONE;
    }
    if (problems.length > 0) {
      charm.logger.warn({ problems }, 'the configuration has values PostgreSQL does not accept');
      return blocked(databaseCheckStatus(problems), { halt: true });
    }
    await memoise(charm, MEMO_KEY, values);
    return DONE;
  },
};
