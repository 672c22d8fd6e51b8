import type { Logger } from '../logging.ts';
import { clusterName } from '../workload/names.ts';
import {
  adoptionSelectors,
  leaderAnnotationPatch,
  needsAdoption,
  patroniDcsObjectNames,
  podLabelPatch,
  roleServices,
  type OwnerReference,
} from '../workload/k8s-objects.ts';
import type { MemberPorts } from '../workload/users.ts';
import type { KubernetesClient } from './client.ts';
import { errorCode } from '../errors.ts';
import { isKubernetesNotFound, KubernetesConflictError, KubernetesForbiddenError } from './errors.ts';
import type { KubeObject, ResourceKind } from './resources.ts';

/** The client calls these operations make (a KubernetesClient). */
export type KubernetesApi = Pick<KubernetesClient, 'namespace' | 'get' | 'list' | 'mergePatch' | 'apply' | 'delete'>;

/** What `adoptCreatedObjects` did, as `Kind/name`. */
export interface AdoptionResult {
  adopted: string[];
  failed: string[];
}

/** What `fixLeaderAnnotation` found: the caller forgets `cluster_initialised` on `patched`. */
export type LeaderAnnotationOutcome = 'present' | 'patched' | 'absent';

/**
 * The Kubernetes side effects of the charm (reference charm: `src/charm.py` `_create_services`,
 * `_patch_pod_labels`, `_fix_pod`, `_cleanup_old_cluster_resources`), built on the pure bodies of
 * `src/workload/k8s-objects.ts`. A 403 always propagates as KubernetesForbiddenError so the caller
 * can show "Insufficient permissions, try: `juju trust <app> --scope=cluster`".
 */
export class KubernetesObjects {
  readonly app: string;
  readonly namespace: string;
  private readonly api: KubernetesApi;
  private readonly logger: Logger | undefined;
  private readonly ports: MemberPorts | undefined;

  constructor(api: KubernetesApi, options: { app: string; namespace?: string; logger?: Logger; ports?: MemberPorts }) {
    this.api = api;
    this.app = options.app;
    this.namespace = options.namespace ?? api.namespace;
    this.logger = options.logger;
    this.ports = options.ports;
  }

  /** Pod `<app>-0`'s owner references (the StatefulSet): what the charm's own objects are owned by. */
  async statefulSetOwnerReferences(): Promise<OwnerReference[]> {
    const pod = await this.api.get('Pod', `${this.app}-0`, { namespace: this.namespace });
    return (pod.metadata.ownerReferences ?? []).map(toOwnerReference);
  }

  /**
   * Server-side apply `<app>-primary` and `<app>-replicas` with force and field manager `<app>`:
   * idempotent, so it runs on every reconcile and repairs a hand-edited service.
   */
  async ensureRoleServices(leaderLabel?: string): Promise<void> {
    const owners = await this.statefulSetOwnerReferences();
    for (const service of roleServices(this.app, this.namespace, owners, this.ports, leaderLabel)) {
      await this.api.apply(service, { fieldManager: this.app, force: true, namespace: this.namespace });
    }
    this.logger?.debug({ app: this.app }, 'role services applied');
  }

  /** Label this unit's pod so Patroni counts it as a member (must happen before Patroni starts). */
  async patchPodLabels(pod: string): Promise<void> {
    await this.api.mergePatch('Pod', pod, podLabelPatch(this.app), { namespace: this.namespace });
  }

  /**
   * Delete the Endpoints and Services Patroni keeps its state in (`patroni-<app>`, `-config`,
   * `-sync`), so a new cluster does not inherit an old leader lock or config. Missing ones are
   * fine; returns what was deleted as `Kind/name`.
   */
  async deletePatroniDcsObjects(
    options: { names?: readonly string[]; kinds?: readonly ResourceKind[] } = {},
  ): Promise<string[]> {
    const names = options.names ?? patroniDcsObjectNames(this.app);
    const kinds = options.kinds ?? (['Endpoints', 'Service'] as const);
    const deleted: string[] = [];
    for (const name of names) {
      for (const kind of kinds) {
        try {
          await this.api.delete(kind, name, { namespace: this.namespace });
          deleted.push(`${kind}/${name}`);
        } catch (error) {
          if (!isKubernetesNotFound(error)) throw error;
        }
      }
    }
    if (deleted.length > 0) this.logger?.info({ deleted }, 'deleted old Patroni cluster objects');
    return deleted;
  }

  /**
   * Patroni's leader lock lives in the `leader` annotation of Endpoints `patroni-<app>`; if
   * something stripped it, give the lock back to `leaderPod`. `absent` when the Endpoints do not
   * exist yet (Patroni has not bootstrapped): nothing to repair.
   */
  async fixLeaderAnnotation(leaderPod: string): Promise<LeaderAnnotationOutcome> {
    const name = clusterName(this.app);
    let endpoints: KubeObject;
    try {
      endpoints = await this.api.get('Endpoints', name, { namespace: this.namespace });
    } catch (error) {
      if (isKubernetesNotFound(error)) return 'absent';
      throw error;
    }
    if (endpoints.metadata.annotations?.['leader'] !== undefined) return 'present';
    try {
      await this.api.mergePatch('Endpoints', name, leaderAnnotationPatch(leaderPod, endpoints.metadata.resourceVersion), { namespace: this.namespace });
    } catch (error) {
      // Patroni wrote the Endpoints since we read them: its own lock stands.
      if (error instanceof KubernetesConflictError) return 'present';
      throw error;
    }
    this.logger?.warn({ endpoints: name, leader: leaderPod }, 'restored the missing leader annotation');
    return 'patched';
  }

  /**
   * On `stop`: give the Endpoints and Services that Juju made for the charm and that Patroni made
   * pod `<app>-0`'s owner references, so Kubernetes deletes them with the StatefulSet. The
   * reference server-side applies each whole object; a merge patch of `ownerReferences` (a list,
   * so replaced as a whole) has the same effect without re-sending fields we do not own.
   * One object failing does not stop the others; a 403 stops everything.
   */
  async adoptCreatedObjects(): Promise<AdoptionResult> {
    const owners = await this.statefulSetOwnerReferences();
    const result: AdoptionResult = { adopted: [], failed: [] };
    if (owners.length === 0) return result;
    // An object can match both selectors: key by kind and name so it is patched once.
    const candidates = new Map<string, { kind: 'Endpoints' | 'Service'; object: KubeObject }>();
    for (const kind of ['Endpoints', 'Service'] as const) {
      for (const labels of adoptionSelectors(this.app)) {
        for (const object of await this.api.list(kind, { namespace: this.namespace, labels })) {
          candidates.set(`${kind}/${object.metadata.name}`, { kind, object });
        }
      }
    }
    for (const [id, { kind, object }] of candidates) {
      const name = object.metadata.name;
      if (!needsAdoption(this.app, { kind, name, ownerReferences: object.metadata.ownerReferences }, owners)) continue;
      try {
        await this.api.mergePatch(kind, name, { metadata: { ownerReferences: owners } }, { namespace: this.namespace });
        result.adopted.push(id);
      } catch (error) {
        if (error instanceof KubernetesForbiddenError) throw error;
        this.logger?.warn({ object: id, code: errorCode(error) }, `failed to patch k8s ${kind} ${name}`);
        result.failed.push(id);
      }
    }
    return result;
  }
}

function toOwnerReference(reference: OwnerReference): OwnerReference {
  const { apiVersion, kind, name, uid, controller, blockOwnerDeletion } = reference;
  return {
    apiVersion,
    kind,
    name,
    uid,
    ...(controller === undefined ? {} : { controller }),
    ...(blockOwnerDeletion === undefined ? {} : { blockOwnerDeletion }),
  };
}
