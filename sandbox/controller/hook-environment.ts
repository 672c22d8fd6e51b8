import path from 'node:path';
import type { Model } from '../juju/model.ts';
import { dispatchPath, type QueuedEvent } from './queued-event.ts';

/**
 * The environment a dispatch starts with, as the Juju unit agent builds it
 * (docs/hook-tools.md#environment): the always-set variables, the event's own ones, the agent
 * socket, and PATH with the hook-tool directory first. Nothing is inherited from the controller's
 * environment.
 */

export const DEFAULT_JUJU_VERSION = '3.6.8';
export const DEFAULT_API_ADDRESSES = '127.0.0.1:17070';

export interface EnvironmentSettings {
  jujuVersion: string;
  apiAddresses: string;
  availabilityZone: string;
  /** Directory holding the hook-tool links; goes first on PATH. */
  toolsDir: string;
  /** The rest of PATH (must reach `node`, which the jujuc client runs on). */
  basePath: string;
}

export function defaultBasePath(): string {
  return [path.dirname(process.execPath), '/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'].join(':');
}

export interface EnvironmentInput {
  model: Model;
  event: QueuedEvent;
  charmDir: string;
  /** JUJU_CONTEXT_ID and the agent socket variables, from HookToolAgent.environment(). */
  agentEnv: Record<string, string>;
  /** Sandbox extras (e.g. the DCS endpoints); they cannot override the Juju variables. */
  extraEnv?: Record<string, string>;
  settings: EnvironmentSettings;
}

function eventVariables(model: Model, event: QueuedEvent): Record<string, string> {
  if (event.kind === 'action') {
    return { JUJU_ACTION_NAME: event.name, JUJU_ACTION_UUID: event.actionId, JUJU_ACTION_TAG: `action-${event.actionId}` };
  }
  const vars: Record<string, string> = {};
  if (event.relationId !== undefined) {
    const name = event.relationName ?? '';
    vars['JUJU_RELATION'] = name;
    vars['JUJU_RELATION_ID'] = `${name}:${event.relationId}`;
    vars['JUJU_REMOTE_UNIT'] = event.remoteUnit ?? '';
    vars['JUJU_REMOTE_APP'] = event.remoteApp ?? '';
  }
  if (event.departingUnit !== undefined) vars['JUJU_DEPARTING_UNIT'] = event.departingUnit;
  if (event.workloadName !== undefined) vars['JUJU_WORKLOAD_NAME'] = event.workloadName;
  if (event.noticeId !== undefined) vars['JUJU_NOTICE_ID'] = event.noticeId;
  if (event.noticeType !== undefined) vars['JUJU_NOTICE_TYPE'] = event.noticeType;
  if (event.noticeKey !== undefined) vars['JUJU_NOTICE_KEY'] = event.noticeKey;
  if (event.checkName !== undefined) vars['JUJU_PEBBLE_CHECK_NAME'] = event.checkName;
  if (event.secretId !== undefined) {
    vars['JUJU_SECRET_ID'] = event.secretId;
    vars['JUJU_SECRET_LABEL'] = event.secretLabel ?? '';
    if (event.secretRevision !== undefined) vars['JUJU_SECRET_REVISION'] = String(event.secretRevision);
  }
  if (event.storageId !== undefined) {
    const storage = model.units[event.unit]?.storage.find((s) => s.id === event.storageId);
    vars['JUJU_STORAGE_ID'] = event.storageId;
    vars['JUJU_STORAGE_LOCATION'] = storage?.location ?? '';
    vars['JUJU_STORAGE_KIND'] = storage?.kind ?? '';
  }
  return vars;
}

export function buildHookEnvironment(input: EnvironmentInput): Record<string, string> {
  const { model, event, charmDir, settings } = input;
  return {
    LANG: 'C.UTF-8',
    ...input.extraEnv,
    PATH: `${settings.toolsDir}:${settings.basePath}`,
    JUJU_DISPATCH_PATH: dispatchPath(event),
    JUJU_HOOK_NAME: event.kind === 'hook' ? event.hook : '',
    JUJU_CHARM_DIR: charmDir,
    CHARM_DIR: charmDir,
    JUJU_UNIT_NAME: event.unit,
    JUJU_MODEL_NAME: model.name,
    JUJU_MODEL_UUID: model.uuid,
    JUJU_VERSION: settings.jujuVersion,
    JUJU_API_ADDRESSES: settings.apiAddresses,
    JUJU_AVAILABILITY_ZONE: settings.availabilityZone,
    JUJU_MACHINE_ID: '',
    JUJU_PRINCIPAL_UNIT: '',
    CLOUD_API_VERSION: '',
    ...input.agentEnv,
    ...eventVariables(model, event),
  };
}
