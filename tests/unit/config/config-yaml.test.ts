import { describe, expect, it } from 'vitest';
import { CHARM_OPTIONS, parseCharmConfig } from '../../../src/config/index.ts';
import { jujuDefaults, readConfigYaml } from './repo-yaml.ts';

const configYaml = readConfigYaml();

describe('config.yaml and the option table', () => {
  it('declare the same 191 options in the same order (the reference\'s 186, failover_detection_timeout and the four backup_ schedule and retention options)', () => {
    expect(Object.keys(configYaml)).toHaveLength(191);
    expect(CHARM_OPTIONS.map((option) => option.name)).toEqual(Object.keys(configYaml));
  });

  it.each(CHARM_OPTIONS.map((option) => [option.name, option] as const))(
    '%s has the same type and default in both',
    (name, option) => {
      const declared = configYaml[name];
      expect(declared?.type).toBe(option.type);
      if (option.default === undefined) expect(declared).not.toHaveProperty('default');
      else expect(declared?.default).toBe(option.default);
    },
  );

  it('uses only the option types Juju knows', () => {
    for (const option of Object.values(configYaml)) {
      expect(['string', 'int', 'float', 'boolean']).toContain(option.type);
    }
  });

  it('leaves exactly the four reference options without a default', () => {
    const unset = Object.entries(configYaml)
      .filter(([, option]) => !('default' in option))
      .map(([name]) => name);
    expect(unset).toEqual(['experimental_max_connections', 'ldap_map', 'memory_shared_buffers', 'profile_limit_memory']);
  });

  it('describes every option and names the allowed choices and limits', () => {
    for (const option of CHARM_OPTIONS) {
      const description = configYaml[option.name]?.description ?? '';
      expect(description.length, option.name).toBeGreaterThan(20);
      if (option.kind === 'choice') {
        for (const value of option.values) expect(description, option.name).toContain(`"${value}"`);
      }
      if (option.kind === 'int' || option.kind === 'float') {
        for (const bound of option.range) {
          if (bound !== undefined) expect(description, option.name).toContain(String(bound));
        }
      }
    }
  });
});

describe('the schema built from the table', () => {
  it('accepts what Juju sends for an untouched deployment and keeps every default', () => {
    const raw = jujuDefaults();
    const result = parseCharmConfig(raw);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.config).toEqual(raw);
  });

  it('fills in config.yaml defaults for absent options', () => {
    const result = parseCharmConfig({});
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.config).toEqual(jujuDefaults());
    expect(result.config).not.toHaveProperty('memory_shared_buffers');
  });

  it('returns values of the declared Juju type', () => {
    const result = parseCharmConfig({});
    if (!result.ok) throw new Error('defaults must parse');
    const config = result.config as Record<string, unknown>;
    for (const [name, option] of Object.entries(configYaml)) {
      if (!(name in config)) continue;
      const value = config[name];
      if (option.type === 'boolean') expect(typeof value, name).toBe('boolean');
      if (option.type === 'int') expect(Number.isInteger(value), name).toBe(true);
      if (option.type === 'float') expect(typeof value, name).toBe('number');
      if (option.type === 'string') expect(typeof value, name).toBe('string');
    }
  });
});
