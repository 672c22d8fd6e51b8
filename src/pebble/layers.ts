import { PebbleProtocolError } from './errors.ts';
import type { PebbleTransport } from './transport.ts';
import type { Layer, Plan } from './types.ts';

/**
 * Layers and the plan (canonical/pebble internals/daemon/api_plan.go). Both travel as YAML; the
 * `yaml` package is loaded only when a layer or plan is actually handled, so hooks that never touch
 * them start faster.
 */

export interface AddLayerOptions {
  /**
   * Merge into an existing layer with the same label instead of failing (canonical/pebble
   * internals/daemon/api_plan.go `v1PostLayers`).
   */
  combine?: boolean;
}

async function loadYaml(): Promise<typeof import('yaml')> {
  return import('yaml');
}

export async function layerToYaml(layer: Layer | string): Promise<string> {
  if (typeof layer === 'string') return layer;
  const { stringify } = await loadYaml();
  return stringify(layer);
}

export async function addLayer(
  transport: PebbleTransport,
  label: string,
  layer: Layer | string,
  options: AddLayerOptions = {},
): Promise<void> {
  await transport.json('POST', '/v1/layers', {
    body: { action: 'add', combine: options.combine ?? false, label, format: 'yaml', layer: await layerToYaml(layer) },
  });
}

async function planYaml(transport: PebbleTransport): Promise<string> {
  const envelope = await transport.json('GET', '/v1/plan', { query: { format: 'yaml' } });
  if (typeof envelope.result !== 'string') throw new PebbleProtocolError('Pebble returned a plan that is not a YAML string');
  return envelope.result;
}

export async function plan(transport: PebbleTransport): Promise<Plan> {
  return parsePlan(await planYaml(transport));
}

export async function parsePlan(text: string): Promise<Plan> {
  const { parse } = await loadYaml();
  let document: unknown;
  try {
    document = parse(text);
  } catch (error) {
    throw new PebbleProtocolError('Pebble returned a plan that is not valid YAML', { cause: error });
  }
  if (document === null || document === undefined) document = {};
  if (typeof document !== 'object' || Array.isArray(document)) throw new PebbleProtocolError('Pebble returned a plan that is not a mapping');
  const { services, checks, 'log-targets': logTargets, ...extensions } = document as Record<string, unknown>;
  return {
    services: (services ?? {}) as Plan['services'],
    checks: (checks ?? {}) as Plan['checks'],
    'log-targets': (logTargets ?? {}) as Plan['log-targets'],
    extensions,
  };
}
