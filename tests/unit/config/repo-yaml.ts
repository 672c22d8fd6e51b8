import { readFileSync } from 'node:fs';
import { parse } from 'yaml';

/** Parse one of the charm's top-level YAML files (config.yaml, metadata.yaml, actions.yaml). */
export function readRepoYaml(file: string): unknown {
  return parse(readFileSync(new URL(`../../../${file}`, import.meta.url), 'utf8'));
}

export interface ConfigYamlOption {
  type: string;
  default?: unknown;
  description: string;
}

export function readConfigYaml(): Record<string, ConfigYamlOption> {
  return (readRepoYaml('config.yaml') as { options: Record<string, ConfigYamlOption> }).options;
}

/** What `config-get --format=json` returns: every option that has a default. */
export function jujuDefaults(): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, option] of Object.entries(readConfigYaml())) {
    if ('default' in option) out[name] = option.default;
  }
  return out;
}
