import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import http from 'node:http';
import { SandboxError } from './errors.ts';

/**
 * etcd's v3 authentication for the sandbox's DCS (https://etcd.io/docs/v3.5/op-guide/authentication/rbac/):
 * a `root` user that only the daemon knows, and a `patroni` user whose role may read and write
 * Patroni's key prefix and nothing else. Everything goes through etcd's v3 JSON gateway over
 * HTTP, so no password is ever on a command line.
 */

/** Patroni's default key prefix; the charm keeps every model under it (`/service/<model>/`, docs/dcs.md). */
export const PATRONI_KEY_PREFIX = '/service/';
export const PATRONI_ETCD_USER = 'patroni';
const PATRONI_ETCD_ROLE = 'patroni';
const ROOT = 'root';

export interface EtcdCredentials {
  username: string;
  password: string;
}

export interface EtcdAuth {
  root: EtcdCredentials;
  patroni: EtcdCredentials;
}

export function newEtcdAuth(): EtcdAuth {
  const password = () => randomBytes(24).toString('base64url');
  return { root: { username: ROOT, password: password() }, patroni: { username: PATRONI_ETCD_USER, password: password() } };
}

/** The daemon's copy of the credentials: 0600, in the etcd directory of the state dir. */
export async function readEtcdAuth(file: string): Promise<EtcdAuth | null> {
  const text = await readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return null;
    throw error;
  });
  return text === null ? null : (JSON.parse(text) as EtcdAuth);
}

export async function writeEtcdAuth(file: string, auth: EtcdAuth): Promise<void> {
  await writeFile(file, JSON.stringify(auth), { mode: 0o600, flag: 'wx' });
}

/**
 * Make the users and the role, then turn auth on. For an etcd whose auth is still off (a new one,
 * or one an older sandbox left without auth); once on, only root could change it.
 */
export async function enableEtcdAuth(clientUrl: string, auth: EtcdAuth): Promise<void> {
  const b64 = (text: string) => Buffer.from(text).toString('base64');
  await gateway(clientUrl, 'auth/user/add', { name: ROOT, password: auth.root.password });
  await gateway(clientUrl, 'auth/user/grant', { user: ROOT, role: ROOT });
  await gateway(clientUrl, 'auth/role/add', { name: PATRONI_ETCD_ROLE });
  await gateway(clientUrl, 'auth/role/grant', {
    name: PATRONI_ETCD_ROLE,
    perm: { permType: 'READWRITE', key: b64(PATRONI_KEY_PREFIX), range_end: b64(prefixEnd(PATRONI_KEY_PREFIX)) },
  });
  await gateway(clientUrl, 'auth/user/add', { name: auth.patroni.username, password: auth.patroni.password });
  await gateway(clientUrl, 'auth/user/grant', { user: auth.patroni.username, role: PATRONI_ETCD_ROLE });
  await gateway(clientUrl, 'auth/enable', {});
}

/** The end of the range `prefix*`: the prefix with its last byte incremented (etcd's `--prefix`). */
export function prefixEnd(prefix: string): string {
  return prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1);
}

/** POST to etcd's v3 JSON gateway; `token` from `auth/authenticate` when auth is on. */
export function gateway(clientUrl: string, call: string, body: unknown, token?: string): Promise<Record<string, unknown>> {
  const payload = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = http.request(
      `${clientUrl}/v3/${call}`,
      {
        method: 'POST',
        timeout: 5_000,
        agent: false,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload), ...(token === undefined ? {} : { authorization: token }) },
      },
      (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString()));
        res.on('end', () => {
          const parsed = safeJson(text);
          if (res.statusCode === 200) resolve(parsed);
          // etcd's message names the failure (e.g. "user name already exists"), never a password.
          else reject(new SandboxError('sandbox-etcd-failed', `etcd ${call}: HTTP ${res.statusCode}: ${String(parsed['error'] ?? parsed['message'] ?? text).slice(0, 200)}`));
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`etcd ${call}: timed out`)));
    req.on('error', (error) => reject(new SandboxError('sandbox-etcd-failed', `etcd ${call}: ${error.message}`, { cause: error })));
    req.end(payload);
  });
}

function safeJson(text: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === 'object' ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}
