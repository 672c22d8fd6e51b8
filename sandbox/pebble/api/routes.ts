/** The endpoint catalogue (canonical/pebble internals/daemon/api.go) bound to a daemon. */
import type { Daemon } from '../daemon.ts';
import type { RouteSpec } from '../http/router.ts';
import { getChange, getChanges, postChange, waitChange } from './changes.ts';
import { getChecks, getHealth, postChecks, postChecksRefresh } from './checks.ts';
import { getFiles, postFiles } from './files.ts';
import { getLogs } from './logs.ts';
import { getNotice, getNotices, postNotices } from './notices.ts';
import { getPlan, postLayers } from './plan.ts';
import { getServices, notImplemented, postServices, postSignals } from './services.ts';
import { getIdentities, getSystemInfo, getTaskWebsocket, postExec } from './system.ts';

export const TASK_WEBSOCKET_PATH = '/v1/tasks/{task-id}/websocket/{websocket-id}';

export function routes(d: Daemon): RouteSpec[] {
  return [
    { path: '/v1/system-info', GET: () => getSystemInfo(d) },
    { path: '/v1/health', GET: (ctx) => getHealth(d, ctx) },
    { path: '/v1/changes', GET: (ctx) => getChanges(d, ctx) },
    { path: '/v1/changes/{id}', GET: (ctx) => getChange(d, ctx), POST: (ctx) => postChange(d, ctx) },
    { path: '/v1/changes/{id}/wait', GET: (ctx) => waitChange(d, ctx) },
    { path: '/v1/services', GET: (ctx) => getServices(d, ctx), POST: (ctx) => postServices(d, ctx) },
    { path: '/v1/services/{name}', GET: notImplemented, POST: notImplemented },
    { path: '/v1/plan', GET: (ctx) => getPlan(d, ctx) },
    { path: '/v1/layers', POST: (ctx) => postLayers(d, ctx) },
    { path: '/v1/files', GET: (ctx) => getFiles(d, ctx), POST: (ctx) => postFiles(d, ctx) },
    { path: '/v1/logs', GET: (ctx) => getLogs(d, ctx) },
    { path: '/v1/exec', POST: (ctx) => postExec(d, ctx) },
    { path: TASK_WEBSOCKET_PATH, GET: (ctx) => getTaskWebsocket(d, ctx) },
    { path: '/v1/signals', POST: (ctx) => postSignals(d, ctx) },
    { path: '/v1/checks', GET: (ctx) => getChecks(d, ctx), POST: (ctx) => postChecks(d, ctx) },
    { path: '/v1/checks/refresh', POST: (ctx) => postChecksRefresh(d, ctx) },
    { path: '/v1/notices', GET: (ctx) => getNotices(d, ctx), POST: (ctx) => postNotices(d, ctx) },
    { path: '/v1/notices/{id}', GET: (ctx) => getNotice(d, ctx) },
    { path: '/v1/identities', GET: () => getIdentities() },
  ];
}
