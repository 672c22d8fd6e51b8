import { createHash } from 'node:crypto';
import { PodError } from './errors.ts';

/**
 * Every kernel object a sandbox creates (bridge, veths, netns, the pods' /dev/shm tmpfs) is named
 * `sbx<tag>-…`, so a crashed sandbox can be found and removed from names alone. Interface names
 * are limited to 15 characters, hence a short tag rather than the sandbox id itself.
 */
const SHORT_ID = /^[a-z0-9]{1,8}$/;

/** Pod names are DNS labels (RFC 1123), as Kubernetes requires. */
const POD_NAME = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/** The tag: the sandbox id itself when short and plain, otherwise 8 hex digits of its hash. */
export function sandboxTag(sandboxId: string): string {
  if (sandboxId.length === 0) throw new PodError('pod-invalid-spec', 'the sandbox id is empty');
  if (SHORT_ID.test(sandboxId)) return sandboxId;
  return createHash('sha256').update(sandboxId).digest('hex').slice(0, 8);
}

/** The prefix every name of this sandbox starts with; the `-` keeps `sbxab-` from matching `sbxabc-…`. */
export function namePrefix(sandboxId: string): string {
  return `sbx${sandboxTag(sandboxId)}-`;
}

export function bridgeName(sandboxId: string): string {
  return `${namePrefix(sandboxId)}br`;
}

/** Host end of a pod's veth pair; the pod end is renamed `eth0` inside the pod. */
export function vethName(sandboxId: string, index: number): string {
  return `${namePrefix(sandboxId)}${index}`;
}

export function netnsName(sandboxId: string, podName: string): string {
  return `${namePrefix(sandboxId)}${podName}`;
}

/** Source name of the pod's private /dev/shm tmpfs: it marks a mount namespace as this sandbox's. */
export function shmSource(sandboxId: string, podName: string): string {
  return `${namePrefix(sandboxId)}shm-${podName}`;
}

export function assertPodName(name: string): void {
  if (!POD_NAME.test(name)) {
    throw new PodError('pod-invalid-spec', `pod name ${JSON.stringify(name)} is not a DNS label`);
  }
}

/**
 * `postgresql-k8s-0` → `postgresql-k8s` (the unit's application, as the reference's `label2name` in
 * `src/utils.py`).
 */
export function appOfPod(podName: string): string {
  const cut = podName.lastIndexOf('-');
  if (cut <= 0 || !/^\d+$/.test(podName.slice(cut + 1))) {
    throw new PodError('pod-invalid-spec', `cannot tell the application of pod ${podName}; pass app`);
  }
  return podName.slice(0, cut);
}

/**
 * The names a pod answers to inside the cluster (as the reference derives them; see
 * src/workload/names.ts): the Patroni member host `<pod>.<app>-endpoints`, its FQDN forms, and the
 * bare pod name (its own hostname).
 */
export function podDnsNames(podName: string, app: string, namespace: string): string[] {
  const service = `${podName}.${app}-endpoints`;
  return [
    `${service}.${namespace}.svc.cluster.local`,
    `${service}.${namespace}.svc`,
    `${service}.${namespace}`,
    service,
    podName,
  ];
}
