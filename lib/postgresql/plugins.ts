/**
 * The `plugin_<name>_enable` options as extension toggles (reference charm: `src/constants.py`
 * `PLUGIN_OVERRIDES`/`SPI_MODULE`, `src/charm.py` `get_plugins`), and the
 * dependency check the charm blocks on. Pure: no I/O.
 */
import { REQUIRED_PLUGINS } from './constants.ts';

const PLUGIN_OPTION = /^plugin_(.+)_enable$/;

/** Option middle parts whose extension names differ. */
const EXTENSION_OVERRIDES: Readonly<Record<string, readonly string[]>> = {
  audit: ['pgaudit'],
  uuid_ossp: ['uuid-ossp'],
  spi: ['refint', 'autoinc', 'insert_username', 'moddatetime'],
};

/**
 * The extensions a plugin option toggles, or null when the option is not a plugin toggle.
 * Names are bare (`uuid-ossp`, not `"uuid-ossp"`); the SQL layer quotes them.
 */
export function pluginExtensionNames(option: string): readonly string[] | null {
  const match = PLUGIN_OPTION.exec(option);
  if (!match?.[1]) return null;
  return EXTENSION_OVERRIDES[match[1]] ?? [match[1]];
}

/** Every extension toggled by the config, in option order, with its wanted state. */
export function extensionsFromConfig(config: Readonly<Record<string, unknown>>): Map<string, boolean> {
  const extensions = new Map<string, boolean>();
  for (const [option, value] of Object.entries(config)) {
    const names = pluginExtensionNames(option);
    if (names === null) continue;
    for (const name of names) extensions.set(name, value === true);
  }
  return extensions;
}

/** The enabled extensions, in option order (the reference's `get_plugins()`). */
export function enabledPlugins(config: Readonly<Record<string, unknown>>): string[] {
  return [...extensionsFromConfig(config)].filter(([, enabled]) => enabled).map(([name]) => name);
}

export interface UnsatisfiedDependency {
  extension: string;
  missing: string[];
}

/** Enabled extensions whose required extensions (REQUIRED_PLUGINS) are not enabled. */
export function findUnsatisfiedDependencies(
  extensions: ReadonlyMap<string, boolean>,
): UnsatisfiedDependency[] {
  const unsatisfied: UnsatisfiedDependency[] = [];
  for (const [extension, enabled] of extensions) {
    if (!enabled) continue;
    const missing = (REQUIRED_PLUGINS[extension] ?? []).filter((dep) => extensions.get(dep) !== true);
    if (missing.length > 0) unsatisfied.push({ extension, missing });
  }
  return unsatisfied;
}
