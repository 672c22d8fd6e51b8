/**
 * The Kubernetes objects and patches the charm sends (reference charm: `src/charm.py`
 * `_create_services`, `_patch_pod_labels`, `_fix_pod`; see docs/dcs.md), as plain data for the
 * handler that talks to the Kubernetes API. Only used with the Kubernetes DCS.
 */
import { DEFAULT_MEMBER_PORTS, type MemberPorts } from './users.ts';
import { LEADER_LABEL_VALUE } from './dcs.ts';
import { clusterName, headlessServiceName, primaryServiceName, replicasServiceName } from './names.ts';

/** The fields of an owner reference the charm copies from pod `<app>-0` (the StatefulSet's). */
export interface OwnerReference {
  readonly apiVersion: string;
  readonly kind: string;
  readonly name: string;
  readonly uid: string;
  readonly controller?: boolean;
  readonly blockOwnerDeletion?: boolean;
}

export interface ServicePort {
  readonly name: string;
  readonly port: number;
  readonly targetPort: number;
}

export interface ServiceObject {
  readonly apiVersion: 'v1';
  readonly kind: 'Service';
  readonly metadata: {
    readonly name: string;
    readonly namespace: string;
    readonly ownerReferences: readonly OwnerReference[];
    readonly labels: Readonly<Record<string, string>>;
  };
  readonly spec: {
    readonly ports: readonly ServicePort[];
    readonly selector: Readonly<Record<string, string>>;
  };
}

/** Patroni's pod `role` label for the two services. */
export type ServiceRole = 'primary' | 'replica';

/** Labels Patroni needs on every pod of the cluster (it selects its members with them). */
export function patroniPodLabels(app: string): Record<string, string> {
  return { application: 'patroni', 'cluster-name': clusterName(app) };
}

/** Merge patch for the unit's pod, sent before Patroni starts (`_patch_pod_labels`). */
export function podLabelPatch(app: string): { metadata: { labels: Record<string, string> } } {
  return { metadata: { labels: patroniPodLabels(app) } };
}

/**
 * `<app>-primary` or `<app>-replicas`: selects the pods Patroni labels with the role, serving
 * the REST API (`api`) and PostgreSQL (`database`). Server-side applied with force, field
 * manager `<app>`, owned like pod `<app>-0` so it goes away with the StatefulSet.
 * `leaderLabel` is the `role` value the workload's Patroni gives its leader: `primary` as the
 * charm configures it (`leader_label_value`), `master` from a Patroni older than 3.1, which
 * has no such setting.
 */
export function roleService(
  app: string,
  model: string,
  role: ServiceRole,
  ownerReferences: readonly OwnerReference[],
  ports: MemberPorts = DEFAULT_MEMBER_PORTS,
  leaderLabel: string = LEADER_LABEL_VALUE,
): ServiceObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      name: role === 'primary' ? primaryServiceName(app) : replicasServiceName(app),
      namespace: model,
      ownerReferences: ownerReferences.map((reference) => ({ ...reference })),
      labels: { 'app.kubernetes.io/name': app },
    },
    spec: {
      ports: [
        { name: 'api', port: ports.patroniApi, targetPort: ports.patroniApi },
        { name: 'database', port: ports.postgresql, targetPort: ports.postgresql },
      ],
      selector: { 'app.kubernetes.io/name': app, 'cluster-name': clusterName(app), role: role === 'primary' ? leaderLabel : role },
    },
  };
}

/** Both services, primary first (`_create_services`). */
export function roleServices(
  app: string,
  model: string,
  ownerReferences: readonly OwnerReference[],
  ports: MemberPorts = DEFAULT_MEMBER_PORTS,
  leaderLabel: string = LEADER_LABEL_VALUE,
): ServiceObject[] {
  return [roleService(app, model, 'primary', ownerReferences, ports, leaderLabel), roleService(app, model, 'replica', ownerReferences, ports)];
}

/**
 * Patroni's own objects (Endpoints and Services of the same names): the leader lock
 * `patroni-<app>`, the dynamic config `-config` and the synchronous state `-sync`. Deleted on
 * leader election before the cluster is initialised, and on becoming an async standby.
 */
export function patroniDcsObjectNames(app: string): string[] {
  const base = clusterName(app);
  return [base, `${base}-config`, `${base}-sync`];
}

/** Endpoints deleted before a restore: the leader lock and the dynamic config. */
export function restoreDeletedEndpoints(app: string): string[] {
  const base = clusterName(app);
  return [base, `${base}-config`];
}

/** Patch restoring a lost `leader` annotation on Endpoints `patroni-<app>` (`fix_leader_annotation`). */
export function leaderAnnotationPatch(pod: string, resourceVersion?: string): { metadata: { annotations: { leader: string }; resourceVersion?: string } } {
  // With the resourceVersion read, the patch is a compare-and-swap: it fails with 409 if Patroni
  // wrote the Endpoints (took or renewed the lock) in between, instead of overwriting its lock.
  return { metadata: { annotations: { leader: pod }, ...(resourceVersion === undefined ? {} : { resourceVersion }) } };
}

/** Upgrade: let the StatefulSet roll pods from ordinal `partition` up. */
export function statefulSetPartitionPatch(partition: number): {
  spec: { updateStrategy: { rollingUpdate: { partition: number } } };
} {
  return { spec: { updateStrategy: { rollingUpdate: { partition } } } };
}

/**
 * On `stop`, the label selectors of the Endpoints and Services to hand to the StatefulSet: those
 * Juju made for the charm, and those Patroni made.
 */
export function adoptionSelectors(app: string): Record<string, string>[] {
  return [{ 'app.juju.is/created-by': app }, patroniPodLabels(app)];
}

/**
 * Whether a listed object should get pod `<app>-0`'s owner references: not the services Juju
 * and the charm already own (`<app>`, `<app>-endpoints`, `<app>-primary`, `<app>-replicas`), and
 * not what already has them.
 */
export function needsAdoption(
  app: string,
  object: { kind: string; name: string; ownerReferences?: readonly OwnerReference[] | undefined },
  pod0OwnerReferences: readonly OwnerReference[],
): boolean {
  const owned = [app, headlessServiceName(app), primaryServiceName(app), replicasServiceName(app)];
  if (object.kind === 'Service' && owned.includes(object.name)) return false;
  return !sameOwners(object.ownerReferences ?? [], pod0OwnerReferences);
}

function sameOwners(a: readonly OwnerReference[], b: readonly OwnerReference[]): boolean {
  const same = (x: OwnerReference, y: OwnerReference | undefined) =>
    y !== undefined && x.uid === y.uid && x.kind === y.kind && x.name === y.name;
  return a.length === b.length && a.every((reference, index) => same(reference, b[index]));
}
