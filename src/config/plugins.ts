/**
 * The `plugin_<name>_enable` options toggle PostgreSQL extensions. The extension is `<name>` except
 * for three (reference: `PLUGIN_OVERRIDES`, `SPI_MODULE` in `src/constants.py`): `audit` is
 * pgaudit, `uuid_ossp` is "uuid-ossp" (kept double-quoted, as the SQL needs it), and `spi` stands
 * for four modules.
 */
import { CHARM_OPTIONS, type CharmOptionName } from './options.ts';
import type { CharmConfig } from './schema.ts';

export type PluginOptionName = Extract<CharmOptionName, `plugin_${string}_enable`>;

export interface PluginToggle {
  readonly option: PluginOptionName;
  readonly extension: string;
  readonly enabled: boolean;
}

const EXTENSION_OVERRIDES: Readonly<Record<string, readonly string[]>> = {
  audit: ['pgaudit'],
  uuid_ossp: ['"uuid-ossp"'],
  spi: ['refint', 'autoinc', 'insert_username', 'moddatetime'],
};

const PLUGIN_OPTION = /^plugin_(.+)_enable$/;

function isPluginOption(name: string): name is PluginOptionName {
  return PLUGIN_OPTION.test(name);
}

/** The extensions one `plugin_*_enable` option toggles. */
export function extensionsForPlugin(option: PluginOptionName): readonly string[] {
  const plugin = PLUGIN_OPTION.exec(option)?.[1] ?? option;
  return EXTENSION_OVERRIDES[plugin] ?? [plugin];
}

/** Every plugin option in config.yaml order, `spi` expanded, each with its enabled flag. */
export function pluginOptions(config: CharmConfig): PluginToggle[] {
  const toggles: PluginToggle[] = [];
  for (const { name } of CHARM_OPTIONS) {
    if (!isPluginOption(name)) continue;
    for (const extension of extensionsForPlugin(name)) {
      toggles.push({ option: name, extension, enabled: config[name] });
    }
  }
  return toggles;
}

/** The extensions the config enables, in config.yaml order (`["pgaudit"]` by default). */
export function enabledExtensions(config: CharmConfig): string[] {
  return pluginOptions(config)
    .filter((toggle) => toggle.enabled)
    .map((toggle) => toggle.extension);
}
