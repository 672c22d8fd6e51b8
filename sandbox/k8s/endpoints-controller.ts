/**
 * The endpoints controller (https://kubernetes.io/docs/concepts/services-networking/service/#endpoints),
 * as a pure function: a Service with a selector gets an Endpoints object of the same name listing
 * the ready pods that match it (their podIP; all of them with `publishNotReadyAddresses`), with
 * the Service's target ports. The store commits it when it differs.
 */
import { isObject, type Json, type JsonObject } from './patch.ts';

function meta(object: JsonObject): JsonObject {
  return isObject(object['metadata']) ? object['metadata'] : {};
}

function labelsOf(object: JsonObject): Record<string, string> | undefined {
  const labels = meta(object)['labels'];
  return isObject(labels) ? (labels as Record<string, string>) : undefined;
}

/** The Endpoints object `service` should have, or undefined for a Service without a selector. */
export function desiredEndpoints(service: JsonObject, pods: readonly JsonObject[], namespace: string): JsonObject | undefined {
  if (!hasSelector(service)) return undefined;
  const spec = service['spec'] as JsonObject;
  const selector = spec['selector'] as Record<string, string>;
  const name = meta(service)['name'] as string;
  const ready = pods.filter((pod) => {
    const labels = labelsOf(pod) ?? {};
    const status = isObject(pod['status']) ? pod['status'] : {};
    const readyEnough = spec['publishNotReadyAddresses'] === true || isReady(pod);
    return Object.entries(selector).every(([k, v]) => labels[k] === v) && typeof status['podIP'] === 'string' && status['podIP'] !== '' && readyEnough;
  });
  const ports = (Array.isArray(spec['ports']) ? spec['ports'] : []).filter(isObject).map((port) => ({
    ...(port['name'] === undefined ? {} : { name: port['name'] }),
    port: typeof port['targetPort'] === 'number' ? port['targetPort'] : (port['port'] ?? 0),
    protocol: port['protocol'] ?? 'TCP',
  }));
  const addresses = ready.map((pod) => {
    const podSpec = isObject(pod['spec']) ? pod['spec'] : {};
    const podMeta = meta(pod);
    return {
      ip: (pod['status'] as JsonObject)['podIP'] as string,
      ...(typeof podSpec['hostname'] === 'string' ? { hostname: podSpec['hostname'] } : {}),
      ...(typeof podSpec['nodeName'] === 'string' ? { nodeName: podSpec['nodeName'] } : {}),
      targetRef: { kind: 'Pod', namespace, name: podMeta['name'] as string, uid: podMeta['uid'] as string },
    };
  });
  const subsets: Json = addresses.length === 0 ? [] : [{ addresses, ports }];
  const labels = labelsOf(service);
  return {
    apiVersion: 'v1',
    kind: 'Endpoints',
    metadata: { name, namespace, ...(labels === undefined ? {} : { labels: { ...labels } }) },
    subsets,
  };
}

export function hasSelector(object: JsonObject): boolean {
  const spec = object['spec'];
  return isObject(spec) && isObject(spec['selector']) && Object.keys(spec['selector']).length > 0;
}

function isReady(pod: JsonObject): boolean {
  const status = isObject(pod['status']) ? pod['status'] : {};
  const conditions = Array.isArray(status['conditions']) ? status['conditions'] : [];
  const ready = conditions.find((c) => isObject(c) && c['type'] === 'Ready');
  return ready === undefined || (isObject(ready) && ready['status'] === 'True');
}
