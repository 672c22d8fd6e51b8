/**
 * Start/stop ordering (canonical/pebble internals/plan/plan.go `StartOrder`/`StopOrder`):
 * `requires` pulls services in, `after`/`before` order them, a before/after cycle is an error, and
 * the ordered names are split into lanes (a service shares its lane with the services it requires).
 */
import { PlanFormatError } from '../errors.ts';
import type { Service } from './types.ts';

/**
 * Tarjan's strongly-connected components over "must come after" edges. Components come out
 * dependencies-first; roots are visited in sorted order so the result is stable.
 */
function tarjanSort(successors: Map<string, string[]>): string[][] {
  const index = new Map<string, number>();
  const lowlink: number[] = [];
  const stacked: boolean[] = [];
  const stack: string[] = [];
  const output: string[][] = [];

  const connect = (id: string): number => {
    const myIndex = lowlink.length;
    index.set(id, myIndex);
    lowlink.push(myIndex);
    stacked.push(true);
    stack.push(id);
    for (const succ of successors.get(id) ?? []) {
      const seen = index.get(succ);
      if (seen === undefined) {
        const succIndex = connect(succ);
        lowlink[myIndex] = Math.min(lowlink[myIndex] ?? myIndex, lowlink[succIndex] ?? succIndex);
      } else if (stacked[seen]) {
        lowlink[myIndex] = Math.min(lowlink[myIndex] ?? myIndex, seen);
      }
    }
    if (lowlink[myIndex] === myIndex) {
      const component: string[] = [];
      for (;;) {
        const top = stack.pop() as string;
        stacked[index.get(top) as number] = false;
        component.push(top);
        if (top === id) break;
      }
      output.push(component.length > 1 ? component.sort() : component);
    }
    return myIndex;
  };

  for (const id of [...successors.keys()].sort()) if (!index.has(id)) connect(id);
  return output;
}

function order(services: Record<string, Service>, names: string[], stop: boolean): string[] {
  const predecessors = new Map<string, string[]>();
  if (stop) {
    for (const [name, service] of Object.entries(services)) {
      for (const req of service.requires ?? []) predecessors.set(req, [...(predecessors.get(req) ?? []), name]);
    }
  }
  const successors = new Map<string, string[]>();
  const pending = [...names];
  for (let i = 0; i < pending.length; i++) {
    const name = pending[i] as string;
    if (successors.has(name)) continue;
    successors.set(name, []);
    if (stop) pending.push(...(predecessors.get(name) ?? []));
    else {
      const service = services[name];
      if (!service) throw new PlanFormatError(`service "${name}" does not exist`);
      pending.push(...(service.requires ?? []));
    }
  }
  for (const name of [...successors.keys()].sort()) {
    const service = services[name];
    if (!service) throw new PlanFormatError(`service "${name}" does not exist`);
    let after = service.after ?? [];
    let before = service.before ?? [];
    if (stop) [after, before] = [before, after];
    const succs = successors.get(name) ?? [];
    for (const a of after) if (successors.has(a)) succs.push(a);
    successors.set(name, succs);
    for (const b of before) successors.get(b)?.push(name);
  }
  const result: string[] = [];
  for (const component of tarjanSort(successors)) {
    if (component.length > 1) throw new PlanFormatError(`services in before/after loop: ${component.join(', ')}`);
    result.push(component[0] as string);
  }
  return result;
}

function createLanes(names: string[], services: Record<string, Service>): string[][] {
  const laneOf = new Map<string, number>();
  let lane = -1;
  let maxLane = 0;
  const assign = (service: Service, to: number) => {
    laneOf.set(service.name, to);
    for (const dep of service.requires ?? []) laneOf.set(dep, to);
  };
  for (const name of names) {
    const service = services[name];
    if (!service) throw new PlanFormatError(`service "${name}" does not exist`);
    const own = laneOf.get(name);
    const viaDep = (service.requires ?? []).map((d) => laneOf.get(d)).find((l) => l !== undefined);
    if (own !== undefined) lane = own;
    else if (viaDep !== undefined) lane = viaDep;
    else lane += 1;
    assign(service, lane);
    maxLane = Math.max(maxLane, lane);
  }
  const lanes: string[][] = Array.from({ length: maxLane + 1 }, () => []);
  for (const name of names) lanes[laneOf.get(name) as number]?.push(name);
  return lanes.filter((l) => l.length > 0);
}

/** Services to start (with their requirements), in order, in lanes. */
export function startOrder(services: Record<string, Service>, names: string[]): string[][] {
  return createLanes(order(services, names, false), services);
}

/** Services to stop (with the services requiring them), in order, in lanes. */
export function stopOrder(services: Record<string, Service>, names: string[]): string[][] {
  return createLanes(order(services, names, true), services);
}

/** Throws if the whole plan's before/after graph has a cycle. */
export function checkCycles(services: Record<string, Service>): void {
  order(services, Object.keys(services), false);
}
