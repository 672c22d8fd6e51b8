import { type HookTool, runTool, type ToolIo, type ToolOutcome } from './command.ts';
import type { HookContext } from './context.ts';
import { StdinRequiredError } from './errors.ts';
import { actionFail, actionGet, actionLog, actionSet } from './tools/action.ts';
import { credentialGet, goalState, resourceGet } from './tools/model-info.ts';
import { closePort, networkGet, openedPorts, openPort } from './tools/network.ts';
import { relationGet, relationIds, relationList, relationModelGet, relationSet } from './tools/relation.ts';
import { secretAdd, secretGet, secretGrant, secretIds, secretInfoGet, secretRemove, secretRevoke, secretSet } from './tools/secret.ts';
import { stateDelete, stateGet, stateSet, storageAdd, storageGet, storageList } from './tools/state-storage.ts';
import { applicationVersionSet, configGet, isLeader, jujuLog, leaderGet, leaderSet, statusGet, statusSet } from './tools/unit.ts';

/**
 * The hook-tool engine: every tool the sandbox's agent answers, run against a HookContext.
 * The same engine serves the charm's unit tests (in process) and the sandbox (over jujuc).
 */

const TOOLS: readonly HookTool[] = [
  actionFail, actionGet, actionLog, actionSet,
  applicationVersionSet, closePort, configGet, credentialGet, goalState, isLeader, jujuLog,
  leaderGet, leaderSet, networkGet, openPort, openedPorts,
  relationGet, relationIds, relationList, relationModelGet, relationSet, resourceGet,
  secretAdd, secretGet, secretGrant, secretIds, secretInfoGet, secretRemove, secretRevoke, secretSet,
  stateDelete, stateGet, stateSet, statusGet, statusSet, storageAdd, storageGet, storageList,
];

const registry = new Map(TOOLS.map((tool) => [tool.name, tool]));

/** Every tool name, sorted: the symlinks installToolLinks creates. */
export const HOOK_TOOL_NAMES: readonly string[] = [...registry.keys()].sort();

export type HookToolResult = ({ kind: 'done' } & ToolOutcome) | { kind: 'needs-stdin' };

/**
 * Run `command` with `args` in `ctx`. `needs-stdin` means the tool wants stdin and io.stdin was
 * undefined: the caller reads its stdin to EOF and runs the tool again (as jujuc does).
 */
export function runHookTool(ctx: HookContext, command: string, args: readonly string[], io: ToolIo): HookToolResult {
  const tool = registry.get(command);
  if (!tool) return { kind: 'done', exitCode: 1, stdout: '', stderr: `ERROR bad request: unknown command: ${command}\n` };
  if (ctx.isFinished) return { kind: 'done', exitCode: 1, stdout: '', stderr: `ERROR bad request: hook context ${ctx.id} is finished\n` };
  try {
    return { kind: 'done', ...runTool(tool, ctx, args, io) };
  } catch (error) {
    if (error instanceof StdinRequiredError) return { kind: 'needs-stdin' };
    throw error;
  }
}

export { createHookContext, HookContext, type CommitReport, type HookContextOptions, type HookEnv, type LogEntry } from './context.ts';
export type { ModelEvent } from './commit.ts';
