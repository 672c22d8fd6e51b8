/**
 * Parsing one layer from YAML and the per-layer validation Pebble applies before a layer is
 * combined into the plan (canonical/pebble internals/plan/plan.go `ParseLayer` and
 * `Plan.Validate`).
 */
import { isMap, isScalar, parseDocument, type Node } from 'yaml';
import { PlanFormatError } from '../errors.ts';
import { parseServiceCommand, splitCommand } from '../util/command.ts';
import { normalizeUidGid } from '../util/users.ts';
import { CHECK_SCHEMA, decodeSection, LOG_TARGET_SCHEMA, SERVICE_SCHEMA } from './decode.ts';
import type { Check, Layer, LogTarget, Service } from './types.ts';

const SECTIONS = ['summary', 'description', 'services', 'checks', 'log-targets'] as const;

function topLevelError(label: string, message: string): PlanFormatError {
  return new PlanFormatError(`cannot parse layer "${label}": ${message}`);
}

/** Parse YAML text into a validated layer (throws PlanFormatError with Pebble's wording). */
export function parseLayer(order: number, label: string, text: string): Layer {
  const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: false });
  if (doc.errors.length > 0) {
    const first = doc.errors[0];
    const line = first?.linePos?.[0]?.line;
    const detail = (first?.message ?? 'invalid YAML').split('\n')[0];
    throw topLevelError(label, `yaml: ${line !== undefined ? `line ${line}: ` : ''}${detail}`);
  }
  const layer: Layer = { order, label, services: {}, checks: {}, logTargets: {} };
  const root = doc.contents as Node | null;
  if (root === null || (isScalar(root) && root.value === null)) return validateLayer(layer);
  if (!isMap(root)) {
    const text = isScalar(root) ? ` \`${String(root.source ?? root.value)}\`` : '';
    const tag = isScalar(root) ? '!!str' : '!!seq';
    throw topLevelError(label, `yaml: unmarshal errors:\n  line 1: cannot unmarshal ${tag}${text} into map[string]yaml.Node`);
  }
  for (const pair of root.items) {
    const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
    const value = (pair.value ?? null) as Node | null;
    const where = `cannot parse layer "${label}" section "${key}"`;
    if (!(SECTIONS as readonly string[]).includes(key)) throw topLevelError(label, `unknown section "${key}"`);
    if (key === 'summary' || key === 'description') {
      if (value !== null && !isScalar(value)) {
        throw new PlanFormatError(`${where}: yaml: unmarshal errors:\n  line 1: cannot unmarshal !!map into string`);
      }
      const textValue = value === null || value.value === null ? undefined : String(value.source ?? value.value);
      if (textValue) layer[key] = textValue;
      continue;
    }
    if (key === 'services') {
      const decoded = decodeSection(doc, value, SERVICE_SCHEMA, where);
      for (const [name, entry] of Object.entries(decoded)) {
        layer.services[name] = entry === null ? null : ({ ...entry, name } as Service);
      }
    } else if (key === 'checks') {
      const decoded = decodeSection(doc, value, CHECK_SCHEMA, where);
      for (const [name, entry] of Object.entries(decoded)) {
        layer.checks[name] = entry === null ? null : ({ ...entry, name } as Check);
      }
    } else {
      const decoded = decodeSection(doc, value, LOG_TARGET_SCHEMA, where);
      for (const [name, entry] of Object.entries(decoded)) {
        layer.logTargets[name] = entry === null ? null : ({ ...entry, name } as LogTarget);
      }
    }
  }
  return validateLayer(layer);
}

const BASE_ACTIONS = ['', 'restart', 'shutdown', 'ignore'];
const validAction = (action: string | undefined, extra: string): boolean =>
  action === undefined || BASE_ACTIONS.includes(action) || action === extra;

function validateServices(layer: Layer): void {
  for (const [name, service] of Object.entries(layer.services)) {
    if (name === '') throw new PlanFormatError('cannot use empty string as service name');
    if (name === 'pebble') throw new PlanFormatError(`cannot use reserved service name "${name}"`);
    if (name.startsWith('-')) {
      throw new PlanFormatError(`cannot use service name "${name}": starting with "-" not allowed`);
    }
    if (service === null) throw new PlanFormatError(`service object cannot be null for service "${name}"`);
    try {
      parseServiceCommand(name, service.command ?? '');
    } catch (err) {
      throw new PlanFormatError(`plan service "${name}" command invalid: ${(err as Error).message}`);
    }
    if (!validAction(service.onSuccess, 'failure-shutdown')) {
      throw new PlanFormatError(`plan service "${name}" on-success action "${service.onSuccess}" invalid`);
    }
    if (!validAction(service.onFailure, 'success-shutdown')) {
      throw new PlanFormatError(`plan service "${name}" on-failure action "${service.onFailure}" invalid`);
    }
    for (const action of Object.values(service.onCheckFailure ?? {})) {
      if (!validAction(action, 'success-shutdown')) {
        throw new PlanFormatError(`plan service "${name}" on-check-failure action "${action}" invalid`);
      }
    }
    if (service.backoffFactor !== undefined && service.backoffFactor < 1) {
      throw new PlanFormatError(
        `plan service "${name}" backoff-factor must be 1.0 or greater, not ${service.backoffFactor}`,
      );
    }
  }
}

function validateChecks(layer: Layer): void {
  for (const [name, check] of Object.entries(layer.checks)) {
    if (name === '') throw new PlanFormatError('cannot use empty string as check name');
    if (check === null) throw new PlanFormatError(`check object cannot be null for check "${name}"`);
    if (check.level !== undefined && check.level !== 'alive' && check.level !== 'ready') {
      throw new PlanFormatError(`plan check "${name}" level must be "alive" or "ready"`);
    }
    if (check.startup !== undefined && check.startup !== 'enabled' && check.startup !== 'disabled') {
      throw new PlanFormatError(`plan check "${name}" startup must be "enabled" or "disabled"`);
    }
    if (check.period === 0) throw new PlanFormatError(`plan check "${name}" period must not be zero`);
    if (check.timeout === 0) throw new PlanFormatError(`plan check "${name}" timeout must not be zero`);
    if (check.exec) {
      try {
        splitCommand(check.exec.command ?? '');
      } catch (err) {
        throw new PlanFormatError(`plan check "${name}" command invalid: ${(err as Error).message}`);
      }
      try {
        normalizeUidGid(check.exec);
      } catch (err) {
        throw new PlanFormatError(`plan check "${name}" has invalid user/group: ${(err as Error).message}`);
      }
    }
  }
}

function validateLogTargets(layer: Layer): void {
  for (const [name, target] of Object.entries(layer.logTargets)) {
    if (target === null) throw new PlanFormatError(`log target object cannot be null for log target "${name}"`);
    for (const label of Object.keys(target.labels ?? {})) {
      if (label.startsWith('pebble_')) {
        throw new PlanFormatError(`log target "${name}": label "${label}" uses reserved prefix "pebble_"`);
      }
    }
    const type = target.type;
    if (type !== undefined && !['loki', 'opentelemetry', 'syslog'].includes(type)) {
      throw new PlanFormatError(
        `log target "${name}" has unsupported type "${type}", must be "loki", "opentelemetry" or "syslog"`,
      );
    }
  }
}

/** Pebble's Layer.Validate. */
export function validateLayer(layer: Layer): Layer {
  if (layer.label.startsWith('pebble-')) throw new PlanFormatError('cannot use reserved label prefix "pebble-"');
  validateServices(layer);
  validateChecks(layer);
  validateLogTargets(layer);
  return layer;
}
