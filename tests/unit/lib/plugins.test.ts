import { describe, expect, it } from 'vitest';
import { DEPENDENCY_PLUGINS } from '../../../lib/postgresql/constants.ts';
import { pgauditStatements, planExtensionChanges } from '../../../lib/postgresql/extensions.ts';
import {
  enabledPlugins,
  extensionsFromConfig,
  findUnsatisfiedDependencies,
  pluginExtensionNames,
} from '../../../lib/postgresql/plugins.ts';

describe('pluginExtensionNames', () => {
  it.each([
    ['plugin_citext_enable', ['citext']],
    ['plugin_pg_trgm_enable', ['pg_trgm']],
    ['plugin_address_standardizer_data_us_enable', ['address_standardizer_data_us']],
    ['plugin_audit_enable', ['pgaudit']],
    ['plugin_uuid_ossp_enable', ['uuid-ossp']],
    ['plugin_spi_enable', ['refint', 'autoinc', 'insert_username', 'moddatetime']],
  ])('%s → %j', (option, names) => {
    expect(pluginExtensionNames(option)).toEqual(names);
  });

  it.each(['profile', 'plugin_enable', 'plugin_citext', 'memory_work_mem'])('%s is not a plugin toggle', (option) => {
    expect(pluginExtensionNames(option)).toBeNull();
  });
});

describe('extensionsFromConfig / enabledPlugins', () => {
  const config = {
    plugin_audit_enable: true,
    plugin_btree_gist_enable: false,
    plugin_citext_enable: true,
    memory_work_mem: 4096,
    plugin_spi_enable: true,
    plugin_uuid_ossp_enable: false,
  };

  it('lists every toggle in option order, spi expanded, overrides applied', () => {
    expect([...extensionsFromConfig(config)]).toEqual([
      ['pgaudit', true],
      ['btree_gist', false],
      ['citext', true],
      ['refint', true],
      ['autoinc', true],
      ['insert_username', true],
      ['moddatetime', true],
      ['uuid-ossp', false],
    ]);
  });

  it('enabledPlugins keeps only the enabled ones', () => {
    expect(enabledPlugins(config)).toEqual([
      'pgaudit',
      'citext',
      'refint',
      'autoinc',
      'insert_username',
      'moddatetime',
    ]);
  });

  it('default config enables only pgaudit', () => {
    expect(enabledPlugins({ plugin_audit_enable: true, plugin_citext_enable: false })).toEqual(['pgaudit']);
  });
});

describe('findUnsatisfiedDependencies', () => {
  it('reports enabled extensions whose dependencies are off or absent', () => {
    const wanted = new Map([
      ['postgis', false],
      ['postgis_tiger_geocoder', true],
      ['jsonb_plperl', true],
      ['plperl', true],
      ['citext', true],
    ]);
    expect(findUnsatisfiedDependencies(wanted)).toEqual([
      { extension: 'postgis_tiger_geocoder', missing: ['postgis', 'fuzzystrmatch'] },
    ]);
  });

  it('is satisfied when the dependencies are on, or the dependent is off', () => {
    expect(
      findUnsatisfiedDependencies(
        new Map([
          ['postgis', true],
          ['postgis_topology', true],
          ['jsonb_plperl', false],
        ]),
      ),
    ).toEqual([]);
  });
});

describe('planExtensionChanges', () => {
  it('puts the dependency extensions first (off unless asked), then the input order', () => {
    expect(DEPENDENCY_PLUGINS).toEqual(['postgis', 'plperl', 'fuzzystrmatch']);
    const plan = planExtensionChanges(
      new Map([
        ['citext', true],
        ['postgis_topology', true],
        ['postgis', true],
        ['hstore', false],
      ]),
    );
    expect(plan.create).toEqual(['postgis', 'citext', 'postgis_topology']);
    // Drops run dependents first: the reverse of the creation order.
    expect(plan.drop).toEqual(['hstore', 'fuzzystrmatch', 'plperl']);
  });

  it('drops a dependent before the extension it needs', () => {
    const plan = planExtensionChanges(
      new Map([
        ['cube', false],
        ['earthdistance', false],
      ]),
    );
    expect(plan.drop.indexOf('earthdistance')).toBeLessThan(plan.drop.indexOf('cube'));
    expect(plan.create).toEqual([]);
  });
});

describe('pgauditStatements', () => {
  it('enabling sets the charm’s audit policy and reloads', () => {
    expect(pgauditStatements(true)).toEqual([
      "ALTER SYSTEM SET pgaudit.log = 'ROLE,DDL,MISC,MISC_SET'",
      'ALTER SYSTEM SET pgaudit.log_client TO off',
      'ALTER SYSTEM SET pgaudit.log_parameter TO off',
      'SELECT pg_reload_conf()',
    ]);
  });

  it('disabling resets the three settings and reloads', () => {
    expect(pgauditStatements(false)).toEqual([
      'ALTER SYSTEM RESET pgaudit.log',
      'ALTER SYSTEM RESET pgaudit.log_client',
      'ALTER SYSTEM RESET pgaudit.log_parameter',
      'SELECT pg_reload_conf()',
    ]);
  });
});
