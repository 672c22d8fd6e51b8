import { execa } from 'execa';
import { access } from 'node:fs/promises';
import { isCharmError } from '../../../src/errors.ts';
import { unitCharmDir } from '../../controller/unit-charm-dir.ts';
import { loadPod, nsenterArgs, type Pod } from '../../pods/index.ts';
import { SandboxError } from '../../runtime/errors.ts';
import { kubeServiceEnv } from '../../runtime/kubernetes.ts';
import { podNameOf, pebbleSocketIn, unitOfPod } from '../../runtime/paths.ts';
import { readSettings } from '../../runtime/settings.ts';
import type { CliContext } from '../context.ts';

export const SSH_USAGE = 'ssh <unit> [--container postgresql|charm] [--] [command ...]';

/**
 * `ssh`: a command (or a shell) inside the unit's pod, as root. The workload container is the
 * default (PEBBLE_SOCKET set, working directory /); `--container charm` gives the charm's view
 * (working directory the unit's own charm dir). In the sandbox both containers are the same pod.
 * With `--dcs kubernetes` both have KUBERNETES_SERVICE_HOST/_PORT, as every container does.
 */
export async function sshCommand(ctx: CliContext, argv: string[]): Promise<number> {
  const { unit, container, command } = parseSsh(argv);
  ctx.requireRoot();
  let pod: Pod;
  try {
    pod = await loadPod(ctx.paths.stateDir, podNameOf(unit));
  } catch (error) {
    if (isCharmError(error, 'pod-not-found')) throw new SandboxError('sandbox-unit-unknown', `unit "${unit}" not found (no pod ${podNameOf(unit)})`);
    throw error;
  }
  const charmView = container === 'charm';
  const settings = await readSettings(ctx.paths);
  const env: Record<string, string> = {
    // As `kubectl exec` gets the container's environment: patronictl finds the API server.
    ...(settings === null ? {} : kubeServiceEnv(settings)),
    // The workload view has the `pebble` command (notify) its Pebble's services have.
    PATH: `${charmView ? '' : `${ctx.paths.binDir}:`}/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`,
    HOME: '/root',
    LANG: 'C.UTF-8',
    TERM: process.env['TERM'] ?? 'xterm',
    ...(charmView ? { JUJU_UNIT_NAME: unit } : { PEBBLE_SOCKET: pebbleSocketIn(container), PEBBLE: `/charm/containers/${container}` }),
  };
  const cwd = charmView ? await charmViewDir(ctx, unitOfPod(pod), pod.app) : '/';
  const argvInPod = command.length > 0 ? command : ['/bin/bash'];
  const result = await execa('nsenter', nsenterArgs(pod, argvInPod, { cwd }), { stdio: 'inherit', reject: false, extendEnv: false, env });
  if (result.exitCode === undefined) throw new SandboxError('sandbox-usage', `cannot run ${argvInPod[0]} in ${pod.name}: ${result.shortMessage ?? ''}`);
  return result.exitCode;
}

/** The unit's own charm dir, or its application's until the unit's first dispatch has made it. */
async function charmViewDir(ctx: CliContext, unit: string, app: string): Promise<string> {
  const own = unitCharmDir(ctx.paths.stateDir, unit);
  return (await access(own).then(() => true, () => false)) ? own : ctx.paths.charmDir(app);
}

/** Options end at the first word after the unit that is not one of ours (the command's own flags stay). */
function parseSsh(argv: string[]): { unit: string; container: string; command: string[] } {
  let container = 'postgresql';
  let unit: string | undefined;
  let i = 0;
  for (; i < argv.length; i++) {
    const word = argv[i]!;
    if (word === '--') {
      i++;
      break;
    }
    if (word === '--container' || word === '-c') container = argv[++i] ?? '';
    else if (word.startsWith('--container=')) container = word.slice('--container='.length);
    else if (unit === undefined && !word.startsWith('-')) unit = word;
    else break;
  }
  if (unit === undefined && i < argv.length) unit = argv[i++];
  if (unit === undefined || container === '') throw new SandboxError('sandbox-usage', `usage: ${SSH_USAGE}`);
  return { unit, container, command: argv.slice(i) };
}
