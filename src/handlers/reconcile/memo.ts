/**
 * Work the reconcile need not repeat while its inputs stay the same (enabling extensions in every
 * database, checking config values against the catalog): a digest of the inputs is kept in the
 * unit's controller-side state (state-set), written only after the work succeeded. A changed
 * input, a failure or a new unit simply does the work again.
 */
import { createHash } from 'node:crypto';
import type { HookTools } from '../../juju/hook-tools.ts';

export type MemoStore = Pick<HookTools, 'stateGetKey' | 'stateSet'>;

export function digest(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('hex').slice(0, 32);
}

export async function isMemoised(store: MemoStore, key: string, inputs: unknown): Promise<boolean> {
  return (await store.stateGetKey(key)) === digest(inputs);
}

export async function memoise(store: MemoStore, key: string, inputs: unknown): Promise<void> {
  await store.stateSet({ [key]: digest(inputs) });
}
