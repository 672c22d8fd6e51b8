/**
 * Any JSON value as Python's `json.dumps(value)` writes it with its defaults (separators `", "`
 * and `": "`, `ensure_ascii=True`, keys in the given order; `sort_keys` sorts them). The COS
 * libraries (canonical/prometheus-k8s-operator lib/charms/prometheus_k8s/v0/prometheus_scrape.py,
 * canonical/grafana-k8s-operator lib/charms/grafana_k8s/v0/grafana_dashboard.py) write their
 * relation data this way; writing the same bytes keeps our bags comparable with the reference's.
 * A float that is whole prints as an integer here (JavaScript keeps no int/float distinction);
 * every reader parses it to the same number.
 */
import { pythonJsonString } from '../relations/python-json.ts';

export type JsonValue = string | number | boolean | null | readonly JsonValue[] | { readonly [key: string]: JsonValue };

export function pythonJsonDumpsValue(value: JsonValue, options: { sortKeys?: boolean } = {}): string {
  if (value === null) return 'null';
  if (typeof value === 'string') return pythonJsonString(value);
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new RangeError(`not a JSON number: ${value}`);
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${(value as readonly JsonValue[]).map((item) => pythonJsonDumpsValue(item, options)).join(', ')}]`;
  const entries = Object.entries(value as Record<string, JsonValue>);
  if (options.sortKeys === true) entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([key, item]) => `${pythonJsonString(key)}: ${pythonJsonDumpsValue(item, options)}`).join(', ')}}`;
}
