/**
 * Work the reconcile need not repeat while its inputs stay the same (enabling extensions in every
 * database, checking config values against the catalog): a digest of the inputs is kept in the
 * unit's controller-side state (state-set), written only after the work succeeded. A changed
 * input, a failure or a new unit simply does the work again.
 */
import { createHash } from 'node:crypto';
import type { CharmContext } from '../../charm-context.ts';

export function digest(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('hex').slice(0, 32);
}

export async function isMemoised(charm: CharmContext, key: string, inputs: unknown): Promise<boolean> {
  return (await charm.tools.stateGetKey(key)) === digest(inputs);
}

export async function memoise(charm: CharmContext, key: string, inputs: unknown): Promise<void> {
  await charm.tools.stateSet({ [key]: digest(inputs) });
}
