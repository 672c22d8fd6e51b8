import { execa } from 'execa';
import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import https from 'node:https';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../../src/logging.ts';
import { setStaticHostsEntries } from '../pods/hosts-file.ts';
import { readNetworkRecord } from '../pods/records.ts';
import { SandboxError } from './errors.ts';
import { REPO_ROOT } from './paths.ts';
import { findOwnProcess, isAlive, removePid, spawnDetached, tailOf, terminate, writePid } from './processes.ts';

/**
 * The sandbox's S3: s3rver (npm, https://github.com/jamhall/s3rver) over HTTPS with a CA of its
 * own, on the bridge address every pod reaches, named `s3.sandbox.internal` in the pods'
 * /etc/hosts (pgBackRest checks the certificate against DNS names only). It keeps its objects in
 * `<state>/s3/data`, runs detached with a pidfile (outliving a daemon restart), and `destroy`
 * stops it. s3rver's keys are fixed: S3RVER / S3RVER.
 */

export const S3_HOSTNAME = 's3.sandbox.internal';
export const S3_PORT = 4568;
export const S3_ACCESS_KEY = 'S3RVER';
export const S3_SECRET_KEY = 'S3RVER';
const S3RVER = path.join(REPO_ROOT, 'node_modules', 's3rver', 'bin', 's3rver.js');

export interface S3ServerHandle {
  readonly pid: number;
  /** `https://s3.sandbox.internal:4568`, as s3-integrator's `endpoint` takes it. */
  readonly endpoint: string;
  readonly accessKey: string;
  readonly secretKey: string;
  /** PEM of the CA that signed the server's certificate (s3-integrator's `tls-ca-chain`, base64-encoded). */
  readonly caPem: string;
  readonly started: boolean;
}

function files(stateDir: string) {
  const dir = path.join(stateDir, 's3');
  return {
    dir,
    data: path.join(dir, 'data'),
    pid: path.join(dir, 's3rver.pid'),
    log: path.join(dir, 's3rver.log'),
    caKey: path.join(dir, 'ca.key'),
    caCert: path.join(dir, 'ca.pem'),
    key: path.join(dir, 'server.key'),
    csr: path.join(dir, 'server.csr'),
    cert: path.join(dir, 'server.pem'),
    ext: path.join(dir, 'server.ext'),
  };
}

export function findS3Server(stateDir: string): Promise<number | null> {
  const f = files(stateDir);
  return findOwnProcess(f.pid, [S3RVER, f.data]);
}

/** A CA and a server certificate for the S3 name and the bridge address (openssl). */
async function ensureCertificates(stateDir: string, host: string): Promise<void> {
  const f = files(stateDir);
  if (existsSync(f.cert) && existsSync(f.caCert)) return;
  const openssl = (args: string[]) => execa('openssl', args, { stdin: 'ignore' });
  await openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', f.caKey, '-out', f.caCert, '-days', '365', '-subj', '/CN=sandbox S3 CA']);
  await openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', f.key, '-out', f.csr, '-subj', `/CN=${S3_HOSTNAME}`]);
  const { writeFile } = await import('node:fs/promises');
  await writeFile(f.ext, `subjectAltName=DNS:${S3_HOSTNAME},DNS:localhost,IP:${host}\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n`);
  await openssl(['x509', '-req', '-in', f.csr, '-CA', f.caCert, '-CAkey', f.caKey, '-CAcreateserial', '-out', f.cert, '-days', '365', '-extfile', f.ext]);
}

async function answers(host: string, caPem: string): Promise<boolean> {
  return new Promise((resolve) => {
    const request = https.get({ host, port: S3_PORT, path: '/', servername: S3_HOSTNAME, ca: caPem, timeout: 1_000, agent: false }, (response) => {
      response.resume();
      resolve(response.statusCode !== undefined);
    });
    request.on('timeout', () => request.destroy());
    request.on('error', () => resolve(false));
  });
}

/** Adopt the running S3 server or start one; needs the sandbox network (a first deploy). */
export async function ensureS3Server(options: { stateDir: string; logger?: Logger; timeoutMs?: number }): Promise<S3ServerHandle> {
  const network = await readNetworkRecord(options.stateDir);
  if (network === undefined) throw new SandboxError('sandbox-usage', 'the sandbox has no network yet: deploy something first');
  const host = network.bridgeIp;
  const f = files(options.stateDir);
  await mkdir(f.data, { recursive: true, mode: 0o700 });
  await ensureCertificates(options.stateDir, host);
  const caPem = await readFile(f.caCert, 'utf8');
  await setStaticHostsEntries(options.stateDir, 's3', [{ ip: host, names: [S3_HOSTNAME] }]);
  const handle = (pid: number, started: boolean): S3ServerHandle => ({
    pid,
    endpoint: `https://${S3_HOSTNAME}:${S3_PORT}`,
    accessKey: S3_ACCESS_KEY,
    secretKey: S3_SECRET_KEY,
    caPem,
    started,
  });
  const running = await findS3Server(options.stateDir);
  if (running !== null) return handle(running, false);
  // --no-vhost-buckets: s3rver would otherwise take any Host that is not localhost or an IP as a
  // bucket name (CNAME-style), so path-style requests to s3.sandbox.internal would miss.
  const pid = spawnDetached(process.execPath, [S3RVER, '-d', f.data, '-a', host, '-p', String(S3_PORT), '--key', f.key, '--cert', f.cert, '--silent', '--no-vhost-buckets'], f.log);
  if (pid === undefined) throw new SandboxError('sandbox-s3-failed', `s3rver could not be started; see ${f.log}`);
  await writePid(f.pid, pid);
  const deadline = Date.now() + (options.timeoutMs ?? 20_000);
  while (!(await answers(host, caPem))) {
    if (!(await isAlive(pid))) throw new SandboxError('sandbox-s3-failed', `s3rver exited before answering:\n${await tailOf(f.log)}`);
    if (Date.now() >= deadline) throw new SandboxError('sandbox-s3-failed', `s3rver does not answer on ${host}:${S3_PORT}:\n${await tailOf(f.log)}`);
    await sleep(100);
  }
  options.logger?.info({ pid, host }, 's3rver started');
  return handle(pid, true);
}

/** Stop this state dir's S3 server (if it runs); its objects stay until the state dir goes. */
export async function stopS3Server(stateDir: string): Promise<boolean> {
  const pid = await findS3Server(stateDir);
  if (pid !== null) await terminate(pid, 5_000);
  await removePid(files(stateDir).pid);
  return pid !== null;
}
