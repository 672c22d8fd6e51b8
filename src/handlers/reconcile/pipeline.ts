/**
 * The reconcile as a typed pipeline of steps. Each step names the facts it requires and the
 * facts it provides (facts.ts); `Pipeline.then` accepts a step only when every fact it requires
 * is a base fact or provided by an earlier step, so putting a step before its prerequisite is a
 * compile error — and, should a cast get around that, a `MissingFactError` when it runs. A step
 * never finds an input missing and silently does nothing.
 */
import { CharmError, errorCode } from '../../errors.ts';
import type { Logger } from '../../logging.ts';
import { BASE_FACTS, type BaseFactName, type BaseFacts, type FactName, type ReconcileFacts } from './facts.ts';
import { waiting, type StepOutcome, type StepReport } from './outcome.ts';
import { isTransientFailure } from './transient.ts';

/** How a step ended: it provides its facts (and may report a status), or it halts the reconcile. */
export type StepResult<P extends FactName> = Proceeded<P> | Halted;
export interface Proceeded<P extends FactName> {
  readonly kind: 'next';
  readonly facts: Pick<ReconcileFacts, P>;
  readonly report?: StepReport;
}
export interface Halted {
  readonly kind: 'halt';
  readonly report: StepReport;
}

/** Carry on with these facts (none for a step that provides nothing), optionally reporting a status. */
export function next<P extends FactName = never>(facts: Pick<ReconcileFacts, P>, report?: StepReport): Proceeded<P> {
  return report === undefined ? { kind: 'next', facts } : { kind: 'next', facts, report };
}

/** Carry on, providing nothing. */
export const proceed = (report?: StepReport): Proceeded<never> => next({}, report);

/** Stop the reconcile here and show `report`. */
export function halt(report: StepReport): Halted {
  return { kind: 'halt', report };
}

/** One idempotent part of the reconcile: converge one aspect of the unit from its inputs. */
export interface Step<R extends FactName, P extends FactName, D> {
  readonly name: string;
  /** The Waiting message shown when the step fails on something transient (see transient.ts). */
  readonly retryMessage: string;
  readonly requires: readonly R[];
  readonly provides: readonly P[];
  run(deps: D, input: Pick<ReconcileFacts, NoInfer<R>>): Promise<StepResult<NoInfer<P>>>;
}

/** Declare a step; `R`, `P` and the deps type are inferred from the definition. */
export function step<const R extends FactName, const P extends FactName, D>(definition: Step<R, P, D>): Step<R, P, D> {
  return definition;
}

export class MissingFactError extends CharmError<'reconcile-missing-fact'> {
  constructor(stepName: string, missing: readonly string[]) {
    super('reconcile-missing-fact', `reconcile step ${stepName} runs before what provides ${missing.join(', ')}`);
  }
}

/** How long each step that ran took (ms, whole), in order: what a slow hook spent its time on. */
export type StepTimings = Readonly<Record<string, number>>;

export type PipelineRun<Have extends FactName> =
  | { readonly complete: true; readonly facts: Pick<ReconcileFacts, Have>; readonly outcomes: readonly StepOutcome[]; readonly timings: StepTimings }
  | { readonly complete: false; readonly facts: Partial<ReconcileFacts>; readonly outcomes: readonly StepOutcome[]; readonly timings: StepTimings };

// Steps are stored with their types erased; `then` has checked them when they were added.
type AnyStep<D> = Step<FactName, FactName, D>;

/** An ordered list of steps whose requirements the compiler has checked against what precedes them. */
export class Pipeline<Have extends FactName, D> {
  private constructor(private readonly steps: readonly AnyStep<D>[]) {}

  /** A pipeline that starts from the base facts only. */
  static start<D>(): Pipeline<BaseFactName, D> {
    return new Pipeline<BaseFactName, D>([]);
  }

  /** Append a step; it may require only facts this pipeline already has. */
  then<R extends Have, P extends FactName>(next: Step<R, P, D>): Pipeline<Have | P, D> {
    return new Pipeline<Have | P, D>([...this.steps, next as unknown as AnyStep<D>]);
  }

  get names(): readonly string[] {
    return this.steps.map((s) => s.name);
  }

  /**
   * Run the steps in order. A transient failure (transient.ts) halts in Waiting with the step's
   * retry message, for a later hook to finish; anything else propagates and fails the hook.
   */
  async run(deps: D, base: BaseFacts, logger: Pick<Logger, 'warn' | 'debug'>): Promise<PipelineRun<Have>> {
    const facts: Partial<Record<FactName, unknown>> = { ...base };
    for (const name of BASE_FACTS) if (!(name in facts)) throw new MissingFactError('(start)', [name]);
    const outcomes: StepOutcome[] = [];
    const timings: Record<string, number> = {};
    for (const current of this.steps) {
      const missing = current.requires.filter((name) => !(name in facts));
      if (missing.length > 0) throw new MissingFactError(current.name, missing);
      const input = Object.fromEntries(current.requires.map((name) => [name, facts[name]])) as Pick<ReconcileFacts, FactName>;
      let result: StepResult<FactName>;
      const started = performance.now();
      try {
        result = await current.run(deps, input);
      } catch (error) {
        if (!isTransientFailure(error)) throw error;
        logger.warn({ step: current.name, code: errorCode(error), err: error }, 'step will be retried by a later hook');
        result = halt(waiting(current.retryMessage));
      } finally {
        timings[current.name] = Math.round(performance.now() - started);
      }
      if (result.kind === 'halt') {
        logger.debug({ step: current.name, report: result.report }, 'reconcile halted');
        outcomes.push(result.report);
        return { complete: false, facts: facts as Partial<ReconcileFacts>, outcomes, timings };
      }
      Object.assign(facts, result.facts);
      if (result.report !== undefined) logger.debug({ step: current.name, report: result.report }, 'reconcile step reported');
      outcomes.push(result.report ?? { kind: 'done' });
    }
    return { complete: true, facts: facts as Pick<ReconcileFacts, Have>, outcomes, timings };
  }
}
