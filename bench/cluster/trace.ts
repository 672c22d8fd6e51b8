/**
 * A timeline of one failover or switchover, seen from the host every `intervalMs`: each member's
 * own view (`GET /patroni`: role, state, timeline) and the leader object in the DCS (the
 * Kubernetes stand-in's leader Endpoints annotations: holder and renewTime), kept only where they
 * change. It says where the time between a fault and the first write goes (the last lease
 * renewal, the expiry, the new holder, the promotion) without touching what it observes.
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export interface TraceEvent {
  /** Epoch ms when the poll that saw the change returned. */
  readonly at: number;
  readonly source: string;
  readonly what: string;
}

export interface KubeLeaderSource {
  readonly url: string;
  readonly token: string;
  readonly ca: string;
}

/** The Kubernetes stand-in's leader object of `app`, read with the sandbox's admin token (undefined with etcd). */
export function kubeLeaderSource(stateDir: string, app: string): KubeLeaderSource | undefined {
  try {
    const settings = JSON.parse(readFileSync(path.join(stateDir, 'sandbox.json'), 'utf8')) as { dcs?: string; subnet?: string; model?: string };
    if (settings.dcs === 'etcd' || typeof settings.subnet !== 'string') return undefined;
    const state = JSON.parse(readFileSync(path.join(stateDir, 'k8s', 'state.json'), 'utf8')) as { auth: { adminToken: string } };
    const [network] = settings.subnet.split('/');
    const octets = network!.split('.').map(Number);
    octets[3] = octets[3]! + 1;
    return {
      url: `https://${octets.join('.')}:443/api/v1/namespaces/${settings.model ?? 'sandbox'}/endpoints/patroni-${app}`,
      token: state.auth.adminToken,
      ca: readFileSync(path.join(stateDir, 'k8s', 'ca.crt'), 'utf8'),
    };
  } catch {
    return undefined;
  }
}

function getJson(url: string, timeoutMs: number, options: https.RequestOptions = {}): Promise<Record<string, unknown>> {
  const get = url.startsWith('https:') ? https.get : http.get;
  return new Promise((resolve, reject) => {
    const req = get(url, { timeout: timeoutMs, agent: false, ...options }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => {
        try {
          resolve(JSON.parse(body) as Record<string, unknown>);
        } catch (error) {
          reject(new Error(`${url}: ${res.statusCode ?? '?'}`, { cause: error }));
        }
      });
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

export class Tracer {
  readonly events: TraceEvent[] = [];
  readonly #last = new Map<string, string>();
  #stop = false;
  #loops: Promise<void>[] = [];

  constructor(
    private readonly members: Readonly<Record<string, string>>,
    private readonly kube: KubeLeaderSource | undefined,
    private readonly intervalMs = 100,
  ) {}

  start(): void {
    for (const [name, host] of Object.entries(this.members)) {
      this.#loops.push(this.#loop(name, async () => {
        const p = await getJson(`http://${host}:8008/patroni`, 400);
        return `${String(p['role'])}/${String(p['state'])} tl ${String(p['timeline'] ?? '-')}`;
      }));
    }
    const kube = this.kube;
    if (kube !== undefined) {
      this.#loops.push(this.#loop('dcs leader', async () => {
        const ep = await getJson(kube.url, 400, { ca: kube.ca, headers: { authorization: `Bearer ${kube.token}` } });
        const a = ((ep['metadata'] as Record<string, unknown>)?.['annotations'] ?? {}) as Record<string, string>;
        return `${a['leader'] ?? 'none'} renew ${a['renewTime'] ?? '-'}`;
      }));
    }
  }

  mark(what: string, at = Date.now()): void {
    this.events.push({ at, source: 'bench', what });
  }

  async stop(): Promise<TraceEvent[]> {
    this.#stop = true;
    await Promise.all(this.#loops);
    return [...this.events].sort((a, b) => a.at - b.at);
  }

  async #loop(source: string, read: () => Promise<string>): Promise<void> {
    while (!this.#stop) {
      let what: string;
      try {
        what = await read();
      } catch (error) {
        what = `unreachable (${error instanceof Error ? error.message : String(error)})`;
      }
      if (this.#last.get(source) !== what) {
        this.#last.set(source, what);
        this.events.push({ at: Date.now(), source, what });
      }
      await sleep(this.intervalMs);
    }
  }
}

/** The events as lines relative to `zero` (seconds). */
export function formatTrace(events: readonly TraceEvent[], zero: number): string[] {
  return events.map((e) => `${((e.at - zero) / 1000).toFixed(2).padStart(7)} s  ${e.source.padEnd(20)} ${e.what}`);
}
