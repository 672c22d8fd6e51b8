import { z } from 'zod';
import { ConfigValueSchema } from '../juju/model.ts';

/**
 * The controller daemon's wire protocol: one JSON object per line each way over a unix socket.
 * A request is `{id, method, params}`; its response carries the same id and either `result` or
 * `error: {code, message}`. Requests on one connection may overlap (long waits like `settled`
 * do not hold up a `status`).
 */

export const CONTROLLER_SOCKET = 'controller.socket';

const unit = z.string().min(1);
const app = z.string().min(1);

export const METHOD_PARAMS = {
  ping: z.object({}),
  deploy: z.object({
    app,
    charmDir: z.string().min(1),
    units: z.number().int().positive().optional(),
    config: z.record(z.string(), ConfigValueSchema).optional(),
    env: z.record(z.string(), z.string()).optional(),
    trust: z.boolean().optional(),
  }),
  addUnit: z.object({ app, count: z.number().int().positive().optional() }),
  removeUnit: z.object({ unit, force: z.boolean().optional() }),
  setConfig: z.object({ app, values: z.record(z.string(), ConfigValueSchema.nullable()) }),
  relate: z.object({ first: z.string().min(1), second: z.string().min(1) }),
  removeRelation: z.union([z.object({ relationId: z.number().int().nonnegative() }), z.object({ endpoints: z.tuple([z.string(), z.string()]) })]),
  runAction: z.object({
    unit,
    name: z.string().min(1),
    params: z.record(z.string(), z.unknown()).optional(),
    /** false: return the queued action at once (poll it with getAction). */
    wait: z.boolean().optional(),
    timeoutMs: z.number().int().positive().optional(),
  }),
  getAction: z.object({ id: z.string().min(1) }),
  resolve: z.object({ unit, retry: z.boolean().optional() }),
  /** `juju trust <app>` (`trusted: false`: `--remove`). */
  trust: z.object({ app, trusted: z.boolean().optional() }),
  status: z.object({}),
  events: z.object({ since: z.number().int().nonnegative().optional() }),
  settled: z.object({ timeoutMs: z.number().int().positive().optional() }),
  /** Chaos: kill every process of these units' pods (all units when absent). */
  killUnits: z.object({ units: z.array(unit).optional() }),
  shutdown: z.object({}),
} as const;

export type ControllerMethod = keyof typeof METHOD_PARAMS;
export type MethodParams<M extends ControllerMethod> = z.input<(typeof METHOD_PARAMS)[M]>;

export const RequestSchema = z.object({
  id: z.number().int(),
  method: z.string(),
  params: z.unknown().optional(),
});
export type ControllerRequest = z.infer<typeof RequestSchema>;

export const ResponseSchema = z.union([
  z.object({ id: z.number().int(), result: z.unknown() }),
  z.object({ id: z.number().int(), error: z.object({ code: z.string(), message: z.string() }) }),
]);
export type ControllerResponse = z.infer<typeof ResponseSchema>;

export function isControllerMethod(method: string): method is ControllerMethod {
  return Object.hasOwn(METHOD_PARAMS, method);
}
