import http from 'node:http';
import https from 'node:https';
import { PATRONI_API_PORT } from '../../src/workload/users.ts';
import type { ControllerStatus } from '../controller/controller.ts';

/**
 * Which unit is the PostgreSQL primary, as Patroni itself says: `GET /cluster` on the REST API
 * (PATRONI_API_PORT) of the first unit that answers. Members are matched to units by pod name, member
 * host or address. Nothing when Patroni is not running (yet).
 */

export interface PatroniView {
  /** Patroni's role: `leader` (the primary), `sync_standby`, `replica`, ... */
  role: string;
  state: string;
  lag?: number | string;
}

interface ClusterMember {
  name?: string;
  host?: string;
  role?: string;
  state?: string;
  lag?: number | string;
}

function getJson(url: string, timeoutMs: number): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const get = url.startsWith('https:') ? https.get : http.get;
    const req = get(url, { timeout: timeoutMs, agent: false, rejectUnauthorized: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => {
        try {
          resolve(JSON.parse(body));
        } catch (error) {
          reject(error);
        }
      });
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

async function clusterFrom(address: string, timeoutMs: number): Promise<ClusterMember[] | null> {
  for (const scheme of ['http', 'https']) {
    try {
      const body = (await getJson(`${scheme}://${address}:${PATRONI_API_PORT}/cluster`, timeoutMs)) as { members?: ClusterMember[] };
      if (Array.isArray(body.members)) return body.members;
    } catch {
      // not answering on this scheme
    }
  }
  return null;
}

export async function patroniView(status: ControllerStatus, timeoutMs = 800): Promise<Record<string, PatroniView>> {
  const units = Object.values(status.model.units).filter((u) => u.address !== '' && u.address !== '127.0.0.1');
  const answers = await Promise.all(units.map((u) => clusterFrom(u.address, timeoutMs)));
  const members = answers.find((a) => a !== null && a.length > 0);
  if (!members) return {};
  const view: Record<string, PatroniView> = {};
  for (const unit of units) {
    const pod = unit.name.replace('/', '-');
    const member = members.find((m) => m.name === pod || m.host === unit.address || m.host?.split('.')[0] === pod);
    if (member) view[unit.name] = { role: member.role ?? 'unknown', state: member.state ?? 'unknown', ...(member.lag === undefined ? {} : { lag: member.lag }) };
  }
  return view;
}
