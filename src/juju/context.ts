import * as z from 'zod/mini';
import '../zod-setup.ts';
import { addEventFields } from './context-event-fields.ts';
import { classifyDispatchPath, DISPATCH_PATH_PATTERN, type DispatchTarget } from './dispatch-path.ts';
import { absolutePath, definedOnly, EnvReader, jujuVersion, modelUuid, text, unitName, type Env } from './env-reader.ts';
import { DispatchContextError } from './errors.ts';
import type { JujuVersion } from './juju-version.ts';

/**
 * Everything Juju tells one dispatch through its environment (docs/hook-tools.md#environment),
 * parsed once and validated. Per-event fields are present exactly for their event family.
 */
export interface DispatchContext {
  dispatchPath: string;
  /** The hook name; empty for actions. */
  hookName: string;
  /** What the dispatch path names (family + entity), before metadata is consulted. */
  target: DispatchTarget;
  charmDir: string;
  unitName: string;
  appName: string;
  unitNumber: number;
  modelName: string;
  modelUuid: string;
  /** Undefined only in `meter-status-changed`, where Juju does not set JUJU_VERSION. */
  jujuVersion: JujuVersion | undefined;
  contextId: string | undefined;
  agentSocket: { address: string; network: 'unix' | 'tcp' } | undefined;
  agentCaCert: string | undefined;
  apiAddresses: string[];
  machineId: string | undefined;
  principalUnit: string | undefined;
  availabilityZone: string | undefined;
  cloudApiVersion: string | undefined;
  proxy: { http?: string; https?: string; ftp?: string; noProxy?: string };
  /** JUJU_DEBUG is set (debug-hooks/debug-code session). */
  debug: boolean;
  debugAt: string[];
  trace: { traceId: string; spanId?: string; flags?: string } | undefined;
  relation?: RelationContext;
  action?: { name: string; uuid: string; tag?: string };
  workload?: {
    name: string;
    notice?: { id: string; type: string; key: string };
    checkName?: string;
  };
  secret?: { id: string; label?: string; revision?: number };
  storage?: { name: string; index: number; location?: string; kind?: 'filesystem' | 'block' };
  seriesUpgrade?: { targetBase?: string; targetSeries?: string };
  meter?: { status?: string; info?: string; sla?: string };
}

export interface RelationContext {
  name: string;
  id: number;
  /** JUJU_REMOTE_APP, or the app part of JUJU_REMOTE_UNIT when the former is empty. */
  remoteApp: string | undefined;
  remoteUnit: string | undefined;
  departingUnit: string | undefined;
}

/**
 * Parse and validate the dispatch environment. Required variables follow ops's strict
 * `JujuContext.from_environ` (plus the per-event ones for the event the path names); optional
 * variables treat the empty string as unset. Throws DispatchContextError naming the variable.
 */
export function parseDispatchContext(environment: NodeJS.ProcessEnv | Env): DispatchContext {
  const env = new EnvReader(environment);
  const dispatchPath = env.required('JUJU_DISPATCH_PATH', z.string().check(z.regex(DISPATCH_PATH_PATTERN)), '"hooks/<hook-name>" or "actions/<action-name>"');
  const target = classifyDispatchPath(dispatchPath);
  const isAction = target.family === 'action';
  const pathName = dispatchPath.slice(dispatchPath.indexOf('/') + 1);

  const hookName = environment['JUJU_HOOK_NAME'];
  if (hookName === undefined || hookName !== (isAction ? '' : pathName)) {
    const expected = isAction ? 'the empty string for an action' : `${JSON.stringify(pathName)} (the hook named by JUJU_DISPATCH_PATH)`;
    throw new DispatchContextError('JUJU_HOOK_NAME', hookName, expected);
  }

  const unit = env.required('JUJU_UNIT_NAME', unitName, 'a unit name "<app>/<number>", e.g. "postgresql-k8s/0"');
  // Juju does not set JUJU_VERSION in meter-status-changed (docs/hook-tools.md#environment).
  const versionNeeded = !(target.family === 'lifecycle' && target.hook === 'meter-status-changed');
  const socketAddress = env.text('JUJU_AGENT_SOCKET_ADDRESS');
  const socketNetwork = env.optional('JUJU_AGENT_SOCKET_NETWORK', z.enum(['unix', 'tcp']), '"unix" or "tcp"');
  const traceId = env.text('JUJU_TRACE_ID');
  const debugAt = env.text('JUJU_DEBUG_AT') ?? '';
  const charmDir =
    env.optional('JUJU_CHARM_DIR', absolutePath, 'an absolute path') ??
    env.optional('CHARM_DIR', absolutePath, 'an absolute path') ??
    // Juju starts dispatch in the charm directory.
    process.cwd();

  const context: DispatchContext = {
    dispatchPath,
    hookName,
    target,
    charmDir,
    unitName: unit.name,
    appName: unit.app,
    unitNumber: unit.number,
    modelName: env.required('JUJU_MODEL_NAME', text, 'the model name'),
    modelUuid: env.required('JUJU_MODEL_UUID', modelUuid, 'a UUID such as "cdac5656-2423-4388-8f30-41854b4cca7d"'),
    jujuVersion: env.when(versionNeeded, 'JUJU_VERSION', jujuVersion, 'a Juju version such as "3.6.8"'),
    contextId: env.text('JUJU_CONTEXT_ID'),
    agentSocket: socketAddress ? { address: socketAddress, network: socketNetwork ?? 'unix' } : undefined,
    agentCaCert: env.text('JUJU_AGENT_CA_CERT'),
    apiAddresses: (env.text('JUJU_API_ADDRESSES') ?? '').split(/\s+/).filter((address) => address !== ''),
    machineId: env.text('JUJU_MACHINE_ID'),
    principalUnit: env.optional('JUJU_PRINCIPAL_UNIT', unitName, 'a unit name "<app>/<number>"')?.name,
    availabilityZone: env.text('JUJU_AVAILABILITY_ZONE'),
    cloudApiVersion: env.text('CLOUD_API_VERSION'),
    proxy: definedOnly({
      http: env.text('JUJU_CHARM_HTTP_PROXY'),
      https: env.text('JUJU_CHARM_HTTPS_PROXY'),
      ftp: env.text('JUJU_CHARM_FTP_PROXY'),
      noProxy: env.text('JUJU_CHARM_NO_PROXY'),
    }),
    // Presence is what counts, as in ops.
    debug: environment['JUJU_DEBUG'] !== undefined,
    debugAt: debugAt.split(',').map((item) => item.trim()).filter((item) => item !== ''),
    trace: traceId ? definedOnly({ traceId, spanId: env.text('JUJU_SPAN_ID'), flags: env.text('JUJU_TRACE_FLAGS') }) : undefined,
  };
  addEventFields(context, env, target);
  return context;
}
