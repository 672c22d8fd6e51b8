import type { ChildProcess } from 'node:child_process';
import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { errorMessage } from '../../src/errors.ts';
import type { HookToolAgent } from '../juju/agent.ts';
import type { ModelEvent } from '../juju/engine/index.ts';
import { finishAction, startAction, status, type Model, type Status } from '../juju/model.ts';
import { afterHookStatus, beforeHookStatus } from './agent-status.ts';
import type { DebugLog } from './debug-log.ts';
import { DispatchError } from './errors.ts';
import { buildHookEnvironment, type EnvironmentSettings } from './hook-environment.ts';
import { type DispatchEnd, endNote, missingNote, type Note, startNote } from './hook-notes.ts';
import { identifyDispatch, type RunningDispatch } from './orphans.ts';
import { dispatchPath, hookEnvOf, type QueuedEvent } from './queued-event.ts';
import { signalProcessTree, type UnitRuntime } from './runtime.ts';

/**
 * Runs ONE hook or action for one unit the way the Juju unit agent does (docs/hook-tools.md:
 * dispatch, environment, what a failed hook undoes): open a hook-tool context, start
 * `<charmDir>/dispatch` with the full environment and the charm dir as working directory, file its
 * output in the unit's debug log, then commit the context if it exited 0 and discard it otherwise.
 * Hook failures put the unit's agent in error; retrying them is the scheduler's job. It notes each
 * dispatch's start and end (exit code, duration) in the debug log, and tells `tracker` which
 * process runs it (see orphans.ts).
 */

export interface DispatchOutcome {
  ok: boolean;
  exitCode: number | null;
  signal: string | null;
  /** Stopped because the controller is shutting down; the scheduler runs it again later. */
  aborted: boolean;
  /** Hooks that the committed (or, for immediate changes, discarded) context causes elsewhere. */
  events: ModelEvent[];
  durationMs: number;
}

export interface DispatchRunnerOptions {
  agent: HookToolAgent;
  runtime: UnitRuntime;
  debugLog: DebugLog;
  environment: EnvironmentSettings;
  /** The unit's own charm directory, made ready for its dispatch (a path the runtime sees at the same place). */
  charmDir: (unit: string) => string | Promise<string>;
  /** Variables the sandbox passes through to this unit's dispatches. */
  extraEnv?: (unit: string) => Record<string, string>;
  /** Between SIGTERM and SIGKILL when a dispatch is aborted. */
  killGraceMs?: number;
  /** Persist the model after a change the runner made itself (statuses, action records). */
  persist: () => void;
  /** Hears which process runs each unit's dispatch, and when it is over. */
  tracker?: DispatchTracker;
}

export interface DispatchTracker {
  started(unit: string, dispatch: RunningDispatch): void;
  finished(unit: string): void;
}

/** Cap on the stdout/stderr an action keeps in its results. */
const MAX_CAPTURE = 1 << 20;

interface ProcessEnd extends DispatchEnd {
  stdout: string;
  stderr: string;
}

export class DispatchRunner {
  constructor(private readonly options: DispatchRunnerOptions) {}

  private get model(): Model {
    return this.options.agent.model;
  }

  async run(event: QueuedEvent, abort?: AbortSignal): Promise<DispatchOutcome> {
    const started = performance.now();
    const unit = this.model.units[event.unit];
    if (!unit) throw new DispatchError(`unit "${event.unit}" is not in the model`);
    if (event.kind === 'action') {
      const action = this.model.actions[event.actionId];
      // Aborted or already finished (e.g. before a restart): nothing left to run.
      if (action?.status !== 'pending') return { ok: true, exitCode: null, signal: null, aborted: false, events: [], durationMs: 0 };
      startAction(this.model, event.actionId);
    }
    const previousAgentStatus = unit.agentStatus;
    unit.agentStatus = status('executing', event.kind === 'hook' ? `running ${event.hook} hook` : `running action ${event.name}`);
    if (event.kind === 'hook') beforeHookStatus(unit, event.hook);
    const workloadStatusBefore = unit.workloadStatus; // status-set replaces it (tools/unit.ts)
    this.options.persist();

    const context = this.options.agent.openContext(hookEnvOf(event));
    let end: ProcessEnd;
    try {
      const charmDir = await this.options.charmDir(event.unit);
      const program = await findDispatch(charmDir, event);
      if (program === null) {
        this.note(event, missingNote(event));
        end = { exitCode: 0, signal: null, aborted: false, stdout: '', stderr: '' }; // Juju: a no-op
      } else {
        this.note(event, startNote(event));
        const env = buildHookEnvironment({
          model: this.model,
          event,
          charmDir,
          agentEnv: this.options.agent.environment(context.id),
          extraEnv: this.options.extraEnv?.(event.unit),
          settings: this.options.environment,
        });
        end = await this.supervise(event, context.id, () => this.options.runtime.spawn(event.unit, [program], { env, cwd: charmDir }), abort);
      }
    } catch (error) {
      end = { exitCode: null, signal: null, aborted: false, stdout: '', stderr: '', spawnError: errorMessage(error) };
    }

    const exited = end.exitCode === 0 && !end.aborted;
    const report = exited ? await this.options.agent.commit(context.id) : await this.options.agent.discard(context.id);
    // Refused changes fail the hook (or action) as Juju's HookContext.Flush does, exit 0 or not.
    if (report.error !== undefined) end = { ...end, commitError: report.error };
    const ok = exited && report.error === undefined;
    if (ok && event.kind === 'hook' && this.model.units[event.unit]) {
      const current = this.model.units[event.unit]!;
      afterHookStatus(current, event.hook, current.workloadStatus !== workloadStatusBefore);
    }
    this.record(event, ok, end, previousAgentStatus);
    const durationMs = performance.now() - started;
    this.note(event, endNote(event, end, durationMs));
    return { ok, exitCode: end.exitCode, signal: end.signal, aborted: end.aborted, events: report.events, durationMs };
  }

  private record(event: QueuedEvent, ok: boolean, end: ProcessEnd, previousAgentStatus: Status): void {
    const unit = this.model.units[event.unit];
    if (event.kind === 'action') {
      const action = this.model.actions[event.actionId];
      if (action && action.message === '' && end.exitCode === null) {
        action.message = end.spawnError ?? `terminated${end.signal ? ` by ${end.signal}` : ''}`;
      }
      if (action && end.commitError !== undefined) {
        // finalizeAction (worker/uniter/runner/context/context.go): the flush error joins stderr, fails the action.
        if (action.message === '') action.message = 'committing requested changes failed';
        const stderr = end.stderr === '' ? end.commitError : `${end.stderr}\n${end.commitError}`;
        finishAction(this.model, event.actionId, { exitCode: end.exitCode === 0 ? 1 : (end.exitCode ?? -1), stdout: end.stdout, stderr });
      } else if (action) finishAction(this.model, event.actionId, { exitCode: end.exitCode ?? -1, stdout: end.stdout, stderr: end.stderr });
      // A failed action does not block the unit: its agent goes back to what it was.
      if (unit) unit.agentStatus = previousAgentStatus;
    } else if (unit) {
      if (ok) unit.agentStatus = status('idle');
      else if (end.aborted) unit.agentStatus = previousAgentStatus;
      else unit.agentStatus = { ...status('error', `hook failed: "${event.hook}"`), data: { hook: event.hook } };
    }
    this.options.persist();
  }

  /**
   * Start the process, file its output, and wait for it for as long as it takes: Juju's runner
   * (worker/uniter/runner/runner.go, runCharmHookWithLocation) waits on a hook or action with no
   * deadline (only `juju exec` commands take a timeout), so a hung hook keeps its unit executing
   * until it ends, the unit is removed with --force, or the controller stops.
   */
  private async supervise(event: QueuedEvent, contextId: string, start: () => ChildProcess, abort?: AbortSignal): Promise<ProcessEnd> {
    const child = start();
    const tracked = this.track(event, contextId, child);
    const label = event.kind === 'hook' ? event.hook : `action:${event.name}`;
    const captured = { stdout: '', stderr: '' };
    const drained: Array<Promise<void>> = [];
    for (const stream of ['stdout', 'stderr'] as const) {
      const readable = child[stream];
      if (!readable) continue;
      readable.setEncoding('utf8');
      readable.on('data', (chunk: string) => {
        if (captured[stream].length < MAX_CAPTURE) captured[stream] += chunk.slice(0, MAX_CAPTURE - captured[stream].length);
      });
      drained.push(this.fileLines(readable, event.unit, label, stream));
    }

    let aborted = false;
    let killTimer: NodeJS.Timeout | undefined;
    const stop = () => {
      signalProcessTree(child, 'SIGTERM');
      killTimer ??= setTimeout(() => signalProcessTree(child, 'SIGKILL'), this.options.killGraceMs ?? 5_000);
    };
    const onAbort = () => {
      aborted = true;
      stop();
    };
    if (abort?.aborted) onAbort();
    abort?.addEventListener('abort', onAbort, { once: true });

    const exit = await new Promise<{ exitCode: number | null; signal: string | null; spawnError?: string }>((resolve) => {
      child.once('exit', (exitCode, signal) => resolve({ exitCode, signal }));
      child.once('error', (error) => resolve({ exitCode: null, signal: null, spawnError: errorMessage(error) }));
    });
    clearTimeout(killTimer);
    abort?.removeEventListener('abort', onAbort);
    if (await tracked) this.options.tracker?.finished(event.unit);
    // Output still in the pipes arrives shortly after exit; a background process that kept the
    // pipes open must not hold the unit forever.
    await Promise.race([Promise.all(drained), new Promise((resolve) => setTimeout(resolve, 2_000).unref())]);
    child.stdout?.destroy();
    child.stderr?.destroy();
    return { ...exit, aborted, ...captured };
  }

  private fileLines(readable: Readable, unit: string, hook: string, stream: 'stdout' | 'stderr'): Promise<void> {
    const lines = createInterface({ input: readable, crlfDelay: Infinity });
    lines.on('line', (line) => this.options.debugLog.write({ unit, hook, stream, line }));
    return new Promise((resolve) => lines.once('close', () => resolve()));
  }

  /** Tell the tracker which process runs the dispatch; false when there is nothing to tell. */
  private async track(event: QueuedEvent, contextId: string, child: ChildProcess): Promise<boolean> {
    const { tracker } = this.options;
    if (!tracker || child.pid === undefined) return false;
    const identity = await identifyDispatch(child.pid);
    if (identity === null) return false; // it is gone already: nothing could be orphaned
    tracker.started(event.unit, { pid: child.pid, ...identity, contextId, event, startedAt: new Date().toISOString() });
    return true;
  }

  private note(event: QueuedEvent, note: Note): void {
    const hook = event.kind === 'hook' ? event.hook : `action:${event.name}`;
    this.options.debugLog.write({ unit: event.unit, hook, stream: 'controller', level: note.level, line: note.line });
  }
}

async function isExecutable(file: string): Promise<boolean> {
  try {
    await access(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** `dispatch` if the charm has one, else the legacy per-event file, else null (a no-op). */
async function findDispatch(charmDir: string, event: QueuedEvent): Promise<string | null> {
  const dispatch = path.join(charmDir, 'dispatch');
  if (await isExecutable(dispatch)) return dispatch;
  const legacy = path.join(charmDir, dispatchPath(event));
  return (await isExecutable(legacy)) ? legacy : null;
}
