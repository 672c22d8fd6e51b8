import * as z from 'zod/mini';
import '../zod-setup.ts';

/*
 * The few resource kinds the charm touches, and their REST paths. A table rather than a general
 * discovery client: the charm's RBAC needs are fixed, and each path is visible here.
 */

export type NamespacedKind = 'Service' | 'Endpoints' | 'Pod' | 'StatefulSet';
export type ClusterKind = 'Node';
export type ResourceKind = NamespacedKind | ClusterKind;

interface ResourceInfo {
  /** `api/v1` (core) or `apis/<group>/<version>`. */
  readonly prefix: string;
  readonly apiVersion: string;
  readonly plural: string;
  readonly namespaced: boolean;
}

const RESOURCES: Readonly<Record<ResourceKind, ResourceInfo>> = {
  Service: { prefix: 'api/v1', apiVersion: 'v1', plural: 'services', namespaced: true },
  Endpoints: { prefix: 'api/v1', apiVersion: 'v1', plural: 'endpoints', namespaced: true },
  Pod: { prefix: 'api/v1', apiVersion: 'v1', plural: 'pods', namespaced: true },
  StatefulSet: { prefix: 'apis/apps/v1', apiVersion: 'apps/v1', plural: 'statefulsets', namespaced: true },
  Node: { prefix: 'api/v1', apiVersion: 'v1', plural: 'nodes', namespaced: false },
};

export function apiVersionOf(kind: ResourceKind): string {
  return RESOURCES[kind].apiVersion;
}

export function isResourceKind(kind: string): kind is ResourceKind {
  return Object.hasOwn(RESOURCES, kind);
}

/** `/api/v1/namespaces/<ns>/services[/<name>]` or `/api/v1/nodes[/<name>]`. */
export function resourcePath(kind: ResourceKind, where: { namespace?: string; name?: string }): string {
  const info = RESOURCES[kind];
  const scope = info.namespaced ? `/namespaces/${segment(required(where.namespace, kind))}` : '';
  const name = where.name === undefined ? '' : `/${segment(where.name)}`;
  return `/${info.prefix}${scope}/${info.plural}${name}`;
}

/** `a=b,c=d` from equality requirements (what every charm selector is). */
export function labelSelector(labels: Readonly<Record<string, string>>): string {
  return Object.entries(labels)
    .map(([key, value]) => `${key}=${value}`)
    .join(',');
}

function required(namespace: string | undefined, kind: string): string {
  if (!namespace) throw new TypeError(`${kind} is namespaced: a namespace is required`);
  return namespace;
}

/** Object names are DNS labels/subdomains, but never trust a caller with a path separator. */
function segment(value: string): string {
  if (value === '' || value.includes('/')) throw new TypeError(`not a valid object name or namespace: ${JSON.stringify(value)}`);
  return encodeURIComponent(value);
}

export const ownerReferenceSchema = z.looseObject({
  apiVersion: z.string(),
  kind: z.string(),
  name: z.string(),
  uid: z.string(),
  controller: z.optional(z.boolean()),
  blockOwnerDeletion: z.optional(z.boolean()),
});

/** Any Kubernetes object: the metadata the charm reads is typed, the rest passes through. */
export const kubeObjectSchema = z.looseObject({
  apiVersion: z.optional(z.string()),
  kind: z.optional(z.string()),
  metadata: z.looseObject({
    name: z.string(),
    namespace: z.optional(z.string()),
    uid: z.optional(z.string()),
    resourceVersion: z.optional(z.string()),
    labels: z.optional(z.record(z.string(), z.string())),
    annotations: z.optional(z.record(z.string(), z.string())),
    ownerReferences: z.optional(z.array(ownerReferenceSchema)),
  }),
});
export type KubeObject = z.infer<typeof kubeObjectSchema>;

export const kubeListSchema = z.looseObject({
  items: z.optional(z.nullable(z.array(kubeObjectSchema))),
});
