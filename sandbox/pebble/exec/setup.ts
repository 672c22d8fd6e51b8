/**
 * Validating POST /v1/exec and computing what the command will run with (canonical/pebble
 * internals/daemon/api_exec.go): executable resolved via Pebble's PATH up front, service-context
 * merged, environment built from Pebble's own plus the request, working directory defaulting to the
 * user's home.
 */
import { existsSync, statSync } from 'node:fs';
import { z } from 'zod';
import { ApiError, badRequest, serverError } from '../errors.ts';
import type { Plan } from '../plan/types.ts';
import { lookPath } from '../util/command.ts';
import { formatGoDuration, parseOptionalDuration } from '../util/go-duration.ts';
import { lookupUserId, normalizeUidGid, type UidGid } from '../util/users.ts';

const nullableString = z.string().nullish().transform((v) => v ?? '');
const nullableInt = z.number().int().nullish().transform((v) => v ?? undefined);

export const execPayloadSchema = z.object({
  command: z.array(z.string()).nullish().transform((v) => v ?? []),
  'service-context': nullableString,
  environment: z.record(z.string(), z.string()).nullish().transform((v) => v ?? {}),
  'working-dir': nullableString,
  timeout: nullableString,
  'user-id': nullableInt,
  user: nullableString,
  'group-id': nullableInt,
  group: nullableString,
  terminal: z.boolean().nullish(),
  interactive: z.boolean().nullish(),
  'split-stderr': z.boolean().nullish(),
  width: z.number().nullish(),
  height: z.number().nullish(),
});

export type ExecPayload = z.output<typeof execPayloadSchema>;

export interface ExecSetup {
  command: string[];
  /** The resolved executable for command[0]. */
  executable: string;
  environment: Record<string, string>;
  workingDir: string;
  timeoutNs: number;
  timeoutText: string;
  ids: UidGid | undefined;
  splitStderr: boolean;
}

const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

function checkWorkingDir(requested: string, home: string, hostPath: (p: string) => string): string {
  let dir = requested;
  let what = 'working directory';
  if (dir === '') {
    if (home === '') return '/';
    dir = home;
    what = 'home directory';
  }
  const host = hostPath(dir);
  if (!existsSync(host)) throw serverError(`cannot call exec: ${what} "${dir}" does not exist`);
  if (!statSync(host).isDirectory()) throw serverError(`cannot call exec: ${what} "${dir}" not a directory`);
  return dir;
}

export function prepareExec(
  payload: ExecPayload,
  plan: Plan,
  pebbleEnv: Record<string, string>,
  hostPath: (p: string) => string,
): ExecSetup {
  if (payload.command.length < 1) throw badRequest('must specify command');
  let timeoutNs: number;
  try {
    timeoutNs = parseOptionalDuration(payload.timeout);
  } catch (err) {
    throw badRequest(`invalid timeout: ${(err as Error).message}`);
  }
  const name = payload.command[0] as string;
  const executable = lookPath(name, pebbleEnv['PATH']);
  if (!executable) throw badRequest(`cannot find executable "${name}"`);

  // Service context first, then the request's own settings on top.
  let environment = { ...payload.environment };
  let userId = payload['user-id'];
  let user = payload.user;
  let groupId = payload['group-id'];
  let group = payload.group;
  let workingDir = payload['working-dir'];
  const contextName = payload['service-context'];
  if (contextName !== '') {
    const service = plan.services[contextName];
    if (!service) throw badRequest(`context service "${contextName}" not found`);
    environment = { ...(service.environment ?? {}), ...payload.environment };
    userId = userId ?? service.userId;
    user = user || (service.user ?? '');
    groupId = groupId ?? service.groupId;
    group = group || (service.group ?? '');
    workingDir = workingDir || (service.workingDir ?? '');
  }
  let ids: UidGid | undefined;
  try {
    ids = normalizeUidGid({ userId, user, groupId, group });
  } catch (err) {
    throw badRequest((err as Error).message);
  }
  if (payload.interactive && !payload.terminal) throw serverError('cannot call exec: cannot use interactive mode without a terminal');
  if (payload.terminal) throw new ApiError(400, 'terminal mode is not supported by the sandbox Pebble');

  const env: Record<string, string> = { ...pebbleEnv };
  if (ids && ids.uid !== process.getuid?.()) {
    delete env['HOME'];
    delete env['USER'];
  }
  Object.assign(env, environment);
  env['PATH'] ??= DEFAULT_PATH;
  if (!env['HOME'] || !env['USER']) {
    const entry = lookupUserId(ids?.uid ?? process.getuid?.() ?? 0);
    if (entry) {
      if (!env['HOME']) env['HOME'] = entry.home;
      if (!env['USER']) env['USER'] = entry.name;
    }
  }
  env['LANG'] ??= 'C.UTF-8';
  const resolvedDir = checkWorkingDir(workingDir, env['HOME'] ?? '', hostPath);
  return {
    command: payload.command,
    executable,
    environment: env,
    workingDir: resolvedDir,
    timeoutNs,
    timeoutText: formatGoDuration(timeoutNs),
    ids,
    splitStderr: payload['split-stderr'] ?? false,
  };
}
