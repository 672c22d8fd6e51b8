import { SandboxModelError } from '../errors.ts';
import type { Action, ActionDef, Model } from './schema.ts';
import { getApplication, getUnit } from './topology.ts';

/**
 * The action queue: `juju run` enqueues (with the charm's defaults filled in and the params
 * checked against actions.yaml), the scheduler starts and finishes, and action-set / -log /
 * -fail write the record while the action runs.
 */

function typeOf(value: unknown): string {
  if (Array.isArray(value)) return 'array';
  if (value === null) return 'null';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

function matchesType(expected: unknown, value: unknown): boolean {
  if (expected === undefined) return true;
  const types = Array.isArray(expected) ? expected : [expected];
  const actual = typeOf(value);
  return types.some((t) => t === actual || (t === 'number' && actual === 'integer'));
}

/** Check params the way Juju's JSON-schema validation of actions.yaml does (top level only). */
function validateParams(name: string, def: ActionDef, params: Record<string, unknown>): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  for (const [key, schema] of Object.entries(def.params)) {
    if (key in params) result[key] = params[key];
    else if ('default' in schema) result[key] = schema['default'];
  }
  for (const [key, value] of Object.entries(params)) {
    const schema = def.params[key];
    if (!schema) {
      if (!def.additionalProperties) throw new SandboxModelError(`action "${name}": additional property "${key}" is not allowed`);
      result[key] = value;
      continue;
    }
    if (!matchesType(schema['type'], value)) {
      throw new SandboxModelError(`action "${name}": param "${key}" must be of type ${JSON.stringify(schema['type'])}`);
    }
    const allowed = schema['enum'];
    if (Array.isArray(allowed) && !allowed.includes(value)) {
      throw new SandboxModelError(`action "${name}": param "${key}" must be one of ${JSON.stringify(allowed)}`);
    }
  }
  for (const key of def.required) {
    if (!(key in result)) throw new SandboxModelError(`action "${name}": param "${key}" is required`);
  }
  return result;
}

/** Queue an action on a unit; the returned id is what JUJU_ACTION_UUID carries. */
export function enqueueAction(
  model: Model,
  unitName: string,
  name: string,
  params: Record<string, unknown> = {},
  now = new Date(),
): Action {
  const unit = getUnit(model, unitName);
  const def = getApplication(model, unit.app).charm.actions[name];
  if (!def) throw new SandboxModelError(`action "${name}" not defined on unit "${unitName}"`);
  const action: Action = {
    id: String(model.nextActionId),
    unit: unitName,
    name,
    params: validateParams(name, def, params),
    status: 'pending',
    results: {},
    messages: [],
    failed: false,
    message: '',
    enqueuedAt: now.toISOString(),
    completedAt: null,
  };
  model.nextActionId += 1;
  model.actions[action.id] = action;
  return action;
}

export function getAction(model: Model, id: string): Action {
  const action = model.actions[id];
  if (!action) throw new SandboxModelError(`action ${id} not found`);
  return action;
}

export function startAction(model: Model, id: string): Action {
  const action = getAction(model, id);
  if (action.status !== 'pending') throw new SandboxModelError(`action ${id} is ${action.status}, not pending`);
  action.status = 'running';
  return action;
}

/**
 * Record how the action's dispatch ended. As in Juju, stdout/stderr/return-code join the
 * results, and the action failed if the process did or if it called action-fail.
 */
export function finishAction(
  model: Model,
  id: string,
  outcome: { exitCode: number; stdout: string; stderr: string },
  now = new Date(),
): Action {
  const action = getAction(model, id);
  if (outcome.stdout !== '') action.results['stdout'] = outcome.stdout;
  if (outcome.stderr !== '') action.results['stderr'] = outcome.stderr;
  action.results['return-code'] = String(outcome.exitCode);
  if (outcome.exitCode !== 0) {
    action.status = 'failed';
    if (action.message === '') action.message = `exit status ${outcome.exitCode}`;
  } else {
    action.status = action.failed ? 'failed' : 'completed';
  }
  action.completedAt = now.toISOString();
  return action;
}
