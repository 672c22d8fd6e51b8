import type { ControllerStatus } from '../controller/controller.ts';
import type { Application, PortRange, Status, Unit } from '../juju/model.ts';
import type { PatroniView } from './patroni-view.ts';

/**
 * `juju status --format json|yaml`, built from the sandbox's model: the same keys and nesting
 * (`applications → <app> → units → <unit> → workload-status {current, message, since}, ...`).
 * Additions: `patroni`, what the Patroni REST API says of the cluster, when it answers; and with
 * the Kubernetes stand-in, `services`: each Service of the model's namespace, its selector and
 * the pods behind it.
 */

export const JUJU_VERSION = '3.6.8';

/** Juju's `since` format: `26 Nov 2026 15:17:15Z`. */
export function jujuSince(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const month = d.toLocaleString('en-GB', { month: 'short', timeZone: 'UTC' });
  return `${String(d.getUTCDate()).padStart(2, '0')} ${month} ${d.getUTCFullYear()} ${d.toISOString().slice(11, 19)}Z`;
}

function statusEntry(s: Status, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { current: s.status, ...(s.message === '' ? {} : { message: s.message }), since: jujuSince(s.since), ...extra };
}

/** What Juju shows for a unit: a hook error makes the workload `error` and the agent `idle`. */
export function displayedStatuses(unit: Unit): { workload: Status; agent: Status } {
  if (unit.agentStatus.status === 'error') {
    return { workload: { ...unit.agentStatus, status: 'error' }, agent: { ...unit.agentStatus, status: 'idle', message: '' } };
  }
  return { workload: unit.workloadStatus, agent: unit.agentStatus };
}

const SEVERITY = ['error', 'blocked', 'maintenance', 'waiting', 'active', 'unknown', 'terminated'];

/** The application's status: what its leader set, else the most severe of its units'. */
export function applicationStatus(app: Application, units: Unit[]): Status {
  if (app.status.status !== 'unknown' || units.length === 0) return app.status;
  const shown = units.map((u) => displayedStatuses(u).workload);
  return shown.reduce((worst, s) => (SEVERITY.indexOf(s.status) < SEVERITY.indexOf(worst.status) ? s : worst));
}

/** `5432/tcp`, `8000-8010/udp`, `icmp`. */
export function formatPort(p: PortRange): string {
  if (p.protocol === 'icmp') return 'icmp';
  return `${p.from === p.to ? p.from : `${p.from}-${p.to}`}/${p.protocol}`;
}

export function unitsOfApp(status: ControllerStatus, app: string): Unit[] {
  return Object.values(status.model.units)
    .filter((u) => u.app === app)
    .sort((a, b) => Number(a.name.split('/')[1]) - Number(b.name.split('/')[1]));
}

export function statusDocument(status: ControllerStatus, patroni: Record<string, PatroniView>, now = new Date()): Record<string, unknown> {
  const { model } = status;
  const applications: Record<string, unknown> = {};
  for (const app of Object.values(model.applications)) {
    const units = unitsOfApp(status, app.name);
    const relations: Record<string, unknown[]> = {};
    for (const relation of model.relations) {
      const own = relation.endpoints.find((e) => e.app === app.name);
      if (!own) continue;
      const other = relation.endpoints.find((e) => e !== own) ?? own;
      (relations[own.name] ??= []).push({ 'related-application': other.app, interface: relation.interface, scope: 'global' });
    }
    const unitDocs: Record<string, unknown> = {};
    for (const unit of units) {
      const { workload, agent } = displayedStatuses(unit);
      unitDocs[unit.name] = {
        'workload-status': statusEntry(workload),
        'juju-status': statusEntry(agent, { version: JUJU_VERSION }),
        ...(model.applications[unit.app]?.leader === unit.name ? { leader: true } : {}),
        ...(unit.life === 'dying' ? { life: 'dying' } : {}),
        address: unit.address,
        ...(unit.openedPorts.length > 0 ? { 'open-ports': unit.openedPorts.map(formatPort) } : {}),
        'provider-id': unit.name.replace('/', '-'),
        ...(patroni[unit.name] ? { patroni: patroni[unit.name] } : {}),
      };
    }
    applications[app.name] = {
      charm: `local:${app.charm.name}-0`,
      'charm-origin': 'local',
      'charm-name': app.charm.name,
      'charm-rev': 0,
      scale: units.length,
      exposed: false,
      'application-status': statusEntry(applicationStatus(app, units)),
      relations,
      units: unitDocs,
    };
  }
  return {
    model: {
      name: model.name,
      type: model.type,
      controller: 'sandbox',
      cloud: 'sandbox',
      region: 'local',
      version: JUJU_VERSION,
      'model-status': { current: 'available', since: jujuSince(now.toISOString()) },
      sla: 'unsupported',
    },
    machines: {},
    applications,
    storage: {},
    controller: { timestamp: now.toISOString().slice(11, 19) + 'Z' },
    ...(status.services === undefined
      ? {}
      : {
          services: Object.fromEntries(
            status.services.map((s) => [s.name, { type: s.type, 'cluster-ip': s.clusterIP, selector: s.selector, ports: s.ports, endpoints: s.endpoints }]),
          ),
        }),
  };
}
