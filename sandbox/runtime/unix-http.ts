import http from 'node:http';
import path from 'node:path';

/**
 * Plain HTTP over a unix socket (Pebble's transport), for the probe and the CLI. Socket paths are
 * limited to 107 bytes; a longer host path is reached through /proc/<pid>/root of a process in
 * the pod's mount namespace, which names the same file by a shorter path.
 */

export const MAX_SOCKET_PATH = 107;

export function reachableSocket(hostPath: string, inPod: { pid: number | null; path: string }): string {
  if (Buffer.byteLength(hostPath) <= MAX_SOCKET_PATH || inPod.pid === null) return hostPath;
  return path.join(`/proc/${inPod.pid}/root`, inPod.path);
}

export interface UnixResponse {
  status: number;
  body: string;
}

export function unixGet(socketPath: string, urlPath: string, timeoutMs = 2_000): Promise<UnixResponse> {
  return new Promise((resolve, reject) => {
    const req = http.get({ socketPath, path: urlPath, timeout: timeoutMs, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer from ${socketPath} within ${timeoutMs} ms`)));
    req.on('error', reject);
  });
}

/** GET a streaming endpoint and hand every line to `onLine` until `signal` aborts or it ends. */
export function unixStreamLines(socketPath: string, urlPath: string, onLine: (line: string) => void, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const req = http.get({ socketPath, path: urlPath, agent: false, signal }, (res) => {
      let pending = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        pending += chunk;
        const lines = pending.split('\n');
        pending = lines.pop() ?? '';
        for (const line of lines) if (line !== '') onLine(line);
      });
      res.on('end', () => resolve());
      res.on('error', () => resolve());
    });
    req.on('error', () => resolve());
  });
}
