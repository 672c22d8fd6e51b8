/**
 * Combining layers (canonical/pebble docs/reference/layer-specification.md, internals/plan/plan.go
 * `CombineLayers`): `replace` swaps the whole entry; `merge` overwrites the scalars that are set,
 * appends lists, merges maps key by key and sub-objects field by field, and keeps the existing
 * entry's `override`.
 */
import { PlanFormatError } from '../errors.ts';
import { DEFAULTS, type Check, type ExecCheck, type HttpCheck, type Layer, type LogTarget, type Service, type TcpCheck } from './types.ts';

function setScalars<T extends object>(target: T, source: T, keys: Array<keyof T>): void {
  for (const key of keys) {
    const value = source[key];
    if (value !== undefined && value !== '') target[key] = value;
  }
}

function appendList(existing: string[] | undefined, added: string[] | undefined): string[] | undefined {
  if (!added || added.length === 0) return existing;
  return [...(existing ?? []), ...added];
}

function mergeMap<V>(existing: Record<string, V> | undefined, added: Record<string, V> | undefined): Record<string, V> | undefined {
  if (!added || Object.keys(added).length === 0) return existing;
  return { ...(existing ?? {}), ...added };
}

export function mergeService(target: Service, other: Service): void {
  setScalars(target, other, [
    'summary', 'description', 'startup', 'command', 'killDelay', 'userId', 'user', 'groupId', 'group',
    'workingDir', 'workload', 'onSuccess', 'onFailure', 'backoffDelay', 'backoffFactor', 'backoffLimit',
  ]);
  target.after = appendList(target.after, other.after);
  target.before = appendList(target.before, other.before);
  target.requires = appendList(target.requires, other.requires);
  target.environment = mergeMap(target.environment, other.environment);
  target.onCheckFailure = mergeMap(target.onCheckFailure, other.onCheckFailure);
}

function mergeHttp(target: HttpCheck, other: HttpCheck): void {
  setScalars(target, other, ['url']);
  target.headers = mergeMap(target.headers, other.headers);
}

function mergeTcp(target: TcpCheck, other: TcpCheck): void {
  setScalars(target, other, ['port', 'host']);
}

function mergeExec(target: ExecCheck, other: ExecCheck): void {
  setScalars(target, other, ['command', 'serviceContext', 'userId', 'user', 'groupId', 'group', 'workingDir']);
  target.environment = mergeMap(target.environment, other.environment);
}

export function mergeCheck(target: Check, other: Check): void {
  setScalars(target, other, ['level', 'startup', 'period', 'timeout']);
  if (other.threshold) target.threshold = other.threshold;
  if (other.http) mergeHttp((target.http ??= {}), other.http);
  if (other.tcp) mergeTcp((target.tcp ??= {}), other.tcp);
  if (other.exec) mergeExec((target.exec ??= {}), other.exec);
}

export function mergeLogTarget(target: LogTarget, other: LogTarget): void {
  setScalars(target, other, ['type', 'location']);
  target.services = appendList(target.services, other.services);
  target.labels = mergeMap(target.labels, other.labels);
}

type Entry = { name: string; override?: string };

function combineEntries<T extends Entry>(
  layers: Layer[],
  pick: (layer: Layer) => Record<string, T | null>,
  merge: (target: T, other: T) => void,
  what: string,
): Record<string, T> {
  const combined: Record<string, T> = {};
  for (const layer of layers) {
    for (const [name, entry] of Object.entries(pick(layer))) {
      if (entry === null) continue; // rejected by per-layer validation already
      if (entry.override === 'merge') {
        const existing = combined[name];
        if (existing) merge(existing, structuredClone(entry));
        else combined[name] = structuredClone(entry);
      } else if (entry.override === 'replace') {
        combined[name] = structuredClone(entry);
      } else if (entry.override === undefined || entry.override === '') {
        throw new PlanFormatError(`layer "${layer.label}" must define "override" for ${what} "${name}"`);
      } else {
        throw new PlanFormatError(`layer "${layer.label}" has invalid "override" value for ${what} "${name}"`);
      }
    }
  }
  return combined;
}

/** Pebble's CombineLayers: the result is itself a layer (used both for the plan and for combine). */
export function combineLayers(layers: Layer[]): Layer {
  const last = layers[layers.length - 1];
  const combined: Layer = {
    order: 0,
    label: '',
    services: combineEntries(layers, (l) => l.services, mergeService, 'service'),
    checks: combineEntries(layers, (l) => l.checks, mergeCheck, 'check'),
    logTargets: combineEntries(layers, (l) => l.logTargets, mergeLogTarget, 'log target'),
  };
  if (last?.summary) combined.summary = last.summary;
  if (last?.description) combined.description = last.description;
  // Pebble fills the threshold in (it shows in the plan); other defaults stay implicit.
  for (const check of Object.values(combined.checks)) {
    if (check && !check.threshold) check.threshold = DEFAULTS.checkThreshold;
  }
  return combined;
}
