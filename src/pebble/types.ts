/**
 * Types of the Pebble API (canonical/pebble: docs/reference/layer-specification.md for layers,
 * client/*.go for the API results). Layers and plans keep Pebble's wire names
 * (they are YAML documents people read side by side with Pebble's docs); everything else the
 * API returns is converted to camelCase objects by decode.ts.
 */

// ---- Layers and plan ----

export type Override = 'merge' | 'replace';
export type ServiceAction = 'restart' | 'shutdown' | 'failure-shutdown' | 'success-shutdown' | 'ignore';

export interface Service {
  override: Override;
  summary?: string;
  description?: string;
  /** Executed directly, not by a shell; an optional trailing `[ args ]` group gives default args. */
  command?: string;
  startup?: 'enabled' | 'disabled';
  after?: string[];
  before?: string[];
  requires?: string[];
  environment?: Record<string, string>;
  user?: string;
  'user-id'?: number;
  group?: string;
  'group-id'?: number;
  'working-dir'?: string;
  workload?: string;
  'on-success'?: 'restart' | 'shutdown' | 'failure-shutdown' | 'ignore';
  'on-failure'?: 'restart' | 'shutdown' | 'success-shutdown' | 'ignore';
  'on-check-failure'?: Record<string, 'restart' | 'shutdown' | 'success-shutdown' | 'ignore'>;
  /** Go duration strings, e.g. "500ms". */
  'backoff-delay'?: string;
  'backoff-factor'?: number;
  'backoff-limit'?: string;
  'kill-delay'?: string;
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
  'service-context'?: string;
  environment?: Record<string, string>;
  user?: string;
  'user-id'?: number;
  group?: string;
  'group-id'?: number;
  'working-dir'?: string;
}

export interface Check {
  override: Override;
  level?: 'alive' | 'ready';
  startup?: 'enabled' | 'disabled';
  /** Go duration strings, e.g. "10s". */
  period?: string;
  timeout?: string;
  threshold?: number;
  http?: HttpCheck;
  tcp?: TcpCheck;
  exec?: ExecCheck;
}

export interface LogTarget {
  override: Override;
  type?: 'loki' | 'opentelemetry' | 'syslog';
  location?: string;
  /** Service names; `all`, `-name` and `-all` are allowed. */
  services?: string[];
  labels?: Record<string, string>;
}

export interface Layer {
  summary?: string;
  description?: string;
  services?: Record<string, Service>;
  checks?: Record<string, Check>;
  'log-targets'?: Record<string, LogTarget>;
}

/** The combined plan. Sections Pebble omits when empty are filled in as `{}`. */
export interface Plan {
  services: Record<string, Service>;
  checks: Record<string, Check>;
  'log-targets': Record<string, LogTarget>;
  /** Extension sections registered by `pebble run` (e.g. `workloads`), as Pebble returned them. */
  extensions: Record<string, unknown>;
}

// ---- Responses ----

export interface SystemInfo {
  bootId: string;
  version: string;
  httpAddress?: string;
  httpsAddress?: string;
}

/** Open strings: Pebble has statuses (`Default`, `Undone`) and kinds ops's enums lack. */
export type ChangeStatus = string;

export interface TaskProgress {
  label: string;
  done: number;
  total: number;
}

export interface Task {
  id: string;
  kind: string;
  summary: string;
  status: ChangeStatus;
  log: string[];
  progress: TaskProgress;
  spawnTime: string;
  readyTime?: string;
  data: Record<string, unknown>;
}

export interface Change {
  id: string;
  kind: string;
  summary: string;
  status: ChangeStatus;
  ready: boolean;
  err?: string;
  spawnTime: string;
  readyTime?: string;
  tasks: Task[];
  data: Record<string, unknown>;
}

export interface ServiceInfo {
  name: string;
  startup: 'enabled' | 'disabled';
  current: 'active' | 'inactive' | 'backoff' | 'error';
  currentSince?: string;
}

export type FileType = 'file' | 'directory' | 'symlink' | 'socket' | 'named-pipe' | 'device' | 'unknown';

export interface FileInfo {
  path: string;
  name: string;
  type: FileType;
  size?: number;
  /** Mode bits as a number, e.g. 0o644. */
  permissions: number;
  lastModified: string;
  userId: number | null;
  user: string;
  groupId: number | null;
  group: string;
}

// ---- Options shared by files and exec ----

export interface Ownership {
  user?: string;
  userId?: number;
  group?: string;
  groupId?: number;
}
