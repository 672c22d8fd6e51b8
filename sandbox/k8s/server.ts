import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync, existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { createLogger, type Logger } from '../../src/logging.ts';
import { Authorizer, type AuthSnapshot, type Identity, type Verb } from './auth.ts';
import { ApiStatusError, KubeStandInError, methodNotAllowed, successStatus, unsupportedMediaType } from './errors.ts';
import { isObject, type Json, type JsonObject } from './patch.ts';
import { apiResourceList, resourceType, type ResourceType } from './resources.ts';
import { APPLY_PATCH, KubeStore, MERGE_PATCH, PATCH_TYPES, type StoreSnapshot } from './store.ts';
import { makeCa, makeServerCertificate, type TlsMaterial } from './tls.ts';
import { isDryRun, isTrue, listBody, notFoundPath, parseTarget, readJson, readOptionalJson, readYaml, selectorsOf, sendJson, type Target } from './http-io.ts';
import { serveWatch } from './watch.ts';

/*
 * A Kubernetes API server stand-in for the sandbox: core/v1 namespaces, pods, nodes, services,
 * endpoints and configmaps over HTTPS, with bearer-token service accounts, enough RBAC to tell a
 * trusted charm from an untrusted one, and watches. The REST shapes follow "API concepts"
 * (https://kubernetes.io/docs/reference/using-api/api-concepts/) and the API reference
 * (https://kubernetes.io/docs/reference/kubernetes-api/); what Patroni's Kubernetes DCS sends is in
 * patroni/dcs/kubernetes.py (Patroni 3.0), what the charm sends in src/k8s/.
 */

export const KUBERNETES_VERSION = { major: '1', minor: '29', gitVersion: 'v1.29.0-sandbox', platform: 'linux/amd64' } as const;

export interface KubeApiServerOptions {
  /** Address to listen on (default 127.0.0.1). */
  host?: string;
  /** Port (default 0: any free port). */
  port?: number;
  /** Addresses clients use (certificate SANs, the `kubernetes` Endpoints); default [host]. */
  advertise?: readonly string[];
  /** The model's namespace: created at start, and the default for tokenFor/trust/registerPod. */
  namespace?: string;
  /** Keeps the CA and the objects here (state.json) so a restarted server resumes. */
  stateDir?: string;
  /** Watch event history (default 1000 events). */
  historySize?: number;
  /** Interval of BOOKMARK events on watches that allow them (default 60 s). */
  bookmarkIntervalMs?: number;
  logger?: Logger;
}

export interface PodRegistration {
  name: string;
  namespace?: string;
  ip: string;
  labels?: Readonly<Record<string, string>>;
  annotations?: Readonly<Record<string, string>>;
  nodeName?: string;
  /** Juju application: adds `app.kubernetes.io/name` and a StatefulSet `<app>` owner reference. */
  app?: string;
  ownerReferences?: readonly JsonObject[];
  containers?: readonly string[];
  ready?: boolean;
}

interface PersistedState {
  store: StoreSnapshot;
  auth: AuthSnapshot;
}


export class KubeApiServer {
  readonly store: KubeStore;
  readonly auth: Authorizer;
  readonly namespace: string;
  readonly tls: TlsMaterial;
  private readonly server: https.Server;
  private readonly logger: Logger;
  private readonly stateFile: string | undefined;
  private readonly bookmarkIntervalMs: number;
  private readonly watches = new Set<() => void>();
  private advertised: string[];
  private saveTimer: NodeJS.Timeout | undefined;
  private listenPort = 0;

  private constructor(options: KubeApiServerOptions, tls: TlsMaterial, persisted: PersistedState | undefined) {
    this.namespace = options.namespace ?? 'default';
    this.tls = tls;
    this.logger = options.logger ?? createLogger({ base: { component: 'k8s-standin' } });
    this.stateFile = options.stateDir === undefined ? undefined : path.join(options.stateDir, 'state.json');
    this.bookmarkIntervalMs = options.bookmarkIntervalMs ?? 60_000;
    this.advertised = [...(options.advertise ?? [options.host ?? '127.0.0.1'])];
    this.store = new KubeStore({ ...(options.historySize === undefined ? {} : { historySize: options.historySize }) });
    this.auth = new Authorizer();
    if (persisted !== undefined) {
      this.store.restore(persisted.store);
      this.auth.restore(persisted.auth);
    }
    this.store.onChange(() => this.scheduleSave());
    this.server = https.createServer({ cert: tls.certPem, key: tls.keyPem, ca: tls.caPem }, (req, res) => this.handle(req, res));
    // Patroni keeps a urllib3 pool of keep-alive connections; do not close them under it.
    this.server.keepAliveTimeout = 120_000;
    this.server.headersTimeout = 125_000;
    this.server.requestTimeout = 0;
  }

  /** Make (or reload from `stateDir`) the CA, certificate and objects, and listen. */
  static async start(options: KubeApiServerOptions = {}): Promise<KubeApiServer> {
    const host = options.host ?? '127.0.0.1';
    const hosts = [...new Set([host, ...(options.advertise ?? [])])];
    let ca: { caPem: string; caKeyPem: string };
    let persisted: PersistedState | undefined;
    if (options.stateDir !== undefined) {
      mkdirSync(options.stateDir, { recursive: true, mode: 0o700 });
      const caFile = path.join(options.stateDir, 'ca.crt');
      const caKeyFile = path.join(options.stateDir, 'ca.key');
      if (existsSync(caFile) && existsSync(caKeyFile)) {
        ca = { caPem: readFileSync(caFile, 'utf8'), caKeyPem: readFileSync(caKeyFile, 'utf8') };
      } else {
        ca = await makeCa();
        writeFileSync(caKeyFile, ca.caKeyPem, { mode: 0o600 });
        writeFileSync(caFile, ca.caPem);
      }
      const stateFile = path.join(options.stateDir, 'state.json');
      if (existsSync(stateFile)) {
        try {
          persisted = JSON.parse(readFileSync(stateFile, 'utf8')) as PersistedState;
        } catch (cause) {
          throw new KubeStandInError('k8s-standin-state', `cannot read the Kubernetes stand-in state ${stateFile}`, { cause });
        }
      }
    } else {
      ca = await makeCa();
    }
    const tls = { ...ca, ...(await makeServerCertificate(ca, hosts)) };
    const server = new KubeApiServer(options, tls, persisted);
    await server.listen(host, options.port ?? 0);
    server.bootstrap();
    return server;
  }

  get port(): number {
    return this.listenPort;
  }

  /** `https://<first advertised address>:<port>`. */
  get url(): string {
    const host = this.advertised[0] ?? '127.0.0.1';
    return `https://${host.includes(':') ? `[${host}]` : host}:${this.listenPort}`;
  }

  /** Watches being streamed now. */
  get activeWatches(): number {
    return this.watches.size;
  }

  get caPem(): string {
    return this.tls.caPem;
  }

  /** The environment a pod's processes get: `KUBERNETES_SERVICE_HOST`/`_PORT` (and `_PORT_HTTPS`). */
  serviceEnv(): Record<string, string> {
    const host = this.advertised[0] ?? '127.0.0.1';
    return { KUBERNETES_SERVICE_HOST: host, KUBERNETES_SERVICE_PORT: String(this.listenPort), KUBERNETES_SERVICE_PORT_HTTPS: String(this.listenPort) };
  }

  tokenFor(app: string, namespace = this.namespace): string {
    const token = this.auth.tokenFor(app, namespace);
    this.scheduleSave();
    return token;
  }

  trust(app: string, namespace = this.namespace): void {
    this.auth.trust(app, namespace);
    this.scheduleSave();
  }

  untrust(app: string, namespace = this.namespace): void {
    this.auth.untrust(app, namespace);
    this.scheduleSave();
  }

  /** Write `token`, `ca.crt` and `namespace` into `dir` (a pod's /var/run/secrets/kubernetes.io/serviceaccount). */
  async writeServiceAccount(dir: string, app: string, namespace = this.namespace): Promise<void> {
    await mkdir(dir, { recursive: true });
    await writeFile(path.join(dir, 'token'), this.tokenFor(app, namespace), { mode: 0o600 });
    await writeFile(path.join(dir, 'ca.crt'), this.caPem);
    await writeFile(path.join(dir, 'namespace'), namespace);
  }

  ensureNamespace(name: string): void {
    if (!this.store.exists('namespaces', undefined, name)) this.store.create('namespaces', undefined, { metadata: { name } });
  }

  registerNode(name: string, ip?: string): void {
    if (this.store.exists('nodes', undefined, name)) return;
    this.store.create('nodes', undefined, {
      metadata: { name, labels: { 'kubernetes.io/hostname': name, 'kubernetes.io/os': 'linux' } },
      spec: {},
      status: {
        addresses: [...(ip === undefined ? [] : [{ type: 'InternalIP', address: ip }]), { type: 'Hostname', address: name }],
        conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady' }],
      },
    });
  }

  /**
   * Add (or refresh, keeping the labels and annotations others set, e.g. Patroni's `role` and
   * `status`) a pod the sandbox runs. Returns the stored object.
   */
  registerPod(pod: PodRegistration): JsonObject {
    const namespace = pod.namespace ?? this.namespace;
    this.ensureNamespace(namespace);
    const nodeName = pod.nodeName ?? 'sandbox';
    this.registerNode(nodeName);
    const labels: Record<string, string> = { ...(pod.app === undefined ? {} : { 'app.kubernetes.io/name': pod.app }), ...pod.labels };
    const ownerReferences = pod.ownerReferences ?? (pod.app === undefined ? [] : [statefulSetOwner(namespace, pod.app)]);
    const status: JsonObject = {
      phase: 'Running',
      podIP: pod.ip,
      podIPs: [{ ip: pod.ip }],
      conditions: [{ type: 'Ready', status: pod.ready === false ? 'False' : 'True' }],
    };
    const spec: JsonObject = {
      nodeName,
      hostname: pod.name,
      ...(pod.app === undefined ? {} : { subdomain: `${pod.app}-endpoints`, serviceAccountName: pod.app }),
      containers: (pod.containers ?? []).map((name) => ({ name })),
    };
    if (!this.store.exists('pods', namespace, pod.name)) {
      return this.store.create('pods', namespace, {
        metadata: { name: pod.name, labels, ...(pod.annotations === undefined ? {} : { annotations: { ...pod.annotations } }), ownerReferences: [...ownerReferences] },
        spec,
        status,
      });
    }
    return this.store.patch('pods', namespace, pod.name, MERGE_PATCH, {
      metadata: { labels, ...(pod.annotations === undefined ? {} : { annotations: { ...pod.annotations } }), ownerReferences: [...ownerReferences] as Json[] },
      spec,
      status,
    }).object;
  }

  /**
   * The two Services Juju makes for a sidecar application: `<app>` (ClusterIP, Juju's
   * `placeholder` port 65535) and the headless `<app>-endpoints` that gives every pod its DNS name
   * (publishNotReadyAddresses). Both select `app.kubernetes.io/name: <app>`. Idempotent.
   */
  registerApplication(app: string, namespace = this.namespace): void {
    this.ensureNamespace(namespace);
    const labels = { 'app.kubernetes.io/name': app, 'app.kubernetes.io/managed-by': 'juju' };
    const selector = { 'app.kubernetes.io/name': app };
    if (!this.store.exists('services', namespace, app)) {
      this.store.create('services', namespace, {
        metadata: { name: app, labels },
        spec: { selector, ports: [{ name: 'placeholder', port: 65535, targetPort: 65535, protocol: 'TCP' }] },
      });
    }
    if (!this.store.exists('services', namespace, `${app}-endpoints`)) {
      this.store.create('services', namespace, {
        metadata: { name: `${app}-endpoints`, labels },
        spec: { clusterIP: 'None', publishNotReadyAddresses: true, selector },
      });
    }
  }

  unregisterPod(name: string, namespace = this.namespace): void {
    if (this.store.exists('pods', namespace, name)) this.store.delete('pods', namespace, name);
  }

  /** The ready pod IPs behind a Service (its Endpoints), for DNS. */
  serviceAddresses(name: string, namespace = this.namespace): string[] {
    if (!this.store.exists('endpoints', namespace, name)) return [];
    const endpoints = this.store.get('endpoints', namespace, name);
    const subsets = Array.isArray(endpoints['subsets']) ? endpoints['subsets'] : [];
    return subsets.flatMap((subset) =>
      isObject(subset) && Array.isArray(subset['addresses'])
        ? subset['addresses'].flatMap((a) => (isObject(a) && typeof a['ip'] === 'string' ? [a['ip']] : []))
        : [],
    );
  }

  async close(): Promise<void> {
    for (const stop of [...this.watches]) stop();
    this.saveNow();
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  // ---- lifecycle ----

  private listen(host: string, port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        this.listenPort = (this.server.address() as AddressInfo).port;
        resolve();
      });
    });
  }

  /** The namespaces every cluster has, and the `kubernetes` Service and Endpoints in `default`. */
  private bootstrap(): void {
    for (const ns of ['default', 'kube-system', 'kube-public', this.namespace]) this.ensureNamespace(ns);
    const ports = [{ name: 'https', port: this.listenPort, protocol: 'TCP' }];
    const subsets = [{ addresses: this.advertised.map((ip) => ({ ip })), ports }];
    if (!this.store.exists('services', 'default', 'kubernetes')) {
      this.store.create('services', 'default', {
        metadata: { name: 'kubernetes', labels: { component: 'apiserver', provider: 'kubernetes' } },
        spec: { ports: [{ name: 'https', port: 443, targetPort: this.listenPort, protocol: 'TCP' }] },
      });
    }
    if (this.store.exists('endpoints', 'default', 'kubernetes')) {
      this.store.patch('endpoints', 'default', 'kubernetes', MERGE_PATCH, { subsets });
    } else {
      this.store.create('endpoints', 'default', { metadata: { name: 'kubernetes' }, subsets });
    }
  }

  /**
   * Changes the sandbox makes itself (pods, trust) are saved within 20 ms. A client's write is
   * saved before it is answered (saveNow in `route`), as the API server answers once etcd has
   * it: a stand-in killed after answering must not come back without the write and then give
   * its resourceVersion to another one, or a compare-and-swap holding the lost version (Patroni's
   * leader lock) would succeed against an object its client never saw.
   */
  private scheduleSave(): void {
    if (this.stateFile === undefined || this.saveTimer !== undefined) return;
    this.saveTimer = setTimeout(() => this.saveNow(), 20);
    this.saveTimer.unref();
  }

  private saveNow(): void {
    if (this.saveTimer !== undefined) clearTimeout(this.saveTimer);
    this.saveTimer = undefined;
    if (this.stateFile === undefined) return;
    const state: PersistedState = { store: this.store.snapshot(), auth: this.auth.snapshot() };
    try {
      const temporary = `${this.stateFile}.tmp`;
      writeFileSync(temporary, JSON.stringify(state), { mode: 0o600 });
      renameSync(temporary, this.stateFile);
    } catch (error) {
      this.logger.error({ err: error, file: this.stateFile }, 'cannot save the Kubernetes stand-in state');
    }
  }

  // ---- requests ----

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const started = Date.now();
    this.route(req, res)
      .catch((error: unknown) => {
        const status = error instanceof ApiStatusError ? error : new ApiStatusError(500, 'InternalError', `Internal error occurred: ${error instanceof Error ? error.message : String(error)}`);
        if (!(error instanceof ApiStatusError)) this.logger.error({ err: error, method: req.method, url: req.url }, 'kubernetes stand-in request failed');
        if (!res.headersSent) sendJson(res, status.status, status.toStatus());
        else res.end();
      })
      .finally(() => {
        this.logger.debug({ method: req.method, url: req.url, status: res.statusCode, ms: Date.now() - started }, 'kubernetes request');
      });
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'https://stand-in');
    const parts = url.pathname.split('/').filter((p) => p !== '').map(decodeURIComponent);
    const method = req.method ?? 'GET';

    // Public information (system:public-info-viewer): version and health, no token needed.
    if (method === 'GET' && parts.length === 1 && ['version', 'healthz', 'livez', 'readyz'].includes(parts[0]!)) {
      if (parts[0] === 'version') return sendJson(res, 200, { ...KUBERNETES_VERSION, goVersion: 'go1.21', compiler: 'gc', buildDate: '2024-01-01T00:00:00Z', gitCommit: 'sandbox', gitTreeState: 'clean' });
      res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
      return void res.end('ok');
    }
    const identity = this.auth.authenticate(req.headers.authorization);

    if (method === 'GET' && parts.length === 1 && parts[0] === 'api') {
      return sendJson(res, 200, {
        kind: 'APIVersions',
        versions: ['v1'],
        serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: `${this.advertised[0] ?? '127.0.0.1'}:${this.listenPort}` }],
      });
    }
    if (method === 'GET' && parts.length === 1 && parts[0] === 'apis') return sendJson(res, 200, { kind: 'APIGroupList', apiVersion: 'v1', groups: [] });
    if (method === 'GET' && parts.length === 2 && parts[0] === 'api' && parts[1] === 'v1') return sendJson(res, 200, apiResourceList());
    if (parts[0] !== 'api' || parts[1] !== 'v1') throw notFoundPath();

    let rest = parts.slice(2);
    let legacyWatch = false;
    if (rest[0] === 'watch') {
      legacyWatch = true;
      rest = rest.slice(1);
    }
    const target = parseTarget(rest);
    const type = resourceType(target.plural);
    if (type === undefined) throw notFoundPath();
    if (target.namespace !== undefined && !type.namespaced) throw notFoundPath();
    if (target.namespace === undefined && type.namespaced && target.name !== undefined) throw notFoundPath();
    const query = url.searchParams;
    const watch = legacyWatch || isTrue(query.get('watch'));

    switch (method) {
      case 'GET': {
        if (watch) {
          this.check(identity, 'watch', type, target);
          return serveWatch(res, { store: this.store, bookmarkIntervalMs: this.bookmarkIntervalMs, watches: this.watches }, type, target, query);
        }
        if (target.name !== undefined) {
          this.check(identity, 'get', type, target);
          return sendJson(res, 200, this.store.get(type.plural, target.namespace, target.name));
        }
        this.check(identity, 'list', type, target);
        const list = this.store.list(type.plural, target.namespace, selectorsOf(query));
        return sendJson(res, 200, listBody(type, list.items, list.resourceVersion));
      }
      case 'POST': {
        if (target.name !== undefined) throw methodNotAllowed();
        this.check(identity, 'create', type, target);
        const body = await readJson(req);
        if (isDryRun(query)) return sendJson(res, 201, body);
        const created = this.store.create(type.plural, target.namespace, body);
        this.saveNow();
        return sendJson(res, 201, created);
      }
      case 'PUT': {
        if (target.name === undefined) throw methodNotAllowed();
        this.check(identity, 'update', type, target);
        const body = await readJson(req);
        const result = this.store.update(type.plural, target.namespace, target.name, body);
        this.saveNow();
        return sendJson(res, result.created ? 201 : 200, result.object);
      }
      case 'PATCH': {
        if (target.name === undefined) throw methodNotAllowed();
        this.check(identity, 'patch', type, target);
        const contentType = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
        if (!(PATCH_TYPES as readonly string[]).includes(contentType)) throw unsupportedMediaType(contentType, PATCH_TYPES);
        const body = contentType === APPLY_PATCH ? await readYaml(req) : await readJson(req);
        const fieldManager = query.get('fieldManager') ?? undefined;
        const result = this.store.patch(type.plural, target.namespace, target.name, contentType, body, {
          ...(fieldManager === undefined ? {} : { fieldManager }),
          force: isTrue(query.get('force')),
        });
        this.saveNow();
        return sendJson(res, result.created ? 201 : 200, result.object);
      }
      case 'DELETE': {
        const options = await readOptionalJson(req);
        if (target.name === undefined) {
          if (!type.namespaced || target.namespace === undefined) throw methodNotAllowed();
          this.check(identity, 'deletecollection', type, target);
          const deleted = this.store.deleteCollection(type.plural, target.namespace, selectorsOf(query));
          this.saveNow();
          return sendJson(res, 200, listBody(type, deleted, this.store.resourceVersion));
        }
        this.check(identity, 'delete', type, target);
        const preconditions = isObject(options) && isObject(options['preconditions']) ? options['preconditions'] : {};
        const object = this.store.delete(type.plural, target.namespace, target.name, {
          ...(typeof preconditions['uid'] === 'string' ? { uid: preconditions['uid'] } : {}),
          ...(typeof preconditions['resourceVersion'] === 'string' ? { resourceVersion: preconditions['resourceVersion'] } : {}),
        });
        this.saveNow();
        if (type.deleteReturnsObject) return sendJson(res, 200, object);
        const metadata = object['metadata'] as JsonObject;
        return sendJson(res, 200, successStatus(type.plural, target.name, metadata['uid'] as string | undefined));
      }
      default:
        throw methodNotAllowed();
    }
  }

  private check(identity: Identity, verb: Verb, type: ResourceType, target: Target): void {
    const denied = this.auth.authorize(identity, verb, type.plural, target.name, type.namespaced ? target.namespace : undefined);
    if (denied !== undefined) {
      this.logger.debug({ user: identity.user, verb, resource: type.plural, name: target.name, namespace: target.namespace }, 'forbidden');
      throw denied;
    }
  }
}

/** The owner reference of StatefulSet `<app>`, with a uid stable per namespace and app. */
export function statefulSetOwner(namespace: string, app: string): JsonObject {
  const hex = createHash('sha256').update(`statefulset/${namespace}/${app}`).digest('hex');
  const uid = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
  return { apiVersion: 'apps/v1', kind: 'StatefulSet', name: app, uid, controller: true, blockOwnerDeletion: true };
}

