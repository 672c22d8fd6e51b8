import type * as z from 'zod/mini';
import type { Logger } from '../logging.ts';
import { loadInClusterConfig, type InClusterOptions, type KubernetesConnection } from './config.ts';
import { KubernetesResponseError } from './errors.ts';
import { APPLY_PATCH, KubernetesTransport, MERGE_PATCH, type KubernetesRequest } from './http.ts';
import {
  apiVersionOf,
  isResourceKind,
  kubeListSchema,
  kubeObjectSchema,
  labelSelector,
  resourcePath,
  type KubeObject,
  type NamespacedKind,
  type ResourceKind,
} from './resources.ts';

export interface KubernetesClientOptions {
  timeoutMs?: number;
  logger?: Logger;
}

/** Per-call namespace override; the client's own namespace (the pod's) otherwise. */
export interface InNamespace {
  namespace?: string;
}

export interface ApplyOptions extends InNamespace {
  /** Who owns the applied fields; the charm uses its application name. */
  fieldManager: string;
  /** Take over fields another manager owns (the reference always forces). */
  force?: boolean;
}

/** The body an apply or create sends: kind and name at least (other fields pass through). */
export interface KubeManifest {
  readonly apiVersion?: string;
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly namespace?: string };
}

/**
 * A minimal client for the resources the charm manages, as the pod's service account.
 * Every call is one request; errors are the typed KubernetesError subclasses.
 */
export class KubernetesClient {
  readonly namespace: string;
  private readonly transport: KubernetesTransport;

  constructor(connection: KubernetesConnection, options: KubernetesClientOptions = {}) {
    this.namespace = connection.namespace;
    this.transport = new KubernetesTransport(connection, options);
  }

  /** A client from the pod's mounted service account (paths and address overridable). */
  static async inCluster(options: InClusterOptions & KubernetesClientOptions = {}): Promise<KubernetesClient> {
    return new KubernetesClient(await loadInClusterConfig(options), options);
  }

  async get(kind: ResourceKind, name: string, options: InNamespace = {}): Promise<KubeObject> {
    return this.object({ method: 'GET', path: this.path(kind, name, options) });
  }

  async getNode(name: string): Promise<KubeObject> {
    return this.get('Node', name);
  }

  /** Objects of a kind, optionally only those carrying every label given. */
  async list(kind: ResourceKind, options: InNamespace & { labels?: Readonly<Record<string, string>> } = {}): Promise<KubeObject[]> {
    const request: KubernetesRequest = { method: 'GET', path: this.path(kind, undefined, options) };
    if (options.labels !== undefined && Object.keys(options.labels).length > 0) request.query = { labelSelector: labelSelector(options.labels) };
    const list = validate(request, await this.transport.request(request), kubeListSchema);
    // List items come without kind/apiVersion: fill them in so each can be applied back as is.
    return (list.items ?? []).map((item) => ({ ...item, kind, apiVersion: apiVersionOf(kind) }));
  }

  async create(kind: NamespacedKind, body: KubeManifest, options: InNamespace = {}): Promise<KubeObject> {
    return this.object({ method: 'POST', path: this.path(kind, undefined, options), body: withType(kind, body) });
  }

  /** JSON merge patch (RFC 7386): maps merge, `null` deletes a key, lists are replaced. */
  async mergePatch(kind: ResourceKind, name: string, patch: unknown, options: InNamespace = {}): Promise<KubeObject> {
    return this.object({ method: 'PATCH', path: this.path(kind, name, options), body: patch, contentType: MERGE_PATCH });
  }

  /** Server-side apply of a whole manifest: creates it or updates the fields `fieldManager` owns. */
  async apply(body: KubeManifest, options: ApplyOptions): Promise<KubeObject> {
    const kind = body.kind;
    if (!isResourceKind(kind)) throw new TypeError(`cannot apply an object of kind ${JSON.stringify(kind)}`);
    const query: Record<string, string> = { fieldManager: options.fieldManager };
    if (options.force) query['force'] = 'true';
    const namespace = options.namespace ?? body.metadata.namespace;
    return this.object({
      method: 'PATCH',
      path: this.path(kind, body.metadata.name, namespace === undefined ? {} : { namespace }),
      query,
      body: withType(kind, body),
      contentType: APPLY_PATCH,
    });
  }

  /** Delete one object; a missing one is a KubernetesNotFoundError for the caller to judge. */
  async delete(kind: ResourceKind, name: string, options: InNamespace = {}): Promise<void> {
    await this.transport.request({ method: 'DELETE', path: this.path(kind, name, options) });
  }

  private path(kind: ResourceKind, name: string | undefined, options: InNamespace): string {
    return resourcePath(kind, { namespace: options.namespace ?? this.namespace, ...(name === undefined ? {} : { name }) });
  }

  private async object(request: KubernetesRequest): Promise<KubeObject> {
    return validate(request, await this.transport.request(request), kubeObjectSchema);
  }
}

function withType(kind: ResourceKind, body: KubeManifest): KubeManifest {
  return { ...body, apiVersion: body.apiVersion ?? apiVersionOf(kind), kind };
}

function validate<S extends z.ZodMiniType>(request: KubernetesRequest, value: unknown, schema: S): z.infer<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const described = `${request.method} ${request.path}`;
  const where = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`).join('; ');
  throw new KubernetesResponseError('k8s-bad-response', described, `unexpected answer to ${described}: ${where}`, { cause: parsed.error });
}
