import { constants } from 'node:os';
import { PathError } from './errors.ts';
import type { Ownership } from './types.ts';

/** Milliseconds as a Go duration string with millisecond precision, like ops: 1500 → "1.500s". */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`invalid duration: ${ms} ms`);
  return `${(ms / 1000).toFixed(3)}s`;
}

/** Mode bits as Pebble's 3-digit octal string (0o644 → "644"); out-of-range is a PathError. */
export function formatPermissions(permissions: number, path: string): string {
  if (!Number.isInteger(permissions) || permissions < 0 || permissions > 0o777) {
    throw new PathError(
      'generic-file-error',
      `permissions not within 0o000 to 0o777: 0o${permissions.toString(8)}`,
      path,
    );
  }
  return permissions.toString(8).padStart(3, '0');
}

/** Pebble wants signal names with the SIG prefix; numbers are converted like ops does. */
export function signalName(signal: string | number): string {
  if (typeof signal === 'string') return signal.startsWith('SIG') ? signal : `SIG${signal}`;
  const entry = Object.entries(constants.signals).find(([, number]) => number === signal);
  if (entry === undefined) throw new RangeError(`unknown signal number ${signal}`);
  return entry[0];
}

/** Ownership options in Pebble's JSON field names, leaving out what was not given. */
export function ownershipFields(options: Ownership): Record<string, string | number> {
  const fields: Record<string, string | number> = {};
  if (options.user !== undefined) fields['user'] = options.user;
  if (options.userId !== undefined) fields['user-id'] = options.userId;
  if (options.group !== undefined) fields['group'] = options.group;
  if (options.groupId !== undefined) fields['group-id'] = options.groupId;
  return fields;
}
