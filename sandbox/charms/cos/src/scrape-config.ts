/**
 * Prometheus' scrape configuration and rules from the related charms' metrics-endpoint data, as
 * canonical/prometheus-k8s-operator's MetricsEndpointConsumer builds them
 * (lib/charms/prometheus_k8s/v0/prometheus_scrape.py): job names prefixed with
 * `juju_<identifier>_prometheus_scrape`, `*` in a target expanded into one job per unit (named
 * `<job>-<unit number>`) carrying the Juju topology labels and `juju_unit`, `instance` relabelled
 * to `<model>_<uuid>_<app>_<unit>`, and only the keys the library allows.
 */
import { createHash } from 'node:crypto';

const ALLOWED_KEYS = new Set([
  'job_name', 'metrics_path', 'static_configs', 'scrape_interval', 'scrape_timeout', 'proxy_url', 'relabel_configs',
  'metric_relabel_configs', 'sample_limit', 'label_limit', 'label_name_length_limit', 'label_value_length_limit',
  'scheme', 'basic_auth', 'tls_config', 'authorization', 'params',
]);

export interface ScrapeMetadata {
  model: string;
  model_uuid: string;
  application: string;
  charm_name?: string;
}

export type Job = Record<string, unknown>;

export class BadRelationData extends Error {}

export function parseScrapeData(bag: Readonly<Record<string, string>>): { metadata: ScrapeMetadata; jobs: Job[]; rules: { groups: unknown[] } | undefined } | undefined {
  if (bag['scrape_jobs'] === undefined || bag['scrape_metadata'] === undefined) return undefined;
  let jobs: unknown;
  let metadata: unknown;
  let rules: unknown = {};
  try {
    jobs = JSON.parse(bag['scrape_jobs']);
    metadata = JSON.parse(bag['scrape_metadata']);
    if (bag['alert_rules'] !== undefined) rules = JSON.parse(bag['alert_rules']);
  } catch (error) {
    throw new BadRelationData(`not JSON: ${(error as Error).message}`);
  }
  const meta = metadata as Partial<ScrapeMetadata> | null;
  if (!Array.isArray(jobs) || jobs.some((job) => typeof job !== 'object' || job === null)) throw new BadRelationData('scrape_jobs is not a list of jobs');
  if (typeof meta?.model !== 'string' || typeof meta.model_uuid !== 'string' || typeof meta.application !== 'string') throw new BadRelationData('scrape_metadata lacks model, model_uuid or application');
  const groups = (rules as { groups?: unknown } | null)?.groups;
  return { metadata: meta as ScrapeMetadata, jobs: jobs as Job[], rules: Array.isArray(groups) ? { groups } : undefined };
}

export const identifier = (meta: ScrapeMetadata): string => `${meta.model}_${meta.model_uuid.slice(0, 8)}_${meta.application}`.replaceAll('/', '_');

/** Unit name → address, from the provider's unit bags. */
export type Hosts = Record<string, string>;

export function expandJobs(meta: ScrapeMetadata, jobs: readonly Job[], hosts: Hosts): Job[] {
  const prefix = `juju_${identifier(meta)}_prometheus_scrape`;
  const named = jobs.map((job): Job & { job_name: string } => {
    const clean: Job = Object.fromEntries(Object.entries(job).filter(([key]) => ALLOWED_KEYS.has(key)));
    return { ...clean, job_name: typeof job['job_name'] === 'string' ? `${prefix}_${job['job_name']}` : prefix };
  });
  // Same-named jobs get the hash of their JSON appended, as the library's _dedupe_job_names does.
  const counts = new Map<string, number>();
  for (const job of named) counts.set(job.job_name, (counts.get(job.job_name) ?? 0) + 1);
  const deduped = named.map((job) => (counts.get(job.job_name)! > 1 ? { ...job, job_name: `${job.job_name}_${createHash('sha256').update(JSON.stringify(job)).digest('hex')}` } : job));

  const labels = { juju_model: meta.model, juju_model_uuid: meta.model_uuid, juju_application: meta.application, ...(meta.charm_name ? { juju_charm: meta.charm_name } : {}) };
  const expanded: Job[] = [];
  for (const job of deduped) {
    const configs = (Array.isArray(job['static_configs']) ? job['static_configs'] : []) as { targets?: string[]; labels?: Record<string, string> }[];
    for (const [unit, address] of Object.entries(hosts).sort()) {
      const targets = configs.flatMap((config) => (config.targets ?? []).filter((target) => target.startsWith('*')).map((target) => target.replace('*', address)));
      if (targets.length === 0) continue;
      expanded.push({
        ...job,
        job_name: `${job.job_name}-${unit.split('/').at(-1)}`,
        static_configs: [{ targets, labels: { ...labels, juju_unit: unit } }],
        relabel_configs: [
          ...((job['relabel_configs'] as unknown[]) ?? []),
          { source_labels: ['juju_model', 'juju_model_uuid', 'juju_application', 'juju_unit'], separator: '_', target_label: 'instance', regex: '(.*)' },
        ],
      });
    }
  }
  return expanded;
}
