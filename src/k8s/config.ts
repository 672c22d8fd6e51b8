import { readFile } from 'node:fs/promises';
import { KubernetesConfigError } from './errors.ts';

/** Where Kubernetes mounts a pod's service-account credentials. */
export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

/** Everything needed to talk to the API server as this pod's service account. */
export interface KubernetesConnection {
  /** `https://host:port`, no trailing slash. */
  readonly apiUrl: string;
  readonly token: string;
  /** PEM bundle that signed the API server's certificate. */
  readonly caPem: string;
  /** The pod's namespace (on Juju, the model name). */
  readonly namespace: string;
}

export interface InClusterOptions {
  env?: NodeJS.ProcessEnv;
  tokenPath?: string;
  caPath?: string;
  namespacePath?: string;
  /** Overrides `https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT`. */
  apiUrl?: string;
  /** Overrides the namespace file. */
  namespace?: string;
}

/**
 * Read the pod's service-account connection. Read fresh for every client: the projected token
 * is rotated by the kubelet, and a hook process lives for seconds only.
 */
export async function loadInClusterConfig(options: InClusterOptions = {}): Promise<KubernetesConnection> {
  const apiUrl = options.apiUrl ?? apiUrlFromEnv(options.env ?? process.env);
  const token = await readCredential(options.tokenPath ?? `${SERVICE_ACCOUNT_DIR}/token`, 'service-account token');
  const caPem = await readCredential(options.caPath ?? `${SERVICE_ACCOUNT_DIR}/ca.crt`, 'API server CA');
  const namespace = options.namespace ?? (await readCredential(options.namespacePath ?? `${SERVICE_ACCOUNT_DIR}/namespace`, 'namespace'));
  return { apiUrl: apiUrl.replace(/\/+$/, ''), token, caPem, namespace };
}

/** `https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT`, bracketing an IPv6 host. */
export function apiUrlFromEnv(env: NodeJS.ProcessEnv): string {
  const host = env['KUBERNETES_SERVICE_HOST'];
  if (!host) {
    throw new KubernetesConfigError('KUBERNETES_SERVICE_HOST is not set: the charm is not running in a Kubernetes pod');
  }
  const port = env['KUBERNETES_SERVICE_PORT'] || '443';
  if (!/^\d{1,5}$/.test(port) || Number(port) < 1 || Number(port) > 65535) {
    throw new KubernetesConfigError(`KUBERNETES_SERVICE_PORT is not a port number: ${JSON.stringify(port)}`);
  }
  const shownHost = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  return `https://${shownHost}:${port}`;
}

async function readCredential(path: string, what: string): Promise<string> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (cause) {
    throw new KubernetesConfigError(`cannot read the ${what} at ${path}`, { cause });
  }
  const trimmed = text.trim();
  if (trimmed === '') throw new KubernetesConfigError(`the ${what} at ${path} is empty`);
  return trimmed;
}
