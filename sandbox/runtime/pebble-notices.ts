import http from 'node:http';
import type { WorkloadNotice, WorkloadNotices } from '../controller/runtime.ts';

/**
 * The controller's view of the workloads' Pebble notices: `GET /v1/notices?types=custom,change-update
 * &after=…&timeout=…` on the container's Pebble socket, as Juju's pebbleNoticer asks the Pebble
 * client's WaitNotices (worker/uniter/pebblenotices.go, juju/juju; canonical/pebble
 * internals/daemon/api_notices.go). A custom notice becomes `<container>-pebble-custom-notice`;
 * as in Juju 3.6, a change-update notice of a check's change becomes `-pebble-check-failed` when
 * that `perform-check` change is in Error and `-pebble-check-recovered` when a `recover-check`
 * change is Done (the change's status is read when the notice is handled, as Juju does).
 */

interface NoticeJson {
  id?: unknown;
  type?: unknown;
  key?: unknown;
  'last-repeated'?: unknown;
  'last-data'?: Record<string, unknown>;
}

type CheckHook = 'check-failed' | 'check-recovered';

export class PebbleNotices implements WorkloadNotices {
  /** `socketOf` names the socket of a unit's container Pebble, or null when it has none (yet). */
  constructor(private readonly socketOf: (unit: string, container: string) => Promise<string | null>) {}

  async wait(unit: string, container: string, options: { after?: string; waitMs: number; signal: AbortSignal }): Promise<WorkloadNotice[]> {
    const socketPath = await this.socketOf(unit, container);
    if (socketPath === null) throw new Error(`${unit} has no ${container} Pebble`);
    const query = new URLSearchParams({ types: 'custom,change-update', timeout: `${options.waitMs}ms` });
    if (options.after !== undefined) query.set('after', options.after);
    const body = await get(socketPath, `/v1/notices?${query.toString()}`, options.waitMs + 5_000, options.signal);
    const result = (JSON.parse(body) as { result?: unknown }).result;
    if (!Array.isArray(result)) throw new Error(`unexpected notices answer: ${body.slice(0, 200)}`);
    const notices: WorkloadNotice[] = [];
    for (const n of result as NoticeJson[]) {
      if (typeof n.id !== 'string' || typeof n.key !== 'string' || typeof n['last-repeated'] !== 'string') continue;
      const base = { id: n.id, type: String(n.type), key: n.key, lastRepeated: n['last-repeated'] };
      if (n.type === 'custom') {
        notices.push({ ...base, hook: 'custom-notice' });
        continue;
      }
      const checkName = n['last-data']?.['check-name'];
      const hook = typeof checkName === 'string' ? await checkHook(socketPath, n.key, n['last-data']?.['kind'], options.signal) : null;
      notices.push(hook === null ? { ...base, hook: null } : { ...base, hook, checkName: checkName as string });
    }
    return notices;
  }
}

/** What a check change's notice means now: failed, recovered, or nothing (still running, or gone). */
async function checkHook(socketPath: string, changeId: string, kind: unknown, signal: AbortSignal): Promise<CheckHook | null> {
  if (kind !== 'perform-check' && kind !== 'recover-check') return null;
  let status: unknown;
  try {
    status = (JSON.parse(await get(socketPath, `/v1/changes/${encodeURIComponent(changeId)}`, 5_000, signal)) as { result?: { status?: unknown } }).result?.status;
  } catch {
    return null; // pruned or Pebble restarting: Juju skips it too
  }
  if (kind === 'perform-check' && status === 'Error') return 'check-failed';
  if (kind === 'recover-check' && status === 'Done') return 'check-recovered';
  return null;
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
