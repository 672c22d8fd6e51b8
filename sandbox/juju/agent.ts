import { rm } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { z } from 'zod';
import { errorMessage } from '../../src/errors.ts';
import { createLogger, type Logger } from '../../src/logging.ts';
import { type CommitReport, createHookContext, type HookContext, type HookEnv, type LogEntry, runHookTool } from './engine/index.ts';
import { NO_STDIN_MESSAGE } from './engine/errors.ts';
import { HookToolAgentError } from './errors.ts';
import type { Model } from './model/schema.ts';
import type { ModelStore } from './model/store.ts';

/**
 * The sandbox's unit agent side of the hook tools. As in Juju, tools are thin clients (jujuc):
 * each dispatch gets a context id, the tools send it back over a unix socket with their argv,
 * and the command runs here against the model. One JSON line per request and per response.
 */

const RequestSchema = z.object({
  contextId: z.string(),
  dir: z.string(),
  command: z.string(),
  args: z.array(z.string()),
  stdin: z.string().optional(),
  files: z.record(z.string(), z.string()).optional(),
});

export type AgentResponse = { code: number; stdout: string; stderr: string } | { error: string };

export interface HookToolAgentOptions {
  socketPath: string;
  model: Model;
  /** Saves the model after every immediate change and every commit. */
  store?: ModelStore;
  now?: () => Date;
  onLog?: (entry: LogEntry) => void;
  logger?: Logger;
}

export class HookToolAgent {
  private readonly contexts = new Map<string, HookContext>();
  private readonly log: Logger;

  private constructor(
    private readonly server: net.Server,
    private readonly options: HookToolAgentOptions,
  ) {
    this.log = options.logger ?? createLogger({ base: { component: 'sandbox-agent' } });
  }

  static async start(options: HookToolAgentOptions): Promise<HookToolAgent> {
    if (!path.isAbsolute(options.socketPath)) throw new HookToolAgentError(`socket path must be absolute: ${options.socketPath}`);
    await rm(options.socketPath, { force: true }); // a stale socket from a crashed agent
    const server = net.createServer();
    const agent = new HookToolAgent(server, options);
    server.on('connection', (socket) => agent.serve(socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', (error) => reject(new HookToolAgentError(`cannot listen on ${options.socketPath}`, { cause: error })));
      server.listen(options.socketPath, resolve);
    });
    return agent;
  }

  get socketPath(): string {
    return this.options.socketPath;
  }

  get model(): Model {
    return this.options.model;
  }

  /** Start a dispatch: its tools will find this context through JUJU_CONTEXT_ID = context.id. */
  openContext(env: HookEnv): HookContext {
    const context = createHookContext(this.options.model, env, {
      now: this.options.now,
      onLog: this.options.onLog,
      onImmediateChange: (model) => this.persist(model),
    });
    this.contexts.set(context.id, context);
    return context;
  }

  /** The variables the dispatch needs (besides its own JUJU_* event variables) to reach this agent. */
  environment(contextId: string): Record<string, string> {
    this.context(contextId);
    return { JUJU_CONTEXT_ID: contextId, JUJU_AGENT_SOCKET_ADDRESS: this.options.socketPath, JUJU_AGENT_SOCKET_NETWORK: 'unix' };
  }

  /** The dispatch exited 0: apply its changes, save, and report the hooks they cause. */
  async commit(contextId: string): Promise<CommitReport> {
    const report = this.take(contextId).commit();
    await this.options.store?.save(this.options.model);
    return report;
  }

  /** The dispatch failed: drop its transactional changes. */
  async discard(contextId: string): Promise<CommitReport> {
    const report = this.take(contextId).discard();
    await this.options.store?.save(this.options.model);
    return report;
  }

  /** Resolves once every model save requested so far (including immediate changes) is on disk. */
  async flush(): Promise<void> {
    await this.options.store?.flush();
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    await rm(this.options.socketPath, { force: true });
    await this.options.store?.flush();
  }

  private context(contextId: string): HookContext {
    const context = this.contexts.get(contextId);
    if (!context) throw new HookToolAgentError(`unknown hook context "${contextId}"`);
    return context;
  }

  private take(contextId: string): HookContext {
    const context = this.context(contextId);
    this.contexts.delete(contextId);
    return context;
  }

  private persist(model: Model): void {
    this.options.store?.save(model).catch((error: unknown) => this.log.error({ err: errorMessage(error) }, 'cannot save model'));
  }

  /** Answer one request line; `bad request` errors make jujuc print ERROR and exit 1. */
  handle(line: string): AgentResponse {
    let request: z.infer<typeof RequestSchema>;
    try {
      request = RequestSchema.parse(JSON.parse(line));
    } catch {
      return { error: 'bad request: malformed request' };
    }
    if (!path.isAbsolute(request.dir)) return { error: 'bad request: Dir is not absolute' };
    const context = this.contexts.get(request.contextId);
    if (!context) return { error: `bad request: unknown hook context "${request.contextId}"` };
    // Arguments and stdin may carry secrets: log the command only.
    this.log.debug({ command: request.command, context: request.contextId }, 'running hook tool');
    const result = runHookTool(context, request.command, request.args, { cwd: request.dir, stdin: request.stdin, files: request.files });
    if (result.kind === 'needs-stdin') return { error: NO_STDIN_MESSAGE };
    return { code: result.exitCode, stdout: result.stdout, stderr: result.stderr };
  }

  private serve(socket: net.Socket): void {
    socket.setEncoding('utf8');
    let buffer = '';
    socket.on('data', (chunk: string) => {
      buffer += chunk;
      let newline: number;
      while ((newline = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + 1);
        let response: AgentResponse;
        try {
          response = this.handle(line);
        } catch (error) {
          response = { error: `bad request: ${errorMessage(error)}` };
        }
        socket.write(`${JSON.stringify(response)}\n`);
      }
    });
    socket.on('error', (error) => this.log.debug({ err: errorMessage(error) }, 'hook tool connection failed'));
  }
}
