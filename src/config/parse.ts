/**
 * Turning Juju's `config-get` output into a validated `CharmConfig`, or into issues that say which
 * option is wrong, what it held and what it accepts.
 */
import type { core } from 'zod/mini';
import { describeAllowed } from './allowed.ts';
import { ConfigValidationError, type ConfigIssue } from './errors.ts';
import { CHARM_OPTIONS, type CharmOption } from './options.ts';
import { charmConfigSchema, type CharmConfig } from './schema.ts';

export type ParseCharmConfigResult =
  | { readonly ok: true; readonly config: CharmConfig }
  | { readonly ok: false; readonly issues: readonly ConfigIssue[] };

let optionIndex: Map<string, { option: CharmOption; position: number }> | undefined;

function lookupOption(name: string): { option: CharmOption; position: number } | undefined {
  optionIndex ??= new Map(CHARM_OPTIONS.map((option, position) => [option.name, { option, position }]));
  return optionIndex.get(name);
}

function toConfigIssue(issue: core.$ZodIssue, raw: Record<string, unknown>): ConfigIssue {
  const [head] = issue.path;
  const name = typeof head === 'string' ? head : '(config)';
  const known = lookupOption(name);
  // Our own cross-option rule words its message as the allowed values; zod's defaults do not.
  const allowed = issue.code === 'custom' || known === undefined ? issue.message : describeAllowed(known.option);
  return { option: name, value: raw[name] ?? known?.option.default, allowed };
}

/** One issue per option (a union can report several), in config.yaml order. */
function collectIssues(issues: readonly core.$ZodIssue[], raw: Record<string, unknown>): ConfigIssue[] {
  const byOption = new Map<string, ConfigIssue>();
  for (const issue of issues) {
    const converted = toConfigIssue(issue, raw);
    if (!byOption.has(converted.option)) byOption.set(converted.option, converted);
  }
  const position = (name: string) => lookupOption(name)?.position ?? -1;
  return [...byOption.values()].sort((a, b) => position(a.option) - position(b.option));
}

/**
 * Validate the charm config. `raw` is `config-get --format=json`: options with a default are
 * present, unset ones without a default are absent (or null with `--all`); absent options get
 * config.yaml's default, unknown keys are dropped.
 */
export function parseCharmConfig(raw: Record<string, unknown>): ParseCharmConfigResult {
  // jitless: the config is parsed once per process, so compiling a fast path would cost more
  // (~10 ms on first use) than it could save.
  const result = charmConfigSchema().safeParse(raw, { jitless: true });
  if (result.success) return { ok: true, config: result.data };
  return { ok: false, issues: collectIssues(result.error.issues, raw) };
}

/** `parseCharmConfig` for callers that want an exception: throws `ConfigValidationError`. */
export function parseCharmConfigOrThrow(raw: Record<string, unknown>): CharmConfig {
  const result = parseCharmConfig(raw);
  if (!result.ok) throw new ConfigValidationError(result.issues);
  return result.config;
}
