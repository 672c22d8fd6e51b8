/**
 * Names derived from the application, unit and model (reference charm: `src/charm.py`
 * `PostgresqlOperatorCharm` properties, `get_hostname_by_unit`; `src/utils.py`): pod names, the
 * member endpoint Patroni advertises, the Kubernetes DNS names of the member and of the
 * primary/replicas services, and the Patroni cluster name.
 */
import { InvalidUnitNameError } from './errors.ts';

/** The cluster DNS suffix the reference assumes (it never reads the real cluster domain). */
export const CLUSTER_DOMAIN = 'svc.cluster.local';

export interface UnitName {
  readonly app: string;
  readonly number: number;
}

const UNIT_NAME = /^([a-z][a-z0-9-]*)\/(\d+)$/;
const POD_NAME = /^([a-z][a-z0-9-]*)-(\d+)$/;

/** `A/k` → `{app: A, number: k}`; anything else is an InvalidUnitNameError. */
export function parseUnitName(unit: string): UnitName {
  const match = UNIT_NAME.exec(unit);
  if (!match) throw new InvalidUnitNameError(unit, 'unit name (<app>/<number>)');
  return { app: match[1]!, number: Number(match[2]) };
}

/** `A/k` → `A-k`, the StatefulSet pod (and Patroni member) name. */
export function podName(unit: string): string {
  const { app, number } = parseUnitName(unit);
  return `${app}-${number}`;
}

/**
 * `A-k` → `A/k`, splitting on the last `-` (app names may contain `-`). Patroni member names
 * are pod names, so this turns a member back into the unit that runs it.
 */
export function unitNameFromPod(pod: string): string {
  const match = POD_NAME.exec(pod);
  if (!match) throw new InvalidUnitNameError(pod, 'pod name (<app>-<number>)');
  return `${match[1]}/${match[2]}`;
}

/** `patroni-<app>`: Patroni's scope, the `cluster-name` label, the DCS object prefix. */
export function clusterName(app: string): string {
  return `patroni-${app}`;
}

/** The headless service Juju creates for the StatefulSet. */
export function headlessServiceName(app: string): string {
  return `${app}-endpoints`;
}

export function primaryServiceName(app: string): string {
  return `${app}-primary`;
}

export function replicasServiceName(app: string): string {
  return `${app}-replicas`;
}

/**
 * `A-k.A-endpoints`: the member's short DNS name through the headless service. Patroni
 * advertises it (connect addresses), peers store it in the `endpoints` databag list, and the TLS
 * certificate's common name is this string.
 */
export function memberEndpoint(unit: string): string {
  const { app } = parseUnitName(unit);
  return `${podName(unit)}.${headlessServiceName(app)}`;
}

/** A short in-cluster name (`<name>.<service>` or `<service>`) qualified with the model. */
export function qualifiedName(name: string, model: string): string {
  return `${name}.${model}.${CLUSTER_DOMAIN}`;
}

/** `A-k.A-endpoints.N.svc.cluster.local`: the member's fully qualified name. */
export function memberFqdn(unit: string, model: string): string {
  return qualifiedName(memberEndpoint(unit), model);
}

/** `A-primary.N.svc.cluster.local`: always reaches the current primary. */
export function primaryEndpoint(app: string, model: string): string {
  return qualifiedName(primaryServiceName(app), model);
}

/** `A-replicas.N.svc.cluster.local`: load-balances over the replicas. */
export function replicasEndpoint(app: string, model: string): string {
  return qualifiedName(replicasServiceName(app), model);
}

/**
 * pgBackRest's stanza for this cluster: `<model>.patroni-<app>` (reference `src/backups.py`
 * `stanza_name`).
 */
export function stanzaName(model: string, app: string): string {
  return `${model}.${clusterName(app)}`;
}
