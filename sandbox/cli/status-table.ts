import type { ControllerStatus } from '../controller/controller.ts';
import type { PatroniView } from './patroni-view.ts';
import { applicationStatus, displayedStatuses, formatPort, JUJU_VERSION, unitsOfApp } from './status-model.ts';

/** `juju status` as a table: the model line, then App and Unit tables (leader marked `*`). */

function table(rows: string[][], rightAligned: ReadonlySet<number> = new Set()): string[] {
  const widths = rows[0]!.map((_, col) => Math.max(...rows.map((r) => (r[col] ?? '').length)));
  return rows.map((row) =>
    row
      .map((cell, col) => (col === row.length - 1 ? cell : rightAligned.has(col) ? cell.padStart(widths[col]!) : cell.padEnd(widths[col]!)))
      .join('  ')
      .trimEnd(),
  );
}

function portsOf(ports: string[]): string {
  // Juju groups ports by protocol: 5432,8008/tcp
  const byProtocol = new Map<string, string[]>();
  for (const port of ports) {
    const [number, protocol = ''] = port.split('/');
    byProtocol.set(protocol, [...(byProtocol.get(protocol) ?? []), number!]);
  }
  return [...byProtocol].map(([protocol, numbers]) => (protocol === '' ? numbers.join(',') : `${numbers.join(',')}/${protocol}`)).join(' ');
}

/** The hook an executing agent runs, as Juju prefixes the message: `(install) ...`. */
function hookPrefix(agentMessage: string): string {
  const match = /^running (.+) hook$/.exec(agentMessage) ?? /^running action (.+)$/.exec(agentMessage);
  return match ? `(${match[1]}) ` : '';
}

export function statusTable(status: ControllerStatus, patroni: Record<string, PatroniView>, now = new Date()): string {
  const { model } = status;
  const lines = table([
    ['Model', 'Controller', 'Cloud/Region', 'Version', 'SLA', 'Timestamp'],
    [model.name, 'sandbox', 'sandbox/local', JUJU_VERSION, 'unsupported', `${now.toISOString().slice(11, 19)}Z`],
  ]);
  const apps = Object.values(model.applications);
  if (apps.length === 0) return [...lines, '', `Model "${model.name}" is empty.`].join('\n');

  const appRows = [['App', 'Version', 'Status', 'Scale', 'Charm', 'Channel', 'Rev', 'Address', 'Exposed', 'Message']];
  const unitRows = [['Unit', 'Workload', 'Agent', 'Address', 'Ports', 'Message']];
  for (const app of apps) {
    const units = unitsOfApp(status, app.name);
    const appStatus = applicationStatus(app, units);
    const version = units.find((u) => u.workloadVersion !== '')?.workloadVersion ?? '';
    appRows.push([app.name, version, appStatus.status, String(units.length), app.charm.name, '', '0', '', 'no', appStatus.message]);
    for (const unit of units) {
      const { workload, agent } = displayedStatuses(unit);
      const leader = app.leader === unit.name ? '*' : '';
      const message = `${agent.status === 'executing' ? hookPrefix(agent.message) : ''}${workload.message}`;
      unitRows.push([`${unit.name}${leader}`, workload.status, agent.status, unit.address, portsOf(unit.openedPorts.map(formatPort)), message]);
    }
  }
  lines.push('', ...table(appRows, new Set([3])), '', ...table(unitRows));

  // The Kubernetes stand-in's Services (with --dcs kubernetes): what each selects, and the pods
  // behind it, which is what its DNS names resolve to in the pods.
  if (status.services !== undefined && status.services.length > 0) {
    const rows = [['Service', 'Type', 'Selector', 'Endpoints']];
    for (const service of status.services) {
      const selector = Object.entries(service.selector).map(([k, v]) => `${k}=${v}`).join(',');
      const endpoints = service.endpoints.map((e) => (e.pod === '' ? e.ip : `${e.pod}(${e.ip})`)).join(' ');
      rows.push([service.name, service.type, selector === '' ? '-' : selector, endpoints === '' ? '-' : endpoints]);
    }
    lines.push('', ...table(rows));
  }

  const members = Object.entries(patroni);
  if (members.length > 0) {
    const rows = [['Patroni member', 'Role', 'State', 'Lag']];
    for (const [unit, view] of members) rows.push([unit, view.role === 'leader' || view.role === 'master' ? 'primary' : view.role, view.state, view.lag === undefined ? '' : String(view.lag)]);
    lines.push('', ...table(rows));
  }
  return lines.join('\n');
}
