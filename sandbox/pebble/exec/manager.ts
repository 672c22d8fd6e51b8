/**
 * Exec bookkeeping: POST /v1/exec creates an exec change whose task runs an Execution, and
 * websocket upgrades on /v1/tasks/{task-id}/websocket/{id} attach to it.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import type { Logger } from '../../../src/logging.ts';
import { ApiError, badRequest, notFound, serverError } from '../errors.ts';
import type { Plan } from '../plan/types.ts';
import type { StateEngine } from '../state/engine.ts';
import { Execution, type WebsocketId } from './execution.ts';
import { prepareExec, type ExecPayload } from './setup.ts';

export interface ExecStarted {
  changeId: string;
  result: { environment: Record<string, string>; 'task-id': string; 'working-dir': string };
}

export class ExecManager {
  private readonly executions = new Map<string, Execution>();
  private readonly wss = new WebSocketServer({ noServer: true });

  constructor(
    private readonly engine: StateEngine,
    private readonly pebbleEnv: Record<string, string>,
    private readonly hostPath: (p: string) => string,
    private readonly logger: Logger,
  ) {}

  start(payload: ExecPayload, plan: Plan): ExecStarted {
    const setup = prepareExec(payload, plan, this.pebbleEnv, this.hostPath);
    const summary = `Execute command "${setup.command[0]}"`;
    let execution: Execution | undefined;
    const task = this.engine.newTask('exec', summary, async (t, signal) => {
      try {
        await (execution as Execution).run(t, signal);
      } finally {
        this.executions.delete(t.id);
      }
    });
    execution = new Execution(task.id, setup, this.hostPath, this.logger);
    this.executions.set(task.id, execution);
    const change = this.engine.newChange('exec', summary, [task]);
    return {
      changeId: change.id,
      result: { environment: setup.environment, 'task-id': task.id, 'working-dir': setup.workingDir },
    };
  }

  /** Find what a websocket request attaches to, or the error Pebble answers with. */
  private resolve(taskId: string, websocketId: string): Execution {
    const task = this.engine.task(taskId);
    if (!task) throw notFound(`cannot find task "${taskId}"`);
    if (task.kind !== 'exec') throw badRequest(`"${task.kind}" tasks do not have websockets`);
    const execution = this.executions.get(taskId);
    if (!execution) {
      const err = task.change.err();
      if (err) throw serverError(err);
      throw notFound(`cannot find ${websocketId} websocket for task "${taskId}"`);
    }
    const state = execution.check(websocketId);
    if (state === 'unknown') throw notFound(`cannot find ${websocketId} websocket for task "${taskId}"`);
    if (state === 'connected') throw serverError(`${websocketId} websocket already connected`);
    return execution;
  }

  /**
   * Handle an upgrade request; returns an ApiError to send back when it cannot be accepted.
   * A plain (non-upgrade) GET of the same path gets the websocket library's complaint.
   */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, taskId: string, websocketId: string): ApiError | undefined {
    let execution: Execution;
    try {
      execution = this.resolve(taskId, websocketId);
    } catch (err) {
      if (err instanceof ApiError) return err;
      throw err;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => execution.attach(websocketId as WebsocketId, ws));
    return undefined;
  }

  notUpgrade(taskId: string, websocketId: string): ApiError {
    this.resolve(taskId, websocketId);
    return badRequest("websocket: the client is not using the websocket protocol: 'upgrade' token not found in 'Connection' header");
  }

  closeAll(): void {
    for (const execution of this.executions.values()) execution.closeAll();
    for (const client of this.wss.clients) client.terminate();
    this.wss.close();
  }
}
