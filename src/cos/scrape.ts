/**
 * The `metrics-endpoint` provider's data (interface prometheus_scrape, as
 * canonical/prometheus-k8s-operator lib/charms/prometheus_k8s/v0/prometheus_scrape.py's
 * MetricsEndpointProvider writes it). The jobs are the reference charm's
 * (canonical/postgresql-k8s-operator src/charm.py, `MetricsEndpointProvider(jobs=…)`): the
 * PostgreSQL exporter, the pgBackRest exporter and Patroni's REST API, whose scheme follows TLS.
 * `*` in a target stands for each unit's address, which every unit publishes in its own bag.
 */
import { pythonJsonDumpsValue, type JsonValue } from './python-json.ts';
import { topologyDict, type JujuTopology } from './topology.ts';

export const POSTGRESQL_EXPORTER_PORT = 9187;
export const PGBACKREST_EXPORTER_PORT = 9854;
export const PATRONI_API_PORT = 8008;

/** The library's DEFAULT_JOB: merged under every job before its own keys. */
const DEFAULT_JOB = { metrics_path: '/metrics', static_configs: [{ targets: ['*:80'] }] } as const;

export type ScrapeJob = { readonly [key: string]: JsonValue };

function sanitized(job: ScrapeJob): ScrapeJob {
  return { ...DEFAULT_JOB, ...job };
}

/** The three jobs, as sanitised by the library (DEFAULT_JOB first, then the job's keys). */
export function scrapeJobs(patroniTls: boolean): ScrapeJob[] {
  return [
    sanitized({ static_configs: [{ targets: [`*:${POSTGRESQL_EXPORTER_PORT}`] }] }),
    sanitized({ static_configs: [{ targets: [`*:${PGBACKREST_EXPORTER_PORT}`] }] }),
    sanitized({
      static_configs: [{ targets: [`*:${PATRONI_API_PORT}`] }],
      scheme: patroniTls ? 'https' : 'http',
      // Prometheus has no CA for the member certificates; the reference skips verification too.
      tls_config: { insecure_skip_verify: true },
    }),
  ];
}

/** What the leader writes in our application bag of every metrics-endpoint relation. */
export function metricsEndpointAppBag(input: {
  readonly topology: JujuTopology;
  readonly patroniTls: boolean;
  readonly alertRules: JsonValue;
}): Record<string, string> {
  return {
    scrape_metadata: pythonJsonDumpsValue(topologyDict(input.topology)),
    scrape_jobs: pythonJsonDumpsValue(scrapeJobs(input.patroniTls)),
    alert_rules: pythonJsonDumpsValue(input.alertRules),
  };
}

/**
 * What each unit writes in its own bag: where Prometheus reaches it. An empty path is the
 * library's `""`, which a relation bag cannot hold (the key is absent).
 */
export function metricsEndpointUnitBag(address: string, unitName: string): Record<string, string> {
  return {
    prometheus_scrape_unit_address: address,
    prometheus_scrape_unit_name: unitName,
    prometheus_scrape_unit_path: '',
  };
}
