import { stringify as toYaml } from 'yaml';
import type { ConfigValue } from '../../juju/model.ts';
import { formatDuration, keyValues, parse, parseDuration } from '../args.ts';
import type { CliContext } from '../context.ts';
import { lastSeq, settled, watch } from '../progress.ts';

export const CONFIG_USAGE = 'config [app] [key | key=value ... | --reset key,...] [--timeout 15m]';

/**
 * `config`: without values, the application's settings as `juju config <app>` prints them (or
 * one value); with `key=value` (or `--reset`) it changes them and follows the config-changed
 * hooks until the model settles.
 */
export async function configCommand(ctx: CliContext, argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, { reset: { type: 'string', multiple: true }, timeout: { type: 'string' } });
  const words = [...positionals];
  const apps = Object.keys((await ctx.status()).model.applications);
  const app = await ctx.application(words[0] !== undefined && !words[0].includes('=') && apps.includes(words[0]) ? words.shift() : undefined);
  const resets = (values.reset ?? []).flatMap((r) => r.split(',')).filter((r) => r !== '');
  const assignments = words.filter((w) => w.includes('='));
  const keys = words.filter((w) => !w.includes('='));

  if (assignments.length === 0 && resets.length === 0) {
    const application = (await ctx.status()).model.applications[app]!;
    if (keys.length > 0) {
      for (const key of keys) {
        const value = application.config[key] ?? application.charm.config[key]?.default;
        ctx.output.line(value === undefined || value === null ? '' : String(value));
      }
      return 0;
    }
    const settings: Record<string, unknown> = {};
    for (const [key, option] of Object.entries(application.charm.config).sort(([a], [b]) => a.localeCompare(b))) {
      const set = application.config[key];
      const value = set ?? option.default;
      settings[key] = {
        ...(option.default === undefined || option.default === null ? {} : { default: option.default }),
        ...(option.description === undefined ? {} : { description: option.description }),
        source: set === undefined ? (option.default === undefined || option.default === null ? 'unset' : 'default') : 'user',
        type: option.type,
        ...(value === undefined || value === null ? {} : { value }),
      };
    }
    ctx.output.write(toYaml({ application: app, 'application-config': { trust: { value: application.trusted } }, charm: application.charm.name, settings }));
    return 0;
  }

  const client = await ctx.daemon();
  const changes: Record<string, ConfigValue | null> = { ...keyValues(assignments) };
  for (const key of resets) changes[key] = null;
  const since = await lastSeq(client);
  const started = Date.now();
  const changed = await client.setConfig(app, changes);
  if (changed.length === 0) {
    ctx.output.note('no change (config-changed not fired)');
    return 0;
  }
  ctx.output.note(`changed ${changed.join(', ')}`);
  await watch(client, ctx.output, {
    since,
    timeoutMs: parseDuration(values.timeout ?? '15m'),
    until: settled,
    describe: 'the model to settle after the config change',
    apps: [app],
    debugLogDir: ctx.paths.debugLogDir,
  });
  ctx.output.note(`settled after ${formatDuration(Date.now() - started)}`);
  return 0;
}
