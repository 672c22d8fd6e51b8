/**
 * The `alert_rules` the metrics-endpoint provider publishes, built as canonical/cos-lib
 * src/cosl/rules.py `AlertRules(query_type="promql", topology)` builds them from the charm's
 * `src/prometheus_alert_rules` plus the generic `HostHealth` group: each group renamed
 * `<identifier>_<group>_alerts` (characters outside `[A-Za-z0-9_:]` become `_`), each rule given
 * the `juju_*` topology labels it does not already carry, and `%%juju_topology%%` removed from
 * its expression. Like the library without its `cos-tool` binary, expressions are otherwise left
 * as written; Prometheus' side (prometheus-k8s) injects the topology matchers.
 */
import type { JsonValue } from './python-json.ts';
import { topologyIdentifier, topologyLabels, type JujuTopology } from './topology.ts';

export interface AlertRule {
  readonly alert: string;
  readonly expr: string;
  readonly for?: string;
  readonly labels?: Readonly<Record<string, string>>;
  readonly annotations?: Readonly<Record<string, string>>;
}

export interface AlertGroup {
  readonly name: string;
  readonly rules: readonly AlertRule[];
}

/** One rules file of `src/prometheus_alert_rules`, parsed (official format: `groups`). */
export interface AlertRuleFile {
  /** Path relative to the rules directory, e.g. `patroni_rules.yaml`. */
  readonly file: string;
  readonly groups: readonly AlertGroup[];
}

/** cosl's generic application rules (`generic_alert_groups.application_rules`). */
export const HOST_HEALTH_GROUP: AlertGroup = {
  name: 'HostHealth',
  rules: [
    {
      alert: 'HostDown',
      expr: 'up < 1',
      for: '5m',
      labels: { severity: 'critical' },
      annotations: {
        summary: "Host '{{ $labels.instance }}' is down.",
        description:
          "Juju application '{{ $labels.juju_application }}' in model '{{ $labels.juju_model }}' is down. Prometheus has been unable to scrape it during at least the past five minutes.",
      },
    },
    {
      alert: 'HostMetricsMissing',
      expr: 'absent(up)',
      for: '5m',
      labels: { severity: 'warning' },
      annotations: {
        summary: "Unit '{{ $labels.juju_unit }}' of application '{{ $labels.juju_application }}' is down or failing to remote write.",
        description:
          "`Up` missing for unit '{{ $labels.juju_unit }}' of application {{ $labels.juju_application }} in model {{ $labels.juju_model }}. Please ensure the unit or the collector scraping it is up and is able to successfully reach the metrics backend.",
      },
    },
  ],
};

const sanitizeGroupName = (name: string): string => name.replace(/[^A-Za-z0-9_:]/g, '_');

function labelledGroup(group: AlertGroup, prefix: string, labels: Readonly<Record<string, string>>): AlertGroup {
  return {
    name: sanitizeGroupName([prefix, group.name, 'alerts'].filter((part) => part !== '').join('_')),
    rules: group.rules.map((rule) => ({
      ...rule,
      expr: rule.expr.replace(/%%juju_topology%%,?/g, ''),
      // Labels the rule already has win; the topology ones it lacks come after them.
      labels: { ...rule.labels, ...Object.fromEntries(Object.entries(labels).filter(([key]) => rule.labels?.[key] === undefined)) },
    })),
  };
}

/**
 * The alert rules of `files` (in path order, as the library globs them) and HostHealth, labelled
 * for `topology`; `{}` when there are none, as the library's `as_dict()`.
 */
export function labelledAlertRules(files: readonly AlertRuleFile[], topology: JujuTopology): JsonValue {
  const identifier = topologyIdentifier(topology);
  const labels = topologyLabels(topology);
  const sorted = [...files].sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
  const groups: AlertGroup[] = [];
  for (const file of sorted) {
    const dir = file.file.includes('/') ? file.file.slice(0, file.file.lastIndexOf('/')).replaceAll('/', '_') : '';
    const prefix = [identifier, dir].filter((part) => part !== '').join('_');
    groups.push(...file.groups.map((group) => labelledGroup(group, prefix, labels)));
  }
  groups.push(labelledGroup(HOST_HEALTH_GROUP, identifier, labels));
  return groups.length === 0 ? {} : ({ groups } as unknown as JsonValue);
}
