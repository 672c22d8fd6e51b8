/**
 * The `grafana-dashboard` provider's data (interface grafana_dashboard, as
 * canonical/grafana-k8s-operator lib/charms/grafana_k8s/v0/grafana_dashboard.py's
 * GrafanaDashboardProvider and canonical/cos-lib src/cosl/grafana_dashboard.py write it).
 * Each dashboard file of `src/grafana_dashboards` gets a stable "Path40" uid (so Grafana updates
 * rather than duplicates it across revisions) and a `charm: <name>` tag, then travels LZMA (xz)
 * compressed and base64-encoded. That part is fixed per charm revision, so the build makes it
 * (scripts/cos-assets.ts); a hook only wraps the templates with the topology and a fresh `uuid`.
 */
import { createHash } from 'node:crypto';
import { pythonJsonDumpsValue, type JsonValue } from './python-json.ts';
import type { JujuTopology } from './topology.ts';

/** Where the reference keeps its dashboards; part of each uid, so ours match its uids. */
export const DASHBOARDS_DIR = 'src/grafana_dashboards';

const shake256Hex = (text: string, bytes: number): string => createHash('shake256', { outputLength: bytes }).update(text, 'utf8').digest('hex');

/** cosl `DashboardPath40UID.generate`: 40 hex characters from the charm name and the file path. */
export function dashboardPath40Uid(charmName: string, relativePath: string): string {
  return shake256Hex(`${charmName}-${relativePath}`, 20);
}

export function isPath40Uid(uid: unknown): boolean {
  return typeof uid === 'string' && /^[0-9a-f]{40}$/.test(uid);
}

/** The library's `dashboard_alt_uid`: 16 hex characters from the charm name and template key. */
export function dashboardAltUid(charmName: string, key: string): string {
  return shake256Hex(`${charmName}-${key}`, 8);
}

/** `file:<stem>` for `postgresql-metrics.json`. */
export function dashboardTemplateKey(fileName: string): string {
  return `file:${fileName.replace(/(\.json\.tmpl|\.json|\.tmpl)$/, '')}`;
}

/** The dashboard as it is compressed: Path40 uid (unless it has one) and the charm tag. */
export function prepareDashboard(dashboard: Readonly<Record<string, JsonValue>>, charmName: string, fileName: string): Record<string, JsonValue> {
  const prepared: Record<string, JsonValue> = { ...dashboard };
  if (!isPath40Uid(prepared['uid'])) prepared['uid'] = dashboardPath40Uid(charmName, `${DASHBOARDS_DIR}/${fileName}`);
  const tags = Array.isArray(prepared['tags']) ? [...(prepared['tags'] as JsonValue[])] : [];
  if (!tags.some((tag) => typeof tag === 'string' && tag.startsWith('charm: '))) tags.push(`charm: ${charmName}`);
  prepared['tags'] = tags;
  return prepared;
}

/** The text that is compressed: `json.dumps(dashboard)`. */
export function dashboardText(prepared: Readonly<Record<string, JsonValue>>): string {
  return pythonJsonDumpsValue(prepared);
}

/** A compressed dashboard, as the build leaves it for the charm. */
export interface PackedDashboard {
  /** `file:<stem>`. */
  readonly key: string;
  /** xz-compressed `json.dumps` of the prepared dashboard, base64. */
  readonly content: string;
}

/** Our application bag's `dashboards` value, minus the `uuid` (see dashboardsBagValue). */
export function dashboardTemplates(dashboards: readonly PackedDashboard[], charmName: string, topology: JujuTopology): Record<string, JsonValue> {
  const templates: Record<string, JsonValue> = {};
  for (const { key, content } of dashboards) {
    templates[key] = {
      charm: charmName,
      content,
      juju_topology: { model: topology.model, model_uuid: topology.modelUuid, application: topology.application, unit: topology.unit },
      inject_dropdowns: true,
      dashboard_alt_uid: dashboardAltUid(charmName, key),
    };
  }
  return templates;
}

/**
 * `{"templates": …, "uuid": …}`. The library writes a fresh uuid4 on every write so that Juju
 * always sees a change; the caller writes only when the templates changed, with a new uuid.
 */
export function dashboardsBagValue(templates: Record<string, JsonValue>, uuid: string): string {
  return pythonJsonDumpsValue({ templates, uuid });
}
