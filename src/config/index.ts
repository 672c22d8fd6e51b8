/** The charm config: its schema, parsing, errors and the views later code derives from it. */
export { CHARM_OPTIONS, type CharmOption, type CharmOptionName } from './options.ts';
export type { AnyOption, JujuOptionType, NumericRange, OptionValue } from './option-kinds.ts';
export { describeAllowed } from './allowed.ts';
export { charmConfigSchema, type CharmConfig } from './schema.ts';
export { parseCharmConfig, parseCharmConfigOrThrow, type ParseCharmConfigResult } from './parse.ts';
export {
  CONFIG_ERROR_PREFIX,
  ConfigValidationError,
  configErrorSummary,
  formatConfigIssue,
  formatConfigValue,
  type ConfigIssue,
} from './errors.ts';
export { resolveTrackFunctions, type TrackFunctions, type TrackFunctionsResolution } from './track-functions.ts';
export { PARAMETER_PREFIXES, parameterNameFor, postgresqlParameterOptions, type ParameterValue } from './parameters.ts';
export {
  enabledExtensions,
  extensionsForPlugin,
  pluginOptions,
  type PluginOptionName,
  type PluginToggle,
} from './plugins.ts';
