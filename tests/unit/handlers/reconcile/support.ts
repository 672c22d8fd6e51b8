/**
 * Shared states and readers for the reconcile's state-in/state-out tests (one hook through the
 * real dispatcher, tests/unit/scenario/charm-scenario.ts).
 */
import { parse } from 'yaml';
import type { KubernetesObjects, KubernetesOutcome } from '../../../../src/clients/kubernetes-objects.ts';
import {
  member,
  memberHost,
  nextState,
  PASSWORDS,
  runScenario,
  type Hook,
  type ScenarioResult,
  type ScenarioState,
} from '../../scenario/charm-scenario.ts';
import type { WorkloadOperation } from '../../scenario/in-memory-workload.ts';

export const PATRONI_YML = '/var/lib/postgresql/data/patroni.yml';
export const STORAGE = '/var/lib/postgresql/data';

/** The app bag's `endpoints` for these unit numbers, raw as Juju stores it. */
export const endpointsOf = (...units: number[]): string => JSON.stringify(units.map(memberHost));

/** The peer app bag of an initialised cluster of these units. */
export function initialisedApp(...units: number[]): Record<string, string> {
  return { cluster_initialised: 'true', endpoints: endpointsOf(...units) };
}

/** patroni.yml as the workload holds it after the hook, parsed (undefined when never pushed). */
export function patroniYml(result: Pick<ScenarioResult, 'workload'>): Record<string, any> | undefined {
  const file = result.workload.files[PATRONI_YML];
  return file === undefined ? undefined : (parse(file.content) as Record<string, any>);
}

/** The operations of one kind the charm did to the workload. */
export function operations<K extends WorkloadOperation['op']>(result: ScenarioResult, op: K): Extract<WorkloadOperation, { op: K }>[] {
  return result.workloadOperations.filter((o): o is Extract<WorkloadOperation, { op: K }> => o.op === op);
}

/** `METHOD /path` of every Patroni request, in order. */
export function requestLines(result: ScenarioResult): string[] {
  return result.patroniRequests.map((request) => `${request.method} ${request.path}`);
}

/** The SQL double's method calls, in order. */
export function sqlMethods(result: ScenarioResult): string[] {
  return result.sql.map((call) => call.method);
}

/** `df -P -k` output with `usedPercent` of a 1 GB volume in use. */
export function dfOutput(usedPercent: number): { stdout: string } {
  const total = 1_000_000;
  const used = (total * usedPercent) / 100;
  return {
    stdout: `Filesystem 1024-blocks Used Available Capacity Mounted on\n/dev/sda1 ${total} ${used} ${total - used} ${usedPercent}% ${STORAGE}\n`,
  };
}

/**
 * Run `hook` on `state`, then the same hook again on what it left: the state a unit is in once
 * everything the hook converges to is in place (files pushed, layer planned, users created).
 */
export async function settle(state: ScenarioState, hook: Hook = { hook: 'config-changed' }): Promise<ScenarioState> {
  const first = await runScenario(hook, state);
  if (first.exitCode !== 0) throw new Error(`settling failed:\n${first.logs}`);
  const second = await runScenario(hook, nextState(state, first));
  if (second.exitCode !== 0) throw new Error(`settling failed:\n${second.logs}`);
  return nextState(nextState(state, first), second);
}

/** `make` run once, on first use (a settled state shared by a file's tests; runScenario never changes its input). */
export function shared<T>(make: () => Promise<T>): () => Promise<T> {
  let value: Promise<T> | undefined;
  return () => (value ??= make());
}

/** A single-unit cluster whose leader runs as primary, initialised, everything in place. */
export function steadyLeader(extra: ScenarioState = {}): Promise<ScenarioState> {
  return settle({ appSecret: { ...PASSWORDS }, peerApp: initialisedApp(0), cluster: [member(0, 'leader')], ...extra });
}

/**
 * Unit 1 of a three-unit cluster (0 the leader and primary, 1 a synchronous standby, 2 a replica),
 * settled: the state a non-leader replica is in between hooks.
 */
export function steadyReplica(extra: ScenarioState = {}): Promise<ScenarioState> {
  return settle({
    units: 3,
    unit: 1,
    appSecret: { ...PASSWORDS },
    peerApp: initialisedApp(0, 1, 2),
    cluster: [member(0, 'leader'), member(1, 'sync_standby'), member(2, 'replica')],
    ...extra,
  });
}

/** A Kubernetes API double: records calls; `answer` decides each outcome (default done). */
export function recordingKubernetes(answer: (call: string) => KubernetesOutcome = () => ({ kind: 'done' })): KubernetesObjects & { calls: string[] } {
  const calls: string[] = [];
  const run = async (call: string) => {
    calls.push(call);
    return answer(call);
  };
  return {
    onKubernetes: true,
    calls,
    patchPodLabels: (unit) => run(`patchPodLabels ${unit}`),
    ensureRoleServices: (leaderLabel) => run(leaderLabel === undefined ? 'ensureRoleServices' : `ensureRoleServices role=${leaderLabel}`),
    deleteStalePatroniObjects: () => run('deleteStalePatroniObjects'),
    adoptCreatedObjects: () => run('adoptCreatedObjects'),
  };
}

export const FORBIDDEN: KubernetesOutcome = { kind: 'forbidden', message: 'pods "postgresql-k8s-0" is forbidden' };
