/**
 * Health checks as Pebble runs them: each running check is a `perform-check` change whose task
 * checks every period; at `threshold` consecutive failures that change errors and a
 * `recover-check` change takes over until the check passes again. Plan changes start new or
 * modified checks and abort removed/modified ones immediately.
 */
import type { Logger } from '../../../src/logging.ts';
import { badRequest } from '../errors.ts';
import type { PlanManager } from '../plan/manager.ts';
import { canonical, checkPeriod, checkThreshold, checkTimeout, type Check, type Plan } from '../plan/types.ts';
import type { Change, Task } from '../state/change.ts';
import type { StateEngine } from '../state/engine.ts';
import { sleep } from '../util/timers.ts';
import { CheckFailure, runCheck, type CheckerEnv } from './checkers.ts';

export interface CheckInfo {
  name: string;
  level?: string;
  startup: string;
  status: 'up' | 'down' | 'inactive';
  successes: number;
  failures?: number;
  threshold: number;
  'change-id'?: string;
  'prev-change-id'?: string;
}

interface CheckData {
  name: string;
  level: string | undefined;
  startup: string;
  status: 'up' | 'down' | 'inactive';
  successes: number;
  failures: number;
  threshold: number;
  changeId: string;
  prevChangeId: string;
  /** Pending "run now" requests from /v1/checks/refresh, answered with the run's error. */
  refresh: Array<(error: string | undefined) => void>;
  wakeup: (() => void) | undefined;
}

interface Details {
  name: string;
  failures: number;
  successes: number;
  proceed: boolean;
}

/** Merge an exec check's service-context into its settings (Pebble's mergeServiceContext). */
function withServiceContext(plan: Plan, check: Check): Check {
  const context = check.exec?.serviceContext;
  if (!check.exec || !context) return check;
  const service = plan.services[context];
  if (!service) return check;
  const merged = structuredClone(check);
  const exec = merged.exec as NonNullable<Check['exec']>;
  exec.environment = { ...(service.environment ?? {}), ...(check.exec.environment ?? {}) };
  exec.userId = check.exec.userId ?? service.userId;
  exec.user = check.exec.user || service.user;
  exec.groupId = check.exec.groupId ?? service.groupId;
  exec.group = check.exec.group || service.group;
  exec.workingDir = check.exec.workingDir || service.workingDir;
  return merged;
}

const checkKind = (c: Check): string => (c.http ? 'HTTP' : c.tcp ? 'TCP' : c.exec ? 'exec' : '<unknown>');

export class CheckManager {
  private readonly data = new Map<string, CheckData>();
  /** Check config each running change was started with (Pebble's state cache). */
  private readonly configs = new Map<string, Check>();
  private readonly details = new Map<string, Details>();

  constructor(
    private readonly engine: StateEngine,
    private readonly plans: PlanManager,
    private readonly env: CheckerEnv,
    private readonly onThreshold: (checkName: string) => void,
    private readonly logger: Logger,
  ) {
    engine.onChangeStatusChanged((change, _old, status) => this.changeStatusChanged(change, status));
  }

  private update(config: Check, changeId: string, prevChangeId: string, successes: number, failures: number): void {
    const threshold = checkThreshold(config);
    const existing = this.data.get(config.name);
    this.data.set(config.name, {
      name: config.name,
      level: config.level,
      startup: config.startup ?? 'enabled',
      status: changeId === '' ? 'inactive' : failures >= threshold ? 'down' : 'up',
      successes,
      failures,
      threshold,
      changeId,
      prevChangeId,
      refresh: existing?.refresh ?? [],
      wakeup: existing?.wakeup,
    });
  }

  infos(): CheckInfo[] {
    return [...this.data.values()]
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
      .map((d) => {
        const info: CheckInfo = { name: d.name, startup: d.startup, status: d.status, successes: d.successes, threshold: d.threshold };
        if (d.level) info.level = d.level;
        if (d.failures) info.failures = d.failures;
        if (d.changeId) info['change-id'] = d.changeId;
        if (d.prevChangeId) info['prev-change-id'] = d.prevChangeId;
        return info;
      });
  }

  private startChange(kind: 'perform-check' | 'recover-check', config: Check, successes = 0, failures = 0): string {
    const verb = kind === 'perform-check' ? 'Perform' : 'Recover';
    const summary = `${verb} ${checkKind(config)} check "${config.name}"`;
    const task = this.engine.newTask(kind, summary, (t, signal) => this.runLoop(kind, t, signal));
    const change = this.engine.newChange(kind, summary, [task], { 'check-name': config.name });
    this.configs.set(change.id, config);
    this.details.set(change.id, { name: config.name, successes, failures, proceed: false });
    return change.id;
  }

  planChanged(plan: Plan): void {
    const newOrModified = new Set<string>();
    const existing = new Set<string>();
    for (const change of this.engine.changes()) {
      if ((change.kind !== 'perform-check' && change.kind !== 'recover-check') || change.isReady()) continue;
      const old = this.configs.get(change.id);
      if (!old) continue;
      existing.add(old.name);
      const fresh = plan.checks[old.name];
      if (fresh) {
        if (canonical(withServiceContext(plan, fresh)) === canonical(old)) continue;
        if (fresh.startup === 'disabled' && old.startup !== 'disabled') continue;
        newOrModified.add(old.name);
      }
      this.engine.abortChange(change);
      this.data.delete(old.name);
    }
    for (const check of Object.values(plan.checks)) {
      if (existing.has(check.name)) continue;
      if (check.startup !== 'disabled') newOrModified.add(check.name);
      else this.update(check, '', '', 0, 0);
    }
    for (const check of Object.values(plan.checks)) {
      if (!newOrModified.has(check.name)) continue;
      const changeId = this.startChange('perform-check', withServiceContext(plan, check));
      this.update(check, changeId, '', 0, 0);
    }
  }

  private changeStatusChanged(change: Change, status: string): void {
    const details = this.details.get(change.id);
    const config = this.configs.get(change.id);
    if (!details || !config) return;
    if (change.isReady()) this.configs.delete(change.id);
    if (!details.proceed) return;
    if (change.kind === 'perform-check' && status === 'Error') {
      const changeId = this.startChange('recover-check', config, details.successes, details.failures);
      this.update(config, changeId, change.id, details.successes, details.failures);
    } else if (change.kind === 'recover-check' && status === 'Done') {
      const changeId = this.startChange('perform-check', config);
      this.update(config, changeId, change.id, details.successes, details.failures);
    }
  }

  /** The task loop of a perform-check or recover-check change. */
  private async runLoop(kind: 'perform-check' | 'recover-check', task: Task, signal: AbortSignal): Promise<void> {
    const changeId = task.change.id;
    const config = this.configs.get(changeId);
    const details = this.details.get(changeId);
    if (!config || !details) throw new CheckFailure(`cannot get check details for ${kind} task "${task.id}"`);
    const prevChangeId = this.data.get(config.name)?.prevChangeId ?? '';
    for (;;) {
      const waiters = await this.waitForTurn(config, signal);
      if (waiters === 'stopped') return;
      let error: CheckFailure | undefined;
      try {
        await runCheck(config, checkTimeout(config), this.env, signal);
      } catch (err) {
        if (signal.aborted) return;
        error = err instanceof CheckFailure ? err : new CheckFailure(String((err as Error).message ?? err));
      }
      for (const answer of waiters) answer(error?.full);
      if (kind === 'perform-check') {
        if (error) {
          details.failures += 1;
          this.logger.info({ check: config.name, failures: details.failures }, `check failure: ${error.full}`);
          if (details.failures >= checkThreshold(config)) {
            details.proceed = true;
            this.onThreshold(config.name);
            // The task log records only the message, so fold the details into it.
            throw new CheckFailure(error.full);
          }
          task.errorf(error.full);
          this.update(config, changeId, prevChangeId, details.successes, details.failures);
        } else {
          details.successes += 1;
          if (details.failures > 0) {
            const old = details.failures;
            details.failures = 0;
            task.logf(`succeeded after ${old} ${old === 1 ? 'failure' : 'failures'}`);
          }
          this.update(config, changeId, prevChangeId, details.successes, details.failures);
        }
      } else if (error) {
        details.failures += 1;
        this.update(config, changeId, prevChangeId, details.successes, details.failures);
        task.errorf(error.full);
      } else {
        details.successes = 1;
        details.failures = 0;
        details.proceed = true;
        return;
      }
    }
  }

  /** Sleep one period, or less when a refresh is requested; returns the refresh answerers. */
  private async waitForTurn(config: Check, signal: AbortSignal): Promise<Array<(e: string | undefined) => void> | 'stopped'> {
    const data = this.data.get(config.name);
    const wake = new AbortController();
    if (data) {
      if (data.refresh.length > 0) return data.refresh.splice(0);
      data.wakeup = () => wake.abort();
    }
    try {
      await sleep(checkPeriod(config) / 1e6, AbortSignal.any([signal, wake.signal]));
    } catch {
      if (signal.aborted) return 'stopped';
    }
    const current = this.data.get(config.name);
    if (current) current.wakeup = undefined;
    return current ? current.refresh.splice(0) : [];
  }

  private requireInPlan(action: string, names: string[]): Check[] {
    const plan = this.plans.plan();
    const missing = names.filter((n) => !plan.checks[n]).sort();
    if (missing.length > 0) throw badRequest(`cannot ${action} checks: cannot find checks in plan: ${missing.join(', ')}`);
    return names.map((n) => plan.checks[n] as Check);
  }

  startChecks(names: string[]): string[] {
    const plan = this.plans.plan();
    const started: string[] = [];
    for (const check of this.requireInPlan('start', names)) {
      const data = this.data.get(check.name);
      if (!data || data.changeId !== '') continue;
      this.update(check, this.startChange('perform-check', withServiceContext(plan, check)), '', 0, 0);
      started.push(check.name);
    }
    return started.sort();
  }

  stopChecks(names: string[]): string[] {
    const stopped: string[] = [];
    for (const check of this.requireInPlan('stop', names)) {
      const data = this.data.get(check.name);
      if (!data || data.changeId === '') continue;
      const change = this.engine.change(data.changeId);
      if (change) {
        this.engine.abortChange(change);
        stopped.push(check.name);
      }
      this.update(check, '', data.prevChangeId, data.successes, data.failures);
    }
    return stopped.sort();
  }

  /** Replan starts enabled checks that are not running. */
  replan(): void {
    const plan = this.plans.plan();
    for (const check of Object.values(plan.checks)) {
      const data = this.data.get(check.name);
      if (!data || check.startup === 'disabled' || data.changeId !== '') continue;
      this.update(check, this.startChange('perform-check', withServiceContext(plan, check)), '', 0, 0);
    }
  }

  /** POST /v1/checks/refresh: run now (inside the running change if any); returns the error text. */
  async refresh(name: string, signal: AbortSignal): Promise<{ info: CheckInfo | undefined; error: string | undefined }> {
    const plan = this.plans.plan();
    const check = plan.checks[name];
    if (!check) return { info: undefined, error: undefined };
    const data = this.data.get(name);
    let error: string | undefined;
    if (!data || data.changeId === '') {
      try {
        await runCheck(withServiceContext(plan, check), checkTimeout(check), this.env, signal);
      } catch (err) {
        error = err instanceof CheckFailure ? err.full : (err as Error).message;
      }
    } else {
      error = await new Promise<string | undefined>((resolve) => {
        data.refresh.push(resolve);
        data.wakeup?.();
      });
    }
    return { info: this.infos().find((i) => i.name === name), error };
  }
}
