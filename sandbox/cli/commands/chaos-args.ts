import { ETCD_CLIENT_PORT } from '../../runtime/etcd.ts';
import { SandboxError } from '../../runtime/errors.ts';
import { type DcsKind, KUBE_API_PORT } from '../../runtime/kubernetes.ts';
import { parse, parseDuration } from '../args.ts';

/** What `sandbox chaos …` was asked to do, checked before anything is touched. */

export const POD_FAULT_NAMES = ['freeze', 'thaw', 'partition', 'partition-dcs', 'heal', 'disk-full', 'disk-free'] as const;
export type PodFaultName = (typeof POD_FAULT_NAMES)[number];

export const CHAOS_USAGE =
  'chaos kill-pod <unit> [unit ...] | chaos kill-all-pods [--no-wait] [--timeout 15m] | chaos freeze|thaw|partition|partition-dcs|heal|disk-full|disk-free <unit> [unit ...] | chaos dcs-down|dcs-up';

export type ChaosPlan =
  | { kind: 'pod-fault'; fault: PodFaultName; units: string[] }
  | { kind: 'dcs'; down: boolean }
  | { kind: 'kill'; units: string[] | undefined; wait: boolean; timeoutMs: number };

const usage = (problem: string): SandboxError => new SandboxError('sandbox-usage', `${problem}; usage: ${CHAOS_USAGE}`);
const isPodFault = (word: string): word is PodFaultName => (POD_FAULT_NAMES as readonly string[]).includes(word);

export function parseChaosArgs(argv: readonly string[]): ChaosPlan {
  const { values, positionals } = parse(argv, { 'no-wait': { type: 'boolean' }, timeout: { type: 'string' } });
  const [what, ...units] = positionals;
  if (what === undefined) throw usage('chaos needs a verb');
  const killFlags = values['no-wait'] !== undefined || values.timeout !== undefined;
  if (what === 'kill-pod' || what === 'kill-all-pods') {
    const all = what === 'kill-all-pods';
    if (all && units.length > 0) throw usage(`kill-all-pods takes no unit (got ${units.join(' ')}); kill-pod takes units`);
    if (!all && units.length === 0) throw usage('kill-pod needs at least one unit');
    return { kind: 'kill', units: all ? undefined : units, wait: values['no-wait'] !== true, timeoutMs: parseDuration(values.timeout ?? '15m') };
  }
  if (killFlags) throw usage(`--no-wait and --timeout are for kill-pod and kill-all-pods, not ${what}`);
  if (what === 'dcs-down' || what === 'dcs-up') {
    if (units.length > 0) throw usage(`${what} acts on the whole DCS and takes no unit (got ${units.join(' ')})`);
    return { kind: 'dcs', down: what === 'dcs-down' };
  }
  if (isPodFault(what)) {
    if (units.length === 0) throw usage(`${what} needs at least one unit`);
    return { kind: 'pod-fault', fault: what, units };
  }
  throw usage(`unknown chaos verb "${what}"`);
}

/** The port the pods reach the DCS on: the Kubernetes API stand-in's or etcd's client port. */
export function dcsPort(dcs: DcsKind): number {
  return dcs === 'kubernetes' ? KUBE_API_PORT : ETCD_CLIENT_PORT;
}
