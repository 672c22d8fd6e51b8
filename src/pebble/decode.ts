import { PebbleProtocolError } from './errors.ts';
import type { Change, FileInfo, FileType, ServiceInfo, SystemInfo, Task } from './types.ts';

/**
 * Pebble's JSON results (the `result` of the envelopes documented in canonical/pebble's
 * docs/reference/api, shaped as in its client/*.go structs) as the camelCase types of types.ts. Required fields are checked
 * so a server that answers something else fails loudly (PebbleProtocolError) instead of leaking
 * `undefined` into handlers. Kept dependency-free: a hook's cold start cannot afford a schema
 * library here.
 */

type Json = Record<string, unknown>;

function object(value: unknown, what: string): Json {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new PebbleProtocolError(`Pebble returned a malformed ${what}: expected an object`);
  }
  return value as Json;
}

export function list(value: unknown, what: string): unknown[] {
  if (value === null || value === undefined) return [];
  if (!Array.isArray(value)) throw new PebbleProtocolError(`Pebble returned a malformed ${what}: expected a list`);
  return value;
}

function string(json: Json, key: string, what: string): string {
  const value = json[key];
  if (typeof value !== 'string') throw new PebbleProtocolError(`Pebble returned a malformed ${what}: "${key}" is not a string`);
  return value;
}

function optionalString(json: Json, key: string): string | undefined {
  const value = json[key];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function number(json: Json, key: string, fallback: number): number {
  const value = json[key];
  return typeof value === 'number' ? value : fallback;
}

function nullableNumber(json: Json, key: string): number | null {
  const value = json[key];
  return typeof value === 'number' ? value : null;
}

function record(json: Json, key: string): Record<string, unknown> {
  const value = json[key];
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

export function decodeSystemInfo(value: unknown): SystemInfo {
  const json = object(value, 'system info');
  const info: SystemInfo = { bootId: string(json, 'boot-id', 'system info'), version: string(json, 'version', 'system info') };
  const http = optionalString(json, 'http-address');
  const https = optionalString(json, 'https-address');
  if (http !== undefined) info.httpAddress = http;
  if (https !== undefined) info.httpsAddress = https;
  return info;
}

/** A string field that may be missing (Go's zero value, ''), but is not something else. */
function stringOr(json: Json, key: string, what: string): string {
  const value = json[key];
  if (value === undefined || value === null) return '';
  if (typeof value !== 'string') throw new PebbleProtocolError(`Pebble returned a malformed ${what}: "${key}" is not a string`);
  return value;
}

/**
 * Changes and tasks are decoded as leniently as Pebble's Go client does (client/changes.go):
 * only the change id is required; missing fields take Go's zero values, as the Go client's own
 * tests feed it (client/changes_test.go, client/exec_test.go).
 */
export function decodeTask(value: unknown): Task {
  const json = object(value, 'task');
  const progress = record(json, 'progress');
  const task: Task = {
    id: stringOr(json, 'id', 'task'),
    kind: stringOr(json, 'kind', 'task'),
    summary: stringOr(json, 'summary', 'task'),
    status: stringOr(json, 'status', 'task'),
    log: list(json['log'], 'task log').map(String),
    progress: {
      label: typeof progress['label'] === 'string' ? progress['label'] : '',
      done: typeof progress['done'] === 'number' ? progress['done'] : 0,
      total: typeof progress['total'] === 'number' ? progress['total'] : 0,
    },
    spawnTime: stringOr(json, 'spawn-time', 'task'),
    data: record(json, 'data'),
  };
  const readyTime = optionalString(json, 'ready-time');
  if (readyTime !== undefined) task.readyTime = readyTime;
  return task;
}

export function decodeChange(value: unknown): Change {
  const json = object(value, 'change');
  const ready = json['ready'] ?? false;
  if (typeof ready !== 'boolean') throw new PebbleProtocolError('Pebble returned a malformed change: "ready" is not a boolean');
  const change: Change = {
    id: string(json, 'id', 'change'),
    kind: stringOr(json, 'kind', 'change'),
    summary: stringOr(json, 'summary', 'change'),
    status: stringOr(json, 'status', 'change'),
    ready,
    spawnTime: stringOr(json, 'spawn-time', 'change'),
    tasks: list(json['tasks'], 'change tasks').map(decodeTask),
    data: record(json, 'data'),
  };
  const err = optionalString(json, 'err');
  const readyTime = optionalString(json, 'ready-time');
  if (err !== undefined) change.err = err;
  if (readyTime !== undefined) change.readyTime = readyTime;
  return change;
}

export function decodeServiceInfo(value: unknown): ServiceInfo {
  const json = object(value, 'service info');
  const info: ServiceInfo = {
    name: string(json, 'name', 'service info'),
    startup: string(json, 'startup', 'service info') as ServiceInfo['startup'],
    current: string(json, 'current', 'service info') as ServiceInfo['current'],
  };
  const since = optionalString(json, 'current-since');
  if (since !== undefined) info.currentSince = since;
  return info;
}

export function decodeFileInfo(value: unknown): FileInfo {
  const json = object(value, 'file info');
  const permissions = Number.parseInt(string(json, 'permissions', 'file info'), 8);
  if (Number.isNaN(permissions)) throw new PebbleProtocolError('Pebble returned a malformed file info: bad "permissions"');
  const info: FileInfo = {
    path: string(json, 'path', 'file info'),
    name: string(json, 'name', 'file info'),
    type: string(json, 'type', 'file info') as FileType,
    permissions,
    lastModified: string(json, 'last-modified', 'file info'),
    userId: nullableNumber(json, 'user-id'),
    user: optionalString(json, 'user') ?? '',
    groupId: nullableNumber(json, 'group-id'),
    group: optionalString(json, 'group') ?? '',
  };
  if (typeof json['size'] === 'number') info.size = json['size'];
  return info;
}
