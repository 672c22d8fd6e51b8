import { setTimeout as sleep } from 'node:timers/promises';
import { stringify as toYaml } from 'yaml';
import { SandboxError } from '../../runtime/errors.ts';
import { parse, parseDuration } from '../args.ts';
import type { CliContext } from '../context.ts';
import { patroniView } from '../patroni-view.ts';
import { statusDocument } from '../status-model.ts';
import { statusTable } from '../status-table.ts';

export const STATUS_USAGE = 'status [--format tabular|json|yaml] [--watch[=2s]]';

/** `status`: tabular like `juju status`, or the `--format json|yaml` document; `--watch` redraws. */
export async function statusCommand(ctx: CliContext, argv: string[]): Promise<number> {
  // Juju spells it `--watch 2s`; accept `--watch` alone and `--watch=2s` too.
  const normalised = argv.flatMap((a) => (a.startsWith('--watch=') ? ['--watch', '--interval', a.slice('--watch='.length)] : [a]));
  const { values, positionals } = parse(normalised, {
    format: { type: 'string' },
    watch: { type: 'boolean' },
    interval: { type: 'string' },
  });
  if (positionals.length > 0) throw new SandboxError('sandbox-usage', `usage: ${STATUS_USAGE}`);
  const format = values.format ?? 'tabular';
  if (!['tabular', 'json', 'yaml'].includes(format)) throw new SandboxError('sandbox-usage', `--format must be tabular, json or yaml, not ${format}`);
  const render = async (): Promise<string> => {
    const status = await ctx.status();
    const patroni = await patroniView(status);
    if (format === 'json') return `${JSON.stringify(statusDocument(status, patroni))}\n`;
    if (format === 'yaml') return toYaml(statusDocument(status, patroni));
    return `${statusTable(status, patroni)}\n`;
  };
  if (!values.watch) {
    ctx.output.write(await render());
    return 0;
  }
  const intervalMs = parseDuration(values.interval ?? '2s', 'watch');
  for (;;) {
    const text = await render();
    ctx.output.write(ctx.output.isTTY ? `\x1b[2J\x1b[H${text}` : `${text}\n`);
    await sleep(intervalMs);
  }
}
