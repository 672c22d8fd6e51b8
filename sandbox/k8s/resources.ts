/*
 * The core/v1 resources the stand-in serves, as the API server's discovery document lists them
 * (GET /api/v1, https://kubernetes.io/docs/reference/using-api/api-concepts/#resources and the
 * per-resource pages of https://kubernetes.io/docs/reference/kubernetes-api/).
 */

export interface ResourceType {
  /** URL segment and RBAC resource name: `pods`. */
  readonly plural: string;
  readonly singular: string;
  readonly kind: string;
  readonly namespaced: boolean;
  readonly shortNames: readonly string[];
  /** Delete answers with the object itself (pods), not a Success Status. */
  readonly deleteReturnsObject: boolean;
  /** PUT of a missing object creates it (endpoints do; most resources do not). */
  readonly createOnUpdate: boolean;
}

const ALL_VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'] as const;

export const RESOURCE_TYPES: Readonly<Record<string, ResourceType>> = {
  namespaces: { plural: 'namespaces', singular: 'namespace', kind: 'Namespace', namespaced: false, shortNames: ['ns'], deleteReturnsObject: true, createOnUpdate: false },
  nodes: { plural: 'nodes', singular: 'node', kind: 'Node', namespaced: false, shortNames: ['no'], deleteReturnsObject: false, createOnUpdate: false },
  pods: { plural: 'pods', singular: 'pod', kind: 'Pod', namespaced: true, shortNames: ['po'], deleteReturnsObject: true, createOnUpdate: false },
  services: { plural: 'services', singular: 'service', kind: 'Service', namespaced: true, shortNames: ['svc'], deleteReturnsObject: true, createOnUpdate: false },
  endpoints: { plural: 'endpoints', singular: 'endpoints', kind: 'Endpoints', namespaced: true, shortNames: ['ep'], deleteReturnsObject: false, createOnUpdate: true },
  configmaps: { plural: 'configmaps', singular: 'configmap', kind: 'ConfigMap', namespaced: true, shortNames: ['cm'], deleteReturnsObject: false, createOnUpdate: false },
};

export function resourceType(plural: string): ResourceType | undefined {
  return Object.hasOwn(RESOURCE_TYPES, plural) ? RESOURCE_TYPES[plural] : undefined;
}

/** `GET /api/v1`: an APIResourceList. */
export function apiResourceList(): Record<string, unknown> {
  return {
    kind: 'APIResourceList',
    groupVersion: 'v1',
    resources: Object.values(RESOURCE_TYPES).map((type) => ({
      name: type.plural,
      singularName: type.singular,
      namespaced: type.namespaced,
      kind: type.kind,
      verbs: type.plural === 'namespaces' || type.plural === 'nodes' ? ALL_VERBS.filter((v) => v !== 'deletecollection') : [...ALL_VERBS],
      shortNames: [...type.shortNames],
    })),
  };
}
