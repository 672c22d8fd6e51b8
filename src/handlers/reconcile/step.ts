import type { CharmContext } from '../../charm-context.ts';
import type { StepOutcome } from './outcome.ts';
import type { ReconcileState } from './state.ts';

/** One idempotent part of the reconcile: converge one aspect of the unit, say how it went. */
export interface ReconcileStep {
  readonly name: string;
  /** The Waiting message shown when the step fails on something transient (see transient.ts). */
  readonly retryMessage: string;
  run(charm: CharmContext, state: ReconcileState): Promise<StepOutcome>;
}
