import { describe, expect, it } from 'vitest';
import {
  enabledExtensions,
  extensionsForPlugin,
  parseCharmConfigOrThrow,
  pluginOptions,
} from '../../../src/config/index.ts';
import { readConfigYaml } from './repo-yaml.ts';

const pluginNames = Object.keys(readConfigYaml()).filter((name) => name.startsWith('plugin_'));

describe('plugin options', () => {
  it('are the 53 plugin_*_enable options of config.yaml', () => {
    expect(pluginNames).toHaveLength(53);
    expect(pluginNames.every((name) => name.endsWith('_enable'))).toBe(true);
  });

  it.each([
    ['plugin_audit_enable', ['pgaudit']],
    ['plugin_uuid_ossp_enable', ['"uuid-ossp"']],
    ['plugin_spi_enable', ['refint', 'autoinc', 'insert_username', 'moddatetime']],
    ['plugin_address_standardizer_data_us_enable', ['address_standardizer_data_us']],
    ['plugin_pg_stat_statements_enable', ['pg_stat_statements']],
    ['plugin_vector_enable', ['vector']],
    ['plugin_postgis_tiger_geocoder_enable', ['postgis_tiger_geocoder']],
  ] as const)('%s toggles %j', (option, extensions) => {
    expect(extensionsForPlugin(option)).toEqual(extensions);
  });

  it('list every extension in config.yaml order with spi expanded', () => {
    const toggles = pluginOptions(parseCharmConfigOrThrow({}));
    expect(toggles).toHaveLength(56);
    expect(toggles[0]).toEqual({
      option: 'plugin_address_standardizer_data_us_enable',
      extension: 'address_standardizer_data_us',
      enabled: false,
    });
    expect([...new Set(toggles.map((toggle) => toggle.option))]).toEqual(pluginNames);
    const extensions = toggles.map((toggle) => toggle.extension);
    expect(extensions.indexOf('pg_stat_statements')).toBe(extensions.indexOf('pgstattuple') + 1);
  });

  it('enable only pgAudit by default', () => {
    expect(enabledExtensions(parseCharmConfigOrThrow({}))).toEqual(['pgaudit']);
  });

  it('follow the config flags, in config.yaml order', () => {
    const config = parseCharmConfigOrThrow({
      plugin_audit_enable: false,
      plugin_vector_enable: true,
      plugin_spi_enable: true,
      plugin_citext_enable: true,
      plugin_uuid_ossp_enable: true,
    });
    expect(enabledExtensions(config)).toEqual([
      'citext',
      'refint',
      'autoinc',
      'insert_username',
      'moddatetime',
      '"uuid-ossp"',
      'vector',
    ]);
    const audit = pluginOptions(config).find((toggle) => toggle.extension === 'pgaudit');
    expect(audit).toEqual({ option: 'plugin_audit_enable', extension: 'pgaudit', enabled: false });
  });
});
