/**
 * The metrics exporter's health in the unit's status. Pebble restarts the exporter when it dies
 * (on-failure restart, with backoff); when it stays down — in backoff between failed restarts, or
 * in error after a start that failed at once — Prometheus gets no PostgreSQL metrics from this
 * unit, and the status says so. The database is unaffected, so the unit stays Active (its peers
 * and clients keep using it) and the note follows the usual message. The exporter's Pebble check
 * (workload/layer.ts) fires pebble-check-failed and -recovered, whose reconcile sets and clears it.
 */
import type { ServiceInfo } from '../../pebble/index.ts';
import { errorCode } from '../../errors.ts';
import { SERVICE_METRICS } from '../../workload/index.ts';
import type { HandlerDeps } from '../deps.ts';
import type { ComputedStatus } from './status.ts';

/** Pebble's states for a service it cannot keep running. */
const DOWN_STATES: ReadonlySet<string> = new Set(['backoff', 'error']);

/** The note for an enabled exporter Pebble cannot keep up; undefined when it runs or is meant to be off. */
export function exporterDownNote(service: Pick<ServiceInfo, 'startup' | 'current'> | undefined): string | undefined {
  if (service === undefined || service.startup !== 'enabled' || !DOWN_STATES.has(service.current)) return undefined;
  return `metrics exporter down (${SERVICE_METRICS}: ${service.current})`;
}

/** An Active status with the note after its message; any other status as it is. */
export function withExporterNote(status: ComputedStatus, note: string | undefined): ComputedStatus {
  if (note === undefined || status.status !== 'active') return status;
  return { status: 'active', message: status.message === '' ? note : `${status.message}; ${note}` };
}

/**
 * Ask Pebble about the exporter; a Pebble that does not answer adds no note (logged). Pebble
 * retries a service in backoff itself but leaves one in error (its start failed at once) alone,
 * so that one is started again here, once per reconcile.
 */
export async function exporterNote(deps: Pick<HandlerDeps, 'pebble' | 'logger'>): Promise<string | undefined> {
  try {
    const pebble = await deps.pebble();
    let [service] = await pebble.services([SERVICE_METRICS]);
    if (service?.startup === 'enabled' && service.current === 'error') {
      await pebble.restart([SERVICE_METRICS]).catch((error: unknown) => deps.logger.warn({ err: error, code: errorCode(error) }, 'the metrics exporter failed to start again'));
      [service] = await pebble.services([SERVICE_METRICS]);
    }
    const note = exporterDownNote(service);
    if (note !== undefined) deps.logger.warn({ service: SERVICE_METRICS, current: service?.current }, 'the metrics exporter is down; see its log (pebble logs metrics_server)');
    return note;
  } catch (error) {
    deps.logger.warn({ err: error, code: errorCode(error) }, 'cannot read the metrics exporter\'s state');
    return undefined;
  }
}
