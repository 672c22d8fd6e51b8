import { chmod } from 'node:fs/promises';
import path from 'node:path';
import { errorMessage } from '../../src/errors.ts';
import type { Logger } from '../../src/logging.ts';
import { KubeApiServer } from '../k8s/index.ts';
import { isObject, type JsonObject } from '../k8s/patch.ts';
import { type HostsEntry, type Pod, podPath, updateHosts } from '../pods/index.ts';
import { bridgeAddress, parseSubnet } from '../pods/subnet.ts';
import type { ModelCluster, ServiceStatus } from '../controller/runtime.ts';
import type { PodCluster } from './pod-runtime.ts';

/**
 * The sandbox's Kubernetes control plane with `--dcs kubernetes`: the API stand-in (sandbox/k8s)
 * inside the daemon, listening on the bridge address (the one host address every pod reaches)
 * at 443, the port of the `kubernetes` Service in a real cluster. Its CA, tokens, trust and
 * objects live in `<state>/k8s`, so a new daemon serves the same cluster again (same CA, same
 * tokens) before any hook or Pebble needs it. Cluster DNS is the pods' shared /etc/hosts:
 * `ServiceDns` keeps one line per Service there.
 */

/** Where a pod's processes find their service account (https://kubernetes.io/docs/tasks/run-application/access-api-from-pod/). */
export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';
/** The same directory as a pod path: /var/run is a link to /run, and pod paths must not cross links. */
export const SERVICE_ACCOUNT_POD_PATH = '/run/secrets/kubernetes.io/serviceaccount';
export const KUBE_API_PORT = 443;
/** The cluster domain every Kubernetes distribution defaults to. */
export const CLUSTER_DOMAIN = 'cluster.local';

export type DcsKind = 'kubernetes' | 'etcd';
export const DCS_KINDS: readonly DcsKind[] = ['kubernetes', 'etcd'];

/**
 * What every container of a pod finds in its environment with `--dcs kubernetes` (and what a
 * `kubectl exec` into it, the sandbox's `ssh`, has too): the API server's address and port.
 * Nothing with etcd, or before the sandbox has its subnet.
 */
export function kubeServiceEnv(settings: { dcs: DcsKind; subnet: string | null }): Record<string, string> {
  if (settings.dcs !== 'kubernetes' || settings.subnet === null) return {};
  return { KUBERNETES_SERVICE_HOST: bridgeAddress(parseSubnet(settings.subnet)), KUBERNETES_SERVICE_PORT: String(KUBE_API_PORT) };
}

export function kubeStateDir(stateDir: string): string {
  return path.join(stateDir, 'k8s');
}

export async function startKubeApi(options: { stateDir: string; host: string; namespace: string; logger: Logger; port?: number }): Promise<KubeApiServer> {
  const server = await KubeApiServer.start({
    host: options.host,
    port: options.port ?? KUBE_API_PORT,
    namespace: options.namespace,
    stateDir: kubeStateDir(options.stateDir),
    logger: options.logger.child({ component: 'k8s-standin' }),
  });
  options.logger.info({ url: server.url, namespace: options.namespace }, 'kubernetes API stand-in ready');
  return server;
}

/** The Services of `namespace` with their Endpoints' addresses, by name. */
export function serviceViews(server: KubeApiServer, namespace = server.namespace): ServiceStatus[] {
  const endpoints = new Map(server.store.list('endpoints', namespace).items.map((e) => [nameOf(e), e]));
  return server.store
    .list('services', namespace)
    .items.map((service) => {
      const spec = isObject(service['spec']) ? service['spec'] : {};
      const selector = isObject(spec['selector']) ? (spec['selector'] as Record<string, string>) : {};
      const ports = (Array.isArray(spec['ports']) ? spec['ports'] : []).filter(isObject).map((p) => `${String(p['port'])}/${String(p['protocol'] ?? 'TCP').toLowerCase()}`);
      const clusterIP = typeof spec['clusterIP'] === 'string' ? spec['clusterIP'] : '';
      const ep = endpoints.get(nameOf(service));
      const subsets = ep !== undefined && Array.isArray(ep['subsets']) ? ep['subsets'].filter(isObject) : [];
      const addresses = subsets.flatMap((s) => (Array.isArray(s['addresses']) ? s['addresses'].filter(isObject) : []));
      return {
        name: nameOf(service),
        namespace,
        type: clusterIP === 'None' ? 'Headless' : String(spec['type'] ?? 'ClusterIP'),
        clusterIP,
        selector,
        ports,
        endpoints: addresses.map((a) => ({
          pod: isObject(a['targetRef']) && typeof a['targetRef']['name'] === 'string' ? a['targetRef']['name'] : '',
          ip: String(a['ip']),
        })),
      };
    })
    .sort((a, b) => a.name.localeCompare(b.name));
}

/**
 * The DNS records cluster DNS serves (https://kubernetes.io/docs/concepts/services-networking/dns-pod-service/),
 * as /etc/hosts lines: `kubernetes.default.svc[.cluster.local]` to the API server, and every
 * Service with a selector, `<svc>`, `<svc>.<ns>`, `<svc>.<ns>.svc` and
 * `<svc>.<ns>.svc.cluster.local`, to the ready pods it selects. The sandbox routes no ClusterIPs,
 * so every Service resolves as a headless one does: to its pods' IPs. A Service without
 * endpoints has no line (its name does not resolve).
 */
export function serviceHostsEntries(server: KubeApiServer, apiHost: string): HostsEntry[] {
  const entries: HostsEntry[] = [
    { ip: apiHost, names: ['kubernetes.default.svc', `kubernetes.default.svc.${CLUSTER_DOMAIN}`, 'kubernetes.default'] },
  ];
  for (const view of serviceViews(server)) {
    if (Object.keys(view.selector).length === 0) continue;
    const names = [view.name, `${view.name}.${view.namespace}`, `${view.name}.${view.namespace}.svc`, `${view.name}.${view.namespace}.svc.${CLUSTER_DOMAIN}`];
    for (const ip of [...new Set(view.endpoints.map((e) => e.ip))].sort()) entries.push({ ip, names });
  }
  return entries;
}

/**
 * Keeps the pods' /etc/hosts extras in step with the Services: every change to a Service,
 * Endpoints or pod rewrites them (at most every `debounceMs`), so a new primary's
 * `<app>-primary` name resolves to it as soon as Patroni labels it.
 */
export class ServiceDns {
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();
  private last = '';
  private readonly unsubscribe: () => void;

  constructor(
    private readonly server: KubeApiServer,
    private readonly options: { stateDir: string; apiHost: string; logger: Logger; debounceMs?: number },
  ) {
    this.unsubscribe = server.store.subscribe((event) => {
      if (['services', 'endpoints', 'pods'].includes(event.plural)) this.schedule();
    });
  }

  /** Rewrite now (and whenever called: after pods come and go, which rewrites the file too). */
  refresh(): Promise<void> {
    this.last = '';
    return this.write();
  }

  close(): void {
    this.unsubscribe();
    if (this.timer !== undefined) clearTimeout(this.timer);
  }

  private schedule(): void {
    if (this.timer !== undefined) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.write();
    }, this.options.debounceMs ?? 50);
  }

  private write(): Promise<void> {
    this.writing = this.writing.then(async () => {
      const extra = serviceHostsEntries(this.server, this.options.apiHost);
      const text = JSON.stringify(extra);
      if (text === this.last) return;
      try {
        await updateHosts(this.options.stateDir, { extra });
        this.last = text;
      } catch (error) {
        this.options.logger.error({ err: errorMessage(error) }, 'cannot write the Services into the pods\' /etc/hosts');
      }
    });
    return this.writing;
  }
}

/**
 * What the kubelet and Juju do for a pod of the cluster: the API server gets the pod (its IP,
 * its node, owned by the application's StatefulSet, labelled `app.kubernetes.io/name`) once it
 * runs and loses it when it goes; its containers get the service's environment
 * (https://kubernetes.io/docs/concepts/services-networking/service/#environment-variables) and
 * the application's service account token, CA and namespace at SERVICE_ACCOUNT_DIR.
 */
export class KubePodCluster implements PodCluster {
  readonly env: Readonly<Record<string, string>>;
  readonly paths = [SERVICE_ACCOUNT_POD_PATH];

  constructor(
    private readonly server: KubeApiServer,
    private readonly dns: ServiceDns,
    private readonly options: { nodeName: string; nodeIp: string; logger: Logger },
  ) {
    const { KUBERNETES_SERVICE_HOST, KUBERNETES_SERVICE_PORT } = server.serviceEnv();
    this.env = { KUBERNETES_SERVICE_HOST: KUBERNETES_SERVICE_HOST!, KUBERNETES_SERVICE_PORT: KUBERNETES_SERVICE_PORT! };
    server.registerNode(options.nodeName, options.nodeIp);
  }

  async podStarted(pod: Pod): Promise<void> {
    this.server.registerApplication(pod.app, pod.namespace);
    if (pod.paths.includes(SERVICE_ACCOUNT_POD_PATH)) {
      const dir = podPath(pod, SERVICE_ACCOUNT_POD_PATH);
      await this.server.writeServiceAccount(dir, pod.app, pod.namespace);
      // Readable by the workload's own user (Patroni runs as postgres), as the projected
      // service account volume's default mode 0644 makes it
      // (https://kubernetes.io/docs/concepts/storage/projected-volumes/).
      await chmod(path.join(dir, 'token'), 0o644);
    } else {
      this.options.logger.warn({ pod: pod.name }, 'pod has no service account directory (made before the Kubernetes stand-in)');
    }
    this.server.registerPod({ name: pod.name, namespace: pod.namespace, ip: pod.ip, app: pod.app, nodeName: this.options.nodeName });
    await this.dns.refresh();
  }

  async podRemoved(pod: Pod): Promise<void> {
    this.server.unregisterPod(pod.name, pod.namespace);
    await this.dns.refresh();
  }
}

/**
 * The model's side of the cluster: Juju makes an application's Services when it is deployed
 * (`registerApplication`), and `juju trust --scope=cluster` gives its service account the
 * cluster-wide role (the stand-in's `trust`).
 */
export class KubeModelCluster implements ModelCluster {
  constructor(private readonly server: KubeApiServer) {}

  applicationDeployed(app: string, trusted: boolean): void {
    this.server.registerApplication(app);
    this.trustChanged(app, trusted);
  }

  trustChanged(app: string, trusted: boolean): void {
    if (trusted) this.server.trust(app);
    else this.server.untrust(app);
  }

  services(): ServiceStatus[] {
    return serviceViews(this.server);
  }
}

function nameOf(object: JsonObject): string {
  const metadata = isObject(object['metadata']) ? object['metadata'] : {};
  return String(metadata['name'] ?? '');
}
