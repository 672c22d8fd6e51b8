/**
 * The layer/plan model (canonical/pebble docs/reference/layer-specification.md,
 * internals/plan/plan.go). Unset optional fields are `undefined` so merges can tell "not given"
 * from "given as zero"; durations are nanoseconds.
 */
export type Override = 'merge' | 'replace' | string;
export type ServiceAction = '' | 'restart' | 'shutdown' | 'ignore' | 'failure-shutdown' | 'success-shutdown' | string;

export interface Service {
  name: string;
  summary?: string;
  description?: string;
  startup?: string;
  override?: Override;
  command?: string;
  after?: string[];
  before?: string[];
  requires?: string[];
  workload?: string;
  environment?: Record<string, string>;
  userId?: number;
  user?: string;
  groupId?: number;
  group?: string;
  workingDir?: string;
  onSuccess?: ServiceAction;
  onFailure?: ServiceAction;
  onCheckFailure?: Record<string, ServiceAction>;
  backoffDelay?: number;
  backoffFactor?: number;
  backoffLimit?: number;
  killDelay?: number;
}

export interface HttpCheck {
  url?: string;
  headers?: Record<string, string>;
}

export interface TcpCheck {
  port?: number;
  host?: string;
}

export interface ExecCheck {
  command?: string;
  serviceContext?: string;
  environment?: Record<string, string>;
  userId?: number;
  user?: string;
  groupId?: number;
  group?: string;
  workingDir?: string;
}

export interface Check {
  name: string;
  override?: Override;
  level?: string;
  startup?: string;
  period?: number;
  timeout?: number;
  threshold?: number;
  http?: HttpCheck;
  tcp?: TcpCheck;
  exec?: ExecCheck;
}

export interface LogTarget {
  name: string;
  type?: string;
  location?: string;
  services?: string[];
  override?: Override;
  labels?: Record<string, string>;
}

/** A null entry (`svc:` with no body) is kept as null so validation can reject it. */
export interface Layer {
  order: number;
  label: string;
  summary?: string;
  description?: string;
  services: Record<string, Service | null>;
  checks: Record<string, Check | null>;
  logTargets: Record<string, LogTarget | null>;
}

export interface Plan {
  layers: Layer[];
  services: Record<string, Service>;
  checks: Record<string, Check>;
  logTargets: Record<string, LogTarget>;
}

export const emptyPlan = (): Plan => ({ layers: [], services: {}, checks: {}, logTargets: {} });

/** Effective values Pebble fills in for unset fields (they never appear in GET /v1/plan). */
export const DEFAULTS = {
  backoffDelay: 500_000_000,
  backoffFactor: 2.0,
  backoffLimit: 30_000_000_000,
  killDelay: 5_000_000_000,
  checkPeriod: 10_000_000_000,
  checkTimeout: 3_000_000_000,
  checkThreshold: 3,
} as const;

export const serviceBackoffDelay = (s: Service): number => s.backoffDelay ?? DEFAULTS.backoffDelay;
export const serviceBackoffFactor = (s: Service): number => s.backoffFactor ?? DEFAULTS.backoffFactor;
export const serviceBackoffLimit = (s: Service): number => s.backoffLimit ?? DEFAULTS.backoffLimit;
export const serviceKillDelay = (s: Service): number => s.killDelay ?? DEFAULTS.killDelay;
export const checkPeriod = (c: Check): number => c.period ?? DEFAULTS.checkPeriod;
/** The timeout is capped at the period. */
export const checkTimeout = (c: Check): number => Math.min(c.timeout ?? DEFAULTS.checkTimeout, checkPeriod(c));
export const checkThreshold = (c: Check): number => c.threshold || DEFAULTS.checkThreshold;

/** A JSON rendering with empty lists/maps dropped and keys sorted, for equality tests. */
export function canonical(value: unknown): string {
  const normalise = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.length === 0 ? undefined : v.map(normalise);
    if (v && typeof v === 'object') {
      const entries = Object.entries(v as Record<string, unknown>)
        .map(([k, x]) => [k, normalise(x)] as const)
        .filter(([, x]) => x !== undefined)
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      return entries.length === 0 ? undefined : Object.fromEntries(entries);
    }
    return v;
  };
  return JSON.stringify(normalise(value) ?? null);
}

export function cloneDeep<T>(value: T): T {
  return structuredClone(value);
}
