/**
 * Where Patroni keeps its leader lock and dynamic config (its DCS), decided in one place.
 *
 * On Kubernetes the reference uses Patroni's `kubernetes` DCS (Endpoints objects in the model's
 * namespace). Where there is no Kubernetes API (the sandbox, a VM flavour) we use `etcd3` with
 * endpoints the environment supplies. The choice is explicit, from the environment only:
 *
 * 1. `POSTGRESQL_DCS_ETCD_HOSTS` set (comma list of `host:port`) → etcd3, with optional
 *    `POSTGRESQL_DCS_ETCD_PROTOCOL` (`http`|`https`), `POSTGRESQL_DCS_ETCD_CACERT` (absolute
 *    path; implies https), `POSTGRESQL_DCS_ETCD_NAMESPACE` (key prefix) and, where etcd has auth
 *    enabled, `POSTGRESQL_DCS_ETCD_USERNAME` with `POSTGRESQL_DCS_ETCD_PASSWORD` (both or neither);
 * 2. else `KUBERNETES_SERVICE_HOST` set (every pod has it) → kubernetes;
 * 3. else DcsNotConfiguredError naming both variables.
 *
 * See docs/dcs.md.
 */
import { DcsNotConfiguredError, InvalidDcsSettingError } from './errors.ts';
import { clusterName } from './names.ts';

export const ETCD_HOSTS_VARIABLE = 'POSTGRESQL_DCS_ETCD_HOSTS';
export const ETCD_PROTOCOL_VARIABLE = 'POSTGRESQL_DCS_ETCD_PROTOCOL';
export const ETCD_CACERT_VARIABLE = 'POSTGRESQL_DCS_ETCD_CACERT';
export const ETCD_NAMESPACE_VARIABLE = 'POSTGRESQL_DCS_ETCD_NAMESPACE';
export const ETCD_USERNAME_VARIABLE = 'POSTGRESQL_DCS_ETCD_USERNAME';
export const ETCD_PASSWORD_VARIABLE = 'POSTGRESQL_DCS_ETCD_PASSWORD';
export const KUBERNETES_VARIABLE = 'KUBERNETES_SERVICE_HOST';

/** Patroni labels the leader pod `role=<this>`; the primary Service selects on it. */
export const LEADER_LABEL_VALUE = 'primary';

export interface EtcdEndpoint {
  readonly host: string;
  readonly port: number;
}

export interface Etcd3Dcs {
  readonly kind: 'etcd3';
  readonly hosts: readonly EtcdEndpoint[];
  readonly protocol: 'http' | 'https';
  /** CA bundle to verify etcd's certificate (https only). */
  readonly cacert?: string;
  /** Key prefix; Patroni keeps `<namespace><scope>/leader`, `/config`, `/sync`, ... */
  readonly namespace: string;
  /** etcd's user for Patroni, where etcd requires authentication; the password goes only into patroni.yml. */
  readonly credentials?: EtcdCredentials;
}

export interface EtcdCredentials {
  readonly username: string;
  readonly password: string;
}

export interface KubernetesDcs {
  readonly kind: 'kubernetes';
  /** The Kubernetes namespace, i.e. the Juju model. */
  readonly namespace: string;
  /** Labels Patroni puts on (and selects) its pods and DCS objects. */
  readonly labels: Readonly<Record<string, string>>;
  readonly leaderLabelValue: string;
  /** Endpoints (not ConfigMaps) hold the leader lock and config. */
  readonly useEndpoints: true;
}

export type DcsConfig = Etcd3Dcs | KubernetesDcs;

/** What the environment-independent part of the choice needs to know. */
export interface DcsCluster {
  readonly app: string;
  readonly model: string;
}

type Environment = Readonly<Record<string, string | undefined>>;

/** Unset and empty are the same thing (`VAR=` in a shell sets it empty). */
function read(env: Environment, name: string): string | undefined {
  const value = env[name]?.trim();
  return value ? value : undefined;
}

/** Pick the DCS from the environment, as described at the top of this module. */
export function selectDcs(env: Environment, cluster: DcsCluster): DcsConfig {
  const etcdHosts = read(env, ETCD_HOSTS_VARIABLE);
  if (etcdHosts !== undefined) return etcd3FromEnvironment(etcdHosts, env, cluster);
  if (read(env, KUBERNETES_VARIABLE) !== undefined) return kubernetesDcs(cluster);
  throw new DcsNotConfiguredError(ETCD_HOSTS_VARIABLE, KUBERNETES_VARIABLE);
}

/** The reference's Kubernetes DCS for an application in a model. */
export function kubernetesDcs(cluster: DcsCluster): KubernetesDcs {
  return {
    kind: 'kubernetes',
    namespace: cluster.model,
    labels: { application: 'patroni', 'cluster-name': clusterName(cluster.app) },
    leaderLabelValue: LEADER_LABEL_VALUE,
    useEndpoints: true,
  };
}

function etcd3FromEnvironment(hostList: string, env: Environment, cluster: DcsCluster): Etcd3Dcs {
  const hosts = parseEtcdHosts(hostList);
  const cacert = read(env, ETCD_CACERT_VARIABLE);
  if (cacert !== undefined && !cacert.startsWith('/')) {
    throw new InvalidDcsSettingError(ETCD_CACERT_VARIABLE, cacert, 'must be an absolute path');
  }
  const protocol = parseProtocol(read(env, ETCD_PROTOCOL_VARIABLE), cacert);
  return {
    kind: 'etcd3',
    hosts,
    protocol,
    ...(cacert === undefined ? {} : { cacert }),
    namespace: normaliseNamespace(read(env, ETCD_NAMESPACE_VARIABLE) ?? defaultEtcdNamespace(cluster.model)),
    ...etcdCredentials(env),
  };
}

/**
 * Patroni's etcd user, both variables or neither. The password is taken as it is (spaces are
 * legal in etcd passwords) and never put into an error message.
 */
function etcdCredentials(env: Environment): { credentials?: EtcdCredentials } {
  const username = read(env, ETCD_USERNAME_VARIABLE);
  const password = env[ETCD_PASSWORD_VARIABLE] ? env[ETCD_PASSWORD_VARIABLE] : undefined;
  if (username === undefined && password === undefined) return {};
  if (username === undefined) {
    throw new InvalidDcsSettingError(ETCD_USERNAME_VARIABLE, '', `must be set when ${ETCD_PASSWORD_VARIABLE} is`);
  }
  if (password === undefined) {
    throw new InvalidDcsSettingError(ETCD_PASSWORD_VARIABLE, '', `must be set when ${ETCD_USERNAME_VARIABLE} is`);
  }
  return { credentials: { username, password } };
}

/**
 * `/service/<model>/`: Patroni's default prefix plus the model, so two models that deploy an
 * application under the same name (hence the same scope) never share a leader lock — on
 * Kubernetes the model's namespace keeps them apart in the same way.
 */
export function defaultEtcdNamespace(model: string): string {
  return `/service/${model}/`;
}

function normaliseNamespace(namespace: string): string {
  return `/${namespace}/`.replace(/\/+/g, '/');
}

const HOST_PORT = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?):(\d{1,5})$/;

/** `h1:2379, h2:2379` → endpoints; every entry needs a host and a port in 1..65535. */
export function parseEtcdHosts(list: string): EtcdEndpoint[] {
  const entries = list.split(',').map((entry) => entry.trim());
  if (entries.some((entry) => entry === '')) {
    throw new InvalidDcsSettingError(ETCD_HOSTS_VARIABLE, list, 'empty entry in the host list');
  }
  return entries.map((entry) => {
    const match = HOST_PORT.exec(entry);
    const port = Number(match?.[2]);
    if (!match || port < 1 || port > 65535) {
      throw new InvalidDcsSettingError(ETCD_HOSTS_VARIABLE, list, `${JSON.stringify(entry)} is not host:port`);
    }
    return { host: match[1]!, port };
  });
}

function parseProtocol(value: string | undefined, cacert: string | undefined): 'http' | 'https' {
  if (value === undefined) return cacert === undefined ? 'http' : 'https';
  if (value !== 'http' && value !== 'https') {
    throw new InvalidDcsSettingError(ETCD_PROTOCOL_VARIABLE, value, 'must be http or https');
  }
  if (value === 'http' && cacert !== undefined) {
    throw new InvalidDcsSettingError(ETCD_PROTOCOL_VARIABLE, value, `${ETCD_CACERT_VARIABLE} needs https`);
  }
  return value;
}

/**
 * Environment of the Patroni service for this DCS. Kubernetes: the reference's four
 * `PATRONI_KUBERNETES_*` variables (values as the reference writes them). etcd3: none — the
 * `etcd3:` section of patroni.yml carries everything.
 */
export function dcsServiceEnvironment(dcs: DcsConfig): Record<string, string> {
  if (dcs.kind === 'etcd3') return {};
  const labels = Object.entries(dcs.labels)
    .map(([key, value]) => `${key}: ${value}`)
    .join(', ');
  return {
    PATRONI_KUBERNETES_LABELS: `{${labels}}`,
    PATRONI_KUBERNETES_LEADER_LABEL_VALUE: dcs.leaderLabelValue,
    PATRONI_KUBERNETES_NAMESPACE: dcs.namespace,
    PATRONI_KUBERNETES_USE_ENDPOINTS: 'true',
  };
}

/**
 * Top-level patroni.yml keys for this DCS, so the file alone describes the member (and
 * `patronictl -c patroni.yml` works). For Kubernetes they repeat the environment; Patroni lets
 * the environment win, and both come from this one DcsConfig.
 *
 * Kubernetes gets no top-level `namespace`: Patroni copies a top-level `namespace` into the DCS
 * section, which would replace the Kubernetes namespace. It gets no `pod_ip` either: Patroni then
 * takes the pod's IP from the API, whereas the reference's DNS name would not be a valid address.
 */
export function dcsPatroniSection(dcs: DcsConfig): Record<string, unknown> {
  if (dcs.kind === 'etcd3') {
    return {
      namespace: dcs.namespace,
      etcd3: {
        hosts: dcs.hosts.map(({ host, port }) => `${host}:${port}`),
        protocol: dcs.protocol,
        ...(dcs.cacert === undefined ? {} : { cacert: dcs.cacert }),
        ...(dcs.credentials === undefined ? {} : { username: dcs.credentials.username, password: dcs.credentials.password }),
      },
    };
  }
  return {
    kubernetes: {
      namespace: dcs.namespace,
      labels: { ...dcs.labels },
      leader_label_value: dcs.leaderLabelValue,
      use_endpoints: dcs.useEndpoints,
    },
  };
}
