/**
 * GET /v1/logs: service output as JSON lines `{"time","service","message"}`, the last `n`
 * entries across the selected services in time order (default 30; -1 = all), optionally
 * followed by new output until the client disconnects.
 */
import type { ServerResponse } from 'node:http';
import type { Daemon } from '../daemon.ts';
import { badRequest } from '../errors.ts';
import type { Reply } from '../http/envelope.ts';
import { commaList } from '../http/request.ts';
import type { RequestContext } from '../http/router.ts';
import type { LogEntry } from '../services/log-buffer.ts';
import { formatRfc3339Nano } from '../util/go-time.ts';

const DEFAULT_LINES = 30;

/** Pebble's log timestamps have millisecond precision. */
function line(entry: LogEntry): string {
  const ms = (entry.time / 1_000_000n) * 1_000_000n;
  return `${JSON.stringify({ time: formatRfc3339Nano(ms), service: entry.service, message: entry.message })}\n`;
}

export function getLogs(d: Daemon, ctx: RequestContext): Reply {
  const followText = ctx.query.get('follow') ?? '';
  if (!['', 'true', 'false'].includes(followText)) throw badRequest('follow parameter must be "true" or "false"');
  const follow = followText === 'true';
  const nText = ctx.query.get('n') ?? '';
  let n = follow ? 0 : DEFAULT_LINES;
  if (nText !== '') {
    if (!/^-?\d+$/.test(nText) || Number(nText) < -1) throw badRequest('n must be -1, 0, or a positive integer');
    n = Number(nText);
  }
  let names = commaList(ctx.query, 'services');
  if (names.length === 0) names = d.services.infos([]).map((s) => s.name);
  const buffers = d.services.logBuffers(names);

  return {
    kind: 'custom',
    write: (res: ServerResponse) =>
      new Promise<void>((resolve) => {
        res.writeHead(200, { 'Content-Type': 'application/x-ndjson' });
        const history = buffers
          .flatMap((b) => b.all())
          .sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : 0));
        const initial = n < 0 ? history : n === 0 ? [] : history.slice(-n);
        for (const entry of initial) res.write(line(entry));
        if (!follow) {
          res.end();
          resolve();
          return;
        }
        const unsubscribe = buffers.map((b) => b.subscribe((entry) => res.write(line(entry))));
        const stop = () => {
          for (const u of unsubscribe) u();
          resolve();
        };
        ctx.signal.addEventListener('abort', stop, { once: true });
      }),
  };
}
