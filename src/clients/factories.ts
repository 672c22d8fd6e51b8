/**
 * How the charm builds its clients. `CharmContext` calls these lazily with everything it has
 * worked out (URLs, credentials, TLS); tests replace any of them to point the same code at a
 * test server, so production and tests share one seam.
 */
import { PostgreSQL, type PostgreSQLSettings } from '../../lib/postgresql/index.ts';
import type { Logger } from '../logging.ts';
import { PatroniClient, type PatroniClientOptions } from '../patroni/index.ts';
import { PebbleClient } from '../pebble/index.ts';
import type { WorkloadPebble } from './workload-pebble.ts';
import type { DcsConfig } from '../workload/index.ts';
import { probeWorkload, type WorkloadFacts } from '../workload-probe/index.ts';
import { kubernetesObjectsForCharm } from '../k8s/charm-objects.ts';
import type { KubernetesObjects } from './kubernetes-objects.ts';

export interface KubernetesContext {
  readonly app: string;
  readonly model: string;
  /** Undefined when no DCS is configured (the reconcile blocks on that separately). */
  readonly dcs: DcsConfig | undefined;
  readonly logger: Logger;
}

export interface ClientFactories {
  /** Pebble of a workload container (production: the socket Juju mounts under /charm/containers). */
  pebble(container: string, logger: Logger): WorkloadPebble;
  patroni(options: PatroniClientOptions): PatroniClient;
  postgresql(settings: PostgreSQLSettings): PostgreSQL;
  kubernetes(context: KubernetesContext): KubernetesObjects;
  /** Which PostgreSQL, workload flavour and commands the container has (reads it through Pebble). */
  workloadFacts(pebble: WorkloadPebble): Promise<WorkloadFacts>;
}

export const defaultClientFactories: ClientFactories = {
  pebble: (container, logger) => PebbleClient.forContainer(container, { logger }),
  patroni: (options) => new PatroniClient(options),
  postgresql: (settings) => new PostgreSQL(settings),
  // With the Kubernetes DCS, the pod's service account manages the services and labels Patroni
  // needs; with etcd3 (sandbox, VM) there is nothing to create and this is a no-op.
  kubernetes: (context) => kubernetesObjectsForCharm(context),
  workloadFacts: probeWorkload,
};
