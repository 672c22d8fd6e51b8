import type { HookTools } from '../juju/hook-tools.ts';
import { PATRONI_API_PORT, POSTGRESQL_PORT } from '../workload/users.ts';

/** PostgreSQL and the Patroni REST API: what clients and peer units connect to. */
export const WORKLOAD_PORTS = [POSTGRESQL_PORT, PATRONI_API_PORT] as const;

/**
 * Open exactly the workload's ports. Reads what is open first so a hook that changes nothing
 * makes no transactional writes (the reference re-sets its ports on every hook).
 */
export async function ensureWorkloadPorts(tools: Pick<HookTools, 'openedPorts' | 'openPort' | 'closePort'>): Promise<void> {
  const opened = await tools.openedPorts();
  const isOpen = (port: number) => opened.some((p) => p.protocol === 'tcp' && p.port === port && p.toPort === undefined);
  for (const port of WORKLOAD_PORTS) {
    if (!isOpen(port)) await tools.openPort({ protocol: 'tcp', port });
  }
  for (const port of opened) {
    const wanted = port.protocol === 'tcp' && port.toPort === undefined && (WORKLOAD_PORTS as readonly number[]).includes(port.port ?? -1);
    if (!wanted) await tools.closePort(port);
  }
}
