import type { ServerResponse } from 'node:http';
import { ApiStatusError, badRequest } from './errors.ts';
import { isTrue, selectorsOf, type Target } from './http-io.ts';
import type { ResourceType } from './resources.ts';
import { matches, type KubeStore, type Selectors, type StoreEvent } from './store.ts';

/** What a watch needs of the server: the store, the bookmark period, and the set of open watches (closed with the server). */
export interface WatchContext {
  store: KubeStore;
  bookmarkIntervalMs: number;
  watches: Set<() => void>;
}

/**
 * `?watch=true` (also `1`, and Python's `True`, which Patroni sends): newline-delimited
 * `{"type", "object"}` events over a chunked response
 * (https://kubernetes.io/docs/reference/using-api/api-concepts/#efficient-detection-of-changes).
 * No resourceVersion (or "0"): ADDED for every current object, then changes. A resourceVersion:
 * the changes after it, or a 410 Expired ERROR event when the history has moved past it.
 * A label-selector watch sees an object that starts to match as ADDED and one that stops as
 * DELETED. Ends after `timeoutSeconds` (default: 30–60 minutes, as the API server's
 * `--min-request-timeout` randomisation).
 */
export function serveWatch(res: ServerResponse, context: WatchContext, type: ResourceType, target: Target, query: URLSearchParams): void {
  const { store, bookmarkIntervalMs, watches } = context;
  const selectors: Selectors = selectorsOf(query);
  if (target.name !== undefined) selectors.fields = [...(selectors.fields ?? []), { field: 'metadata.name', op: 'eq', value: target.name }];
  const rvParam = query.get('resourceVersion') ?? '';
  const timeoutParam = query.get('timeoutSeconds');
  const timeoutSeconds = timeoutParam === null ? 1800 + Math.floor(Math.random() * 1800) : Number(timeoutParam);
  if (!Number.isFinite(timeoutSeconds) || timeoutSeconds < 0) throw badRequest(`invalid timeoutSeconds: ${timeoutParam}`);
  let initial: StoreEvent[] | undefined;
  let expiredError: ApiStatusError | undefined;
  if (rvParam !== '' && rvParam !== '0') {
    const from = Number(rvParam);
    if (!/^\d+$/.test(rvParam)) throw badRequest(`invalid resourceVersion: ${rvParam}`);
    try {
      initial = store.eventsSince(from);
    } catch (error) {
      if (!(error instanceof ApiStatusError) || error.status !== 410) throw error;
      expiredError = error;
    }
  }
  res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-cache, private' });
  res.flushHeaders();
  const send = (eventType: string, object: unknown) => res.write(`${JSON.stringify({ type: eventType, object })}\n`);
  if (expiredError !== undefined) {
    send('ERROR', expiredError.toStatus());
    res.end();
    return;
  }
  const relevant = (event: StoreEvent) => event.plural === type.plural && (target.namespace === undefined || event.namespace === target.namespace);
  const deliver = (event: StoreEvent) => {
    if (!relevant(event)) return;
    const now = matches(selectors, event.object);
    const before = event.previous !== undefined && matches(selectors, event.previous);
    if (event.type === 'MODIFIED') {
      if (now && before) send('MODIFIED', event.object);
      else if (now) send('ADDED', event.object);
      else if (before) send('DELETED', event.object);
    } else if (now) {
      send(event.type, event.object);
    }
  };
  if (initial === undefined) {
    for (const object of store.list(type.plural, target.namespace, selectors).items) send('ADDED', object);
  } else {
    for (const event of initial) deliver(event);
  }
  const unsubscribe = store.subscribe(deliver);
  const timers: NodeJS.Timeout[] = [setTimeout(() => stop(), timeoutSeconds * 1000)];
  if (isTrue(query.get('allowWatchBookmarks'))) {
    timers.push(
      setInterval(
        () => send('BOOKMARK', { kind: type.kind, apiVersion: 'v1', metadata: { resourceVersion: String(store.resourceVersion) } }),
        bookmarkIntervalMs,
      ),
    );
  }
  const stop = () => {
    unsubscribe();
    for (const timer of timers) clearTimeout(timer);
    watches.delete(stop);
    if (!res.writableEnded) res.end();
  };
  watches.add(stop);
  // The response closes when the client goes away (or we end it); the request's own 'close'
  // only means its (empty) body was read.
  res.on('close', stop);
}
