import http from 'node:http';
import type { WorkloadNotice, WorkloadNotices } from '../controller/runtime.ts';

/**
 * The controller's view of the workloads' Pebble notices: `GET /v1/notices?types=custom&after=…
 * &timeout=…` on the container's Pebble socket, as Juju's pebbleNoticer asks the Pebble client's
 * WaitNotices (worker/uniter/pebblenotices.go, juju/juju; canonical/pebble
 * internals/daemon/api_notices.go). Only custom notices: the sandbox fires no check hooks from
 * change-update notices.
 */

interface NoticeJson {
  id?: unknown;
  type?: unknown;
  key?: unknown;
  'last-repeated'?: unknown;
}

export class PebbleNotices implements WorkloadNotices {
  /** `socketOf` names the socket of a unit's container Pebble, or null when it has none (yet). */
  constructor(private readonly socketOf: (unit: string, container: string) => Promise<string | null>) {}

  async wait(unit: string, container: string, options: { after?: string; waitMs: number; signal: AbortSignal }): Promise<WorkloadNotice[]> {
    const socketPath = await this.socketOf(unit, container);
    if (socketPath === null) throw new Error(`${unit} has no ${container} Pebble`);
    const query = new URLSearchParams({ types: 'custom', timeout: `${options.waitMs}ms` });
    if (options.after !== undefined) query.set('after', options.after);
    const body = await get(socketPath, `/v1/notices?${query.toString()}`, options.waitMs + 5_000, options.signal);
    const result = (JSON.parse(body) as { result?: unknown }).result;
    if (!Array.isArray(result)) throw new Error(`unexpected notices answer: ${body.slice(0, 200)}`);
    return (result as NoticeJson[])
      .filter((n) => typeof n.id === 'string' && typeof n.key === 'string' && typeof n['last-repeated'] === 'string')
      .map((n) => ({ id: n.id as string, type: String(n.type), key: n.key as string, lastRepeated: n['last-repeated'] as string }));
  }
}

function get(socketPath: string, urlPath: string, timeoutMs: number, signal: AbortSignal): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.get({ socketPath, path: urlPath, timeout: timeoutMs, agent: false, signal }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => (res.statusCode === 200 ? resolve(body) : reject(new Error(`GET ${urlPath}: ${res.statusCode ?? 0} ${body.slice(0, 200)}`))));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer from ${socketPath} within ${timeoutMs} ms`)));
    req.on('error', reject);
  });
}
