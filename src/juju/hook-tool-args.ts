import { InvalidHookToolArgumentError } from './errors.ts';

/**
 * Pure helpers that turn typed requests into the exact argv ops passes (docs/hook-tools.md), and
 * refuse, before any process runs, what Juju would reject.
 */

/** Values `action-set` accepts; nested objects become dotted keys. */
export type ActionResultValue = string | number | boolean | ActionResults;
export interface ActionResults {
  [key: string]: ActionResultValue;
}

const ACTION_KEY_SEGMENT = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/;
/** Juju stores the process's own output under these (docs/hook-tools.md#dispatch). */
export const RESERVED_ACTION_KEYS: ReadonlySet<string> = new Set(['stdout', 'stdout-encoding', 'stderr', 'stderr-encoding']);

/**
 * Flatten nested results to `a.b.c` keys and check every dot-separated segment as Juju does
 * (lowercase alphanumerics and inner hyphens; no reserved key); duplicates are an error, as in ops.
 */
export function flattenActionResults(results: ActionResults, prefix = '', into = new Map<string, string>()): Map<string, string> {
  for (const [key, value] of Object.entries(results)) {
    for (const segment of key.split('.')) {
      if (!ACTION_KEY_SEGMENT.test(segment)) {
        throw new InvalidHookToolArgumentError(
          'action-set',
          `key ${JSON.stringify(key)} is invalid: each dot-separated part must be lowercase letters, digits and inner hyphens`,
        );
      }
      if (RESERVED_ACTION_KEYS.has(segment)) {
        throw new InvalidHookToolArgumentError('action-set', `key ${JSON.stringify(key)} uses the reserved name ${JSON.stringify(segment)}`);
      }
    }
    const fullKey = prefix ? `${prefix}.${key}` : key;
    if (typeof value === 'object' && value !== null) {
      flattenActionResults(value, fullKey, into);
    } else if (into.has(fullKey)) {
      throw new InvalidHookToolArgumentError('action-set', `duplicate key ${JSON.stringify(fullKey)}`);
    } else if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
      into.set(fullKey, String(value));
    } else {
      throw new InvalidHookToolArgumentError('action-set', `value of ${JSON.stringify(fullKey)} must be a string, number, boolean or object`);
    }
  }
  return into;
}

const SECRET_KEY = /^[a-z](?:-?[a-z0-9]){2,}$/;

/** ops's rules for secret content: non-empty, keys like `password` or `tls-key`, string values. */
export function validateSecretContent(tool: string, content: Record<string, string>): void {
  const entries = Object.entries(content);
  if (entries.length === 0) throw new InvalidHookToolArgumentError(tool, 'secret content must not be empty');
  for (const [key, value] of entries) {
    if (!SECRET_KEY.test(key)) {
      throw new InvalidHookToolArgumentError(
        tool,
        `secret key ${JSON.stringify(key)} is invalid: at least 3 characters, lowercase letters, digits and single inner hyphens, starting with a letter`,
      );
    }
    // Never echo the value: only say what is wrong with it.
    if (typeof value !== 'string') {
      throw new InvalidHookToolArgumentError(tool, `value of secret key ${JSON.stringify(key)} must be a string`);
    }
  }
}

/** Linux refuses a single argv entry over 131072 bytes; ops splits juju-log at this many chars. */
export const MAX_LOG_LINE_LENGTH = 131071;

/** The juju-log messages ops sends for one log call: a header then the chunks, if too long. */
export function splitLogMessage(message: string, maxLength = MAX_LOG_LINE_LENGTH): string[] {
  if (message.length <= maxLength) return [message];
  const lines = [`Log string greater than ${maxLength}. Splitting into multiple chunks: `];
  for (let start = 0; start < message.length; start += maxLength) {
    lines.push(message.slice(start, start + maxLength));
  }
  return lines;
}

/** As ops: ids without the `secret:` prefix become `secret://<model-uuid>/<id>`. */
export function canonicalSecretId(id: string, modelUuid: string | undefined): string {
  const trimmed = id.trim();
  if (trimmed.startsWith('secret:')) return trimmed;
  return modelUuid === undefined ? `secret:${trimmed}` : `secret://${modelUuid}/${trimmed}`;
}

/** The bare xid of any accepted secret id form, which is how Juju keys secret-info-get output. */
export function secretXid(id: string): string {
  const trimmed = id.trim().replace(/^secret:/, '');
  return trimmed.slice(trimmed.lastIndexOf('/') + 1);
}

/** RFC 3339 without fractional seconds (what ops sends for --expire). */
export function toRfc3339(tool: string, value: Date | string): string {
  if (typeof value === 'string') return value;
  if (Number.isNaN(value.getTime())) throw new InvalidHookToolArgumentError(tool, 'expire is an invalid date');
  return value.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export type PortProtocol = 'tcp' | 'udp' | 'icmp';
export interface PortSpec {
  protocol: PortProtocol;
  /** Required for tcp/udp; absent for icmp. */
  port?: number;
  /** Makes a range `port-toPort` (not supported on Kubernetes). */
  toPort?: number;
  /** Restrict to these endpoints (default: all). */
  endpoints?: readonly string[];
}

const isPort = (value: number | undefined): value is number =>
  value !== undefined && Number.isInteger(value) && value >= 1 && value <= 65535;

/** `[--endpoints a,b] 5432/tcp` | `8000-8999/udp` | `icmp`. */
export function portArgs(tool: string, spec: PortSpec): string[] {
  const args = spec.endpoints && spec.endpoints.length > 0 ? ['--endpoints', spec.endpoints.join(',')] : [];
  if (spec.protocol === 'icmp') {
    if (spec.port !== undefined || spec.toPort !== undefined) throw new InvalidHookToolArgumentError(tool, 'icmp takes no port');
    return [...args, 'icmp'];
  }
  if (!isPort(spec.port)) throw new InvalidHookToolArgumentError(tool, `port must be an integer 1-65535, got ${String(spec.port)}`);
  if (spec.toPort === undefined) return [...args, `${spec.port}/${spec.protocol}`];
  if (!isPort(spec.toPort) || spec.toPort < spec.port) {
    throw new InvalidHookToolArgumentError(tool, `range end must be an integer from ${spec.port} to 65535, got ${String(spec.toPort)}`);
  }
  return [...args, `${spec.port}-${spec.toPort}/${spec.protocol}`];
}

export interface OpenedPort {
  protocol: PortProtocol;
  port?: number;
  toPort?: number;
}

/** Parse an `opened-ports` entry (`80/tcp`, `8000-8999/udp`, `icmp`); undefined if unrecognised. */
export function parseOpenedPort(entry: string): OpenedPort | undefined {
  if (entry === 'icmp') return { protocol: 'icmp' };
  const match = /^(\d+)(?:-(\d+))?\/(tcp|udp)$/.exec(entry);
  if (!match) return undefined;
  const [, from, to, protocol] = match as unknown as [string, string, string | undefined, 'tcp' | 'udp'];
  return to === undefined ? { protocol, port: Number(from) } : { protocol, port: Number(from), toPort: Number(to) };
}

/** Argv safe to log or put in an error: action-set values may be passwords (get-password). */
export function redactArgs(tool: string, args: readonly string[]): readonly string[] {
  if (tool !== 'action-set') return args;
  return args.map((arg) => {
    const equals = arg.indexOf('=');
    return equals < 0 ? arg : `${arg.slice(0, equals)}=[redacted]`;
  });
}
