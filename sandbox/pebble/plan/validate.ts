/**
 * Validation of the combined plan (Pebble's Plan.Validate), run after every layer change; on
 * failure the previous plan stays in force.
 */
import { PlanFormatError } from '../errors.ts';
import { checkCycles } from './order.ts';
import type { Plan } from './types.ts';

export function validatePlan(plan: Plan): void {
  for (const [name, service] of Object.entries(plan.services)) {
    if (!service.command) throw new PlanFormatError(`plan must define "command" for service "${name}"`);
  }
  for (const [name, check] of Object.entries(plan.checks)) {
    let types = 0;
    if (check.http) {
      if (!check.http.url) throw new PlanFormatError(`plan must set "url" for http check "${name}"`);
      types++;
    }
    if (check.tcp) {
      if (!check.tcp.port) throw new PlanFormatError(`plan must set "port" for tcp check "${name}"`);
      types++;
    }
    if (check.exec) {
      if (!check.exec.command) throw new PlanFormatError(`plan must set "command" for exec check "${name}"`);
      const context = check.exec.serviceContext;
      if (context && !plan.services[context]) {
        throw new PlanFormatError(`plan check "${name}" service context specifies non-existent service "${context}"`);
      }
      types++;
    }
    if (types !== 1) {
      throw new PlanFormatError(`plan must specify one of "http", "tcp", or "exec" for check "${name}"`);
    }
  }
  for (const [name, target] of Object.entries(plan.logTargets)) {
    if (!target.type) {
      throw new PlanFormatError(
        `plan must define "type" ("loki", "opentelemetry" or "syslog") for log target "${name}"`,
      );
    }
    for (const entry of target.services ?? []) {
      const service = entry.replace(/^-/, '');
      if (service !== 'all' && !plan.services[service]) {
        throw new PlanFormatError(`log target "${name}" specifies unknown service "${service}"`);
      }
    }
    if (!target.location) throw new PlanFormatError(`plan must define "location" for log target "${name}"`);
  }
  checkCycles(plan.services);
}
