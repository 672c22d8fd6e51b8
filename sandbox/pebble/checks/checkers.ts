/**
 * One run of a health check (canonical/pebble internals/overlord/checkstate/checkers.go,
 * docs/reference/health-checks.md): an HTTP GET expecting 2xx, a TCP connect, or a command
 * expecting exit status 0. Failures carry Pebble's message plus "details" (response body or command
 * output) that go into the task log.
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { PebbleError } from '../errors.ts';
import type { Check } from '../plan/types.ts';
import { lookPath, splitCommand } from '../util/command.ts';
import { formatGoDuration } from '../util/go-duration.ts';
import { exitCodeOf, spawnProcess } from '../util/spawn.ts';
import { normalizeUidGid } from '../util/users.ts';

export class CheckFailure extends PebbleError {
  constructor(
    message: string,
    readonly details = '',
  ) {
    super('pebble-check-failed', message);
  }

  /** Message plus details, as Pebble logs it. */
  get full(): string {
    return this.details ? `${this.message}; ${this.details}` : this.message;
  }
}

export interface CheckerEnv {
  pebbleEnv: Record<string, string>;
  hostPath: (path: string) => string;
}

const MAX_ERROR_BYTES = 512;
const MAX_ERROR_LINES = 5;

function outputDetails(text: string): string {
  const lines = text.trim().split('\n');
  if (lines.length > MAX_ERROR_LINES) {
    lines.splice(MAX_ERROR_LINES + 1);
    lines[MAX_ERROR_LINES] = '(...)';
  }
  return lines.join('\n');
}

function dialError(host: string, port: string | number, err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  const reason = code === 'ECONNREFUSED' ? 'connect: connection refused' : (err as Error).message;
  return `dial tcp ${host}:${port}: ${reason}`;
}

/** Go's crypto/x509 on Debian trusts the system bundle (update-ca-certificates' output), not Node's own roots. */
const SYSTEM_BUNDLE = '/etc/ssl/certs/ca-certificates.crt';

function systemRoots(): string | undefined {
  try {
    return readFileSync(SYSTEM_BUNDLE, 'utf8');
  } catch {
    return undefined;
  }
}

function httpCheck(url: string, headers: Record<string, string>, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch (err) {
      reject(new CheckFailure(`cannot build request: parse "${url}": ${(err as Error).message}`));
      return;
    }
    const isHttps = parsed.protocol === 'https:';
    const client = isHttps ? https : http;
    const tls = isHttps ? systemRoots() : undefined;
    const req = client.get(parsed, { headers, signal, ...(tls === undefined ? {} : { ca: tls }) }, (res) => {
      const status = res.statusCode ?? 0;
      if (status >= 200 && status <= 299) {
        res.resume();
        res.on('end', () => resolve());
        res.on('error', () => resolve());
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        if (size < MAX_ERROR_BYTES) chunks.push(chunk);
        size += chunk.length;
      });
      const fail = () => {
        const body = Buffer.concat(chunks).subarray(0, MAX_ERROR_BYTES).toString();
        reject(new CheckFailure(`non-2xx status code ${status}`, outputDetails(body)));
      };
      res.on('end', fail);
      res.on('error', fail);
    });
    req.on('error', (err) => {
      if (signal.aborted) reject(signal.reason);
      else reject(new CheckFailure(`Get "${url}": ${dialError(parsed.hostname, parsed.port || (parsed.protocol === 'https:' ? 443 : 80), err)}`));
    });
  });
}

function tcpCheck(host: string, port: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port });
    const onAbort = () => {
      socket.destroy();
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    socket.once('connect', () => {
      signal.removeEventListener('abort', onAbort);
      socket.end();
      socket.destroy();
      resolve();
    });
    socket.once('error', (err) => {
      signal.removeEventListener('abort', onAbort);
      reject(new CheckFailure(dialError(host, port, err)));
    });
  });
}

function execCheck(check: NonNullable<Check['exec']>, env: CheckerEnv, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    let argv: string[];
    let ids;
    try {
      argv = splitCommand(check.command ?? '');
      ids = normalizeUidGid(check);
    } catch (err) {
      reject(new CheckFailure(`cannot parse command: ${(err as Error).message}`));
      return;
    }
    // Like Pebble, exec checks inherit its environment; HOME/USER are not adjusted.
    const environment = { ...env.pebbleEnv, ...(check.environment ?? {}) };
    const name = argv[0] ?? '';
    const resolved = lookPath(name, env.pebbleEnv['PATH']);
    if (!resolved) {
      reject(new CheckFailure(`exec: "${name}": executable file not found in $PATH`));
      return;
    }
    const child = spawnProcess({
      argv: [resolved, ...argv.slice(1)],
      argv0: name,
      env: environment,
      cwd: env.hostPath(check.workingDir ?? '/'),
      ids,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const collect = (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-MAX_ERROR_BYTES);
    };
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    const onAbort = () => child.kill('SIGKILL');
    signal.addEventListener('abort', onAbort, { once: true });
    child.on('error', (err) => reject(new CheckFailure(err.message)));
    child.on('close', (code, sig) => {
      signal.removeEventListener('abort', onAbort);
      if (signal.aborted) reject(signal.reason);
      else if (exitCodeOf(code, sig) !== 0) reject(new CheckFailure(`exit status ${exitCodeOf(code, sig)}`, outputDetails(output)));
      else resolve();
    });
  });
}

class CheckTimeout extends Error {}

/** Run a check once with its timeout; rejects with CheckFailure, or the caller's abort reason. */
export async function runCheck(check: Check, timeoutNs: number, env: CheckerEnv, outer: AbortSignal): Promise<void> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new CheckTimeout()), timeoutNs / 1e6);
  const onOuter = () => controller.abort(outer.reason);
  outer.addEventListener('abort', onOuter, { once: true });
  try {
    if (check.http) await httpCheck(check.http.url ?? '', check.http.headers ?? {}, controller.signal);
    else if (check.tcp) await tcpCheck(check.tcp.host || 'localhost', check.tcp.port ?? 0, controller.signal);
    else if (check.exec) await execCheck(check.exec, env, controller.signal);
  } catch (err) {
    if (controller.signal.reason instanceof CheckTimeout && !outer.aborted) {
      throw new CheckFailure(`check timed out after ${formatGoDuration(timeoutNs)}`);
    }
    throw err;
  } finally {
    clearTimeout(timer);
    outer.removeEventListener('abort', onOuter);
  }
}
