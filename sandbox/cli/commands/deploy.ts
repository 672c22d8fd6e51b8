import { isCharmError } from '../../../src/errors.ts';
import { ensureSandboxNetwork } from '../../pods/index.ts';
import { buildCharm, hasBuiltCharm, newerSources, prepareCharm } from '../../runtime/charm-dir.ts';
import { connectOrStart } from '../../runtime/daemon-process.ts';
import { SandboxError } from '../../runtime/errors.ts';
import { DCS_KINDS, type DcsKind } from '../../runtime/kubernetes.ts';
import { DEFAULT_DCS, newSettings, readSettings, type SandboxSettings, writeSettings } from '../../runtime/settings.ts';
import { formatDuration, keyValues, parse, parseDuration, positiveInt } from '../args.ts';
import type { CliContext } from '../context.ts';
import { activeAndIdle, lastSeq, settled, watch } from '../progress.ts';

export const DEPLOY_USAGE =
  'deploy [--units N] [--config k=v ...] [--trust] [--wait] [--timeout 15m] [--subnet 10.213.N.0/24] [--dcs kubernetes|etcd] [path.charm | charm-dir | partner-charm-name] [app-name]';

/**
 * `deploy`: the first one creates the sandbox (its id, its bridge, the daemon, etcd); every one
 * adds an application from the repository's charm (built if dist/ is missing), a `.charm`, a charm
 * directory, or a partner charm under sandbox/charms by name (`deploy test-client client`, built),
 * then follows the hooks until the model settles, or with `--wait` until every unit of the
 * application is active and idle.
 */
export async function deployCommand(ctx: CliContext, argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, {
    units: { type: 'string', short: 'n' },
    config: { type: 'string', multiple: true },
    wait: { type: 'boolean' },
    timeout: { type: 'string' },
    subnet: { type: 'string' },
    trust: { type: 'boolean' },
    dcs: { type: 'string' },
  });
  if (positionals.length > 2) throw new SandboxError('sandbox-usage', `usage: ${DEPLOY_USAGE}`);
  const units = positiveInt(values.units, 'units', 1);
  const config = keyValues(values.config ?? [], 'config');
  const timeoutMs = parseDuration(values.timeout ?? '15m');
  const [charmPath, appName] = positionals;
  const dcs = parseDcs(values.dcs ?? process.env['SANDBOX_DCS']);
  ctx.requireRoot();

  const settings = await ensureSandbox(ctx, values.subnet ?? process.env['SANDBOX_SUBNET'], dcs);
  if (charmPath === undefined) await ensureBuilt(ctx);

  const started = Date.now();
  const { client, started: daemonStarted } = await connectOrStart(ctx.paths);
  ctx.adopt(client);
  if (daemonStarted) ctx.output.note(`sandbox ${settings.sandboxId}: daemon started (state in ${ctx.paths.stateDir}, subnet ${settings.subnet ?? '?'}, DCS ${settings.dcs})`);
  const model = (await client.status()).model;
  const charm = await prepareCharm(ctx.paths, {
    ...(charmPath === undefined ? {} : { charmPath }),
    ...(appName === undefined ? {} : { appName }),
    taken: (name) => model.applications[name] !== undefined,
  });
  const app = appName ?? charm.name;

  const since = await lastSeq(client);
  ctx.output.note(`Deploying "${app}" from local charm "${charm.name}" (${charmPath ?? 'the repository'}) with ${units} unit${units === 1 ? '' : 's'}`);
  const names = await client.deploy({ app, charmDir: charm.dir, units, config, ...(values.trust ? { trust: true } : {}) });
  ctx.output.note(`added ${names.join(', ')}`);
  await watch(client, ctx.output, {
    since,
    timeoutMs,
    until: values.wait ? activeAndIdle([app]) : settled,
    describe: values.wait ? `every unit of ${app} to be active and idle` : 'the model to settle (no hook queued or running)',
    apps: [app],
    debugLogDir: ctx.paths.debugLogDir,
  });
  ctx.output.note(`${values.wait ? 'all units active and idle' : 'settled'} after ${formatDuration(Date.now() - started)}`);
  return 0;
}

function parseDcs(value: string | undefined): DcsKind | undefined {
  if (value === undefined || value === '') return undefined;
  if (!(DCS_KINDS as readonly string[]).includes(value)) throw new SandboxError('sandbox-usage', `--dcs must be ${DCS_KINDS.join(' or ')}, not ${value}`);
  return value as DcsKind;
}

/**
 * The sandbox's settings and bridge, made on the first deploy (id first, so destroy finds it).
 * The DCS is the first deploy's `--dcs` (or $SANDBOX_DCS), kept in sandbox.json.
 */
async function ensureSandbox(ctx: CliContext, subnet: string | undefined, dcs: DcsKind | undefined): Promise<SandboxSettings> {
  let settings = await readSettings(ctx.paths);
  if (!settings) {
    // $SANDBOX_UPDATE_STATUS_INTERVAL (e.g. 60s): Juju's update-status-hook-interval model setting.
    const interval = process.env['SANDBOX_UPDATE_STATUS_INTERVAL'];
    settings = newSettings({
      dcs: dcs ?? DEFAULT_DCS,
      ...(interval === undefined || interval === '' ? {} : { updateStatusIntervalSec: parseDuration(interval, 'SANDBOX_UPDATE_STATUS_INTERVAL') / 1000 }),
    });
    await writeSettings(ctx.paths, settings);
  } else if (dcs !== undefined && dcs !== settings.dcs) {
    throw new SandboxError('sandbox-usage', `this sandbox runs Patroni on ${settings.dcs}; destroy it to use --dcs ${dcs}`);
  }
  if (settings.subnet !== null) {
    if (subnet !== undefined && subnet !== settings.subnet) {
      throw new SandboxError('sandbox-usage', `this sandbox uses subnet ${settings.subnet}; destroy it to change the subnet`);
    }
    return settings;
  }
  const candidates = subnet !== undefined ? [subnet] : Array.from({ length: 255 }, (_, i) => `10.213.${i}.0/24`);
  for (const candidate of candidates) {
    try {
      const network = await ensureSandboxNetwork({ sandboxId: settings.sandboxId, stateDir: ctx.paths.stateDir, subnet: candidate, namespace: settings.model });
      settings = { ...settings, subnet: network.subnet };
      await writeSettings(ctx.paths, settings);
      return settings;
    } catch (error) {
      if (!isCharmError(error, 'pod-subnet-in-use') || subnet !== undefined) throw error;
    }
  }
  throw new SandboxError('sandbox-usage', 'no free /24 left in 10.213.0.0/16; pass --subnet');
}

async function ensureBuilt(ctx: CliContext): Promise<void> {
  if (!(await hasBuiltCharm())) {
    ctx.output.note('building the charm (npm run build)...');
    await buildCharm((line) => ctx.output.note(`  ${line}`));
    return;
  }
  const newer = await newerSources();
  if (newer.length > 0) {
    ctx.output.note(`note: dist/ is older than ${newer.length} source file(s) (e.g. ${newer[0]}); run npm run build to deploy them`);
  }
}
