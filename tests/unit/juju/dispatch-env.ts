/**
 * Dispatch environments as the unit agent builds them (docs/hook-tools.md#environment): every
 * always-set variable (empty when unknown, as Juju leaves them), plus the per-event ones for each
 * family.
 */
export type Env = Record<string, string | undefined>;

export const MODEL_UUID = 'cdac5656-2423-4388-8f30-41854b4cca7d';
export const CHARM_DIR = '/var/lib/juju/agents/unit-postgresql-k8s-0/charm';

export function baseEnv(dispatchPath: string, extra: Env = {}): Env {
  const isAction = dispatchPath.startsWith('actions/');
  return {
    JUJU_DISPATCH_PATH: dispatchPath,
    JUJU_HOOK_NAME: isAction ? '' : dispatchPath.slice('hooks/'.length),
    JUJU_CHARM_DIR: CHARM_DIR,
    CHARM_DIR,
    JUJU_CONTEXT_ID: 'postgresql-k8s/0-install-8420137741586387546',
    JUJU_AGENT_SOCKET_ADDRESS: '@/var/lib/juju/agents/unit-postgresql-k8s-0/agent.socket',
    JUJU_AGENT_SOCKET_NETWORK: 'unix',
    JUJU_UNIT_NAME: 'postgresql-k8s/0',
    JUJU_MODEL_NAME: 'welcome',
    JUJU_MODEL_UUID: MODEL_UUID,
    JUJU_API_ADDRESSES: '10.152.183.20:17070 10.152.183.21:17070',
    JUJU_MACHINE_ID: '',
    JUJU_PRINCIPAL_UNIT: '',
    JUJU_AVAILABILITY_ZONE: '',
    JUJU_VERSION: '3.6.8',
    CLOUD_API_VERSION: '',
    JUJU_CHARM_HTTP_PROXY: '',
    JUJU_CHARM_HTTPS_PROXY: '',
    JUJU_CHARM_FTP_PROXY: '',
    JUJU_CHARM_NO_PROXY: '',
    PATH: '/var/lib/juju/tools/unit-postgresql-k8s-0:/usr/bin:/bin',
    LANG: 'C.UTF-8',
    ...extra,
  };
}

type RelationHookSuffix = 'created' | 'joined' | 'changed' | 'departed' | 'broken';

/** A relation hook: remote unit only in joined/changed/departed, departing unit only in departed. */
export function relationEnv(endpoint: string, hook: RelationHookSuffix, id = 7, remote = 'pgbouncer-k8s', extra: Env = {}): Env {
  const withUnit = hook === 'joined' || hook === 'changed' || hook === 'departed';
  return baseEnv(`hooks/${endpoint}-relation-${hook}`, {
    JUJU_RELATION: endpoint,
    JUJU_RELATION_ID: `${endpoint}:${id}`,
    JUJU_REMOTE_APP: remote,
    JUJU_REMOTE_UNIT: withUnit ? `${remote}/1` : '',
    ...(hook === 'departed' ? { JUJU_DEPARTING_UNIT: `${remote}/1` } : {}),
    ...extra,
  });
}

export function secretEnv(hook: 'changed' | 'expired' | 'rotate' | 'remove', extra: Env = {}): Env {
  return baseEnv(`hooks/secret-${hook}`, {
    JUJU_SECRET_ID: 'secret:cs8b2dvmp25c76a1p2k0',
    JUJU_SECRET_LABEL: 'database-peers.postgresql-k8s.app',
    ...(hook === 'expired' || hook === 'remove' ? { JUJU_SECRET_REVISION: '3' } : {}),
    ...extra,
  });
}

export function storageEnv(storage: string, hook: 'attached' | 'detaching', extra: Env = {}): Env {
  return baseEnv(`hooks/${storage}-storage-${hook}`, {
    JUJU_STORAGE_ID: `${storage}/0`,
    JUJU_STORAGE_LOCATION: `/var/lib/juju/storage/${storage}/0`,
    JUJU_STORAGE_KIND: 'filesystem',
    ...extra,
  });
}

export function workloadEnv(container: string, suffix: string, extra: Env = {}): Env {
  return baseEnv(`hooks/${container}-${suffix}`, { JUJU_WORKLOAD_NAME: container, ...extra });
}

export function actionEnv(action: string, extra: Env = {}): Env {
  return baseEnv(`actions/${action}`, {
    JUJU_ACTION_NAME: action,
    JUJU_ACTION_UUID: '42',
    JUJU_ACTION_TAG: 'action-42',
    ...extra,
  });
}
