import net from 'node:net';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { errorMessage } from '../../src/errors.ts';
import type { Action } from '../juju/model.ts';
import type { ControllerStatus } from './controller.ts';
import { ControllerConnectionError, ControllerRemoteError } from './errors.ts';
import type { ProgressEvent } from './event-log.ts';
import { type ControllerMethod, type MethodParams, ResponseSchema } from './protocol.ts';

/**
 * The CLI's end of the controller daemon's socket: typed calls that resolve with the daemon's
 * result or reject with its error (same `code`), on one connection.
 */

interface Pending {
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
}

export interface ConnectOptions {
  /** Keep retrying a missing or refusing socket this long (a daemon that is starting). */
  waitMs?: number;
}

export class ControllerClient {
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private closed = false;

  private constructor(private readonly socket: net.Socket) {
    const lines = createInterface({ input: socket, crlfDelay: Infinity });
    lines.on('line', (line) => this.receive(line));
    socket.on('error', () => undefined); // reported through 'close' below
    socket.on('close', () => {
      this.closed = true;
      this.failAll(new ControllerConnectionError('connection to the controller closed'));
    });
  }

  static async connect(socketPath: string, options: ConnectOptions = {}): Promise<ControllerClient> {
    const deadline = Date.now() + (options.waitMs ?? 0);
    for (;;) {
      try {
        const socket = await new Promise<net.Socket>((resolve, reject) => {
          const s = net.createConnection(socketPath);
          s.once('connect', () => resolve(s));
          s.once('error', reject);
        });
        return new ControllerClient(socket);
      } catch (error) {
        if (Date.now() >= deadline) throw new ControllerConnectionError(`cannot reach the controller at ${socketPath}: ${errorMessage(error)}`, { cause: error });
        await sleep(100);
      }
    }
  }

  call<M extends ControllerMethod>(method: M, params: MethodParams<M>): Promise<unknown> {
    if (this.closed) return Promise.reject(new ControllerConnectionError('connection to the controller closed'));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.socket.write(`${JSON.stringify({ id, method, params })}\n`);
    });
  }

  ping(): Promise<unknown> {
    return this.call('ping', {});
  }

  async deploy(params: MethodParams<'deploy'>): Promise<string[]> {
    return ((await this.call('deploy', params)) as { units: string[] }).units;
  }

  async addUnit(app: string, count?: number): Promise<string[]> {
    return ((await this.call('addUnit', { app, count })) as { units: string[] }).units;
  }

  async removeUnit(unit: string, options: { force?: boolean } = {}): Promise<void> {
    await this.call('removeUnit', { unit, force: options.force });
  }

  async setConfig(app: string, values: MethodParams<'setConfig'>['values']): Promise<string[]> {
    return ((await this.call('setConfig', { app, values })) as { changed: string[] }).changed;
  }

  async relate(first: string, second: string): Promise<number> {
    return ((await this.call('relate', { first, second })) as { relationId: number }).relationId;
  }

  async removeRelation(target: number | [string, string]): Promise<void> {
    await this.call('removeRelation', typeof target === 'number' ? { relationId: target } : { endpoints: target });
  }

  async runAction(unit: string, name: string, params: Record<string, unknown> = {}, options: { wait?: boolean; timeoutMs?: number } = {}): Promise<Action> {
    return (await this.call('runAction', { unit, name, params, ...options })) as Action;
  }

  async getAction(id: string): Promise<Action> {
    return (await this.call('getAction', { id })) as Action;
  }

  async resolve(unit: string, options: { retry?: boolean } = {}): Promise<boolean> {
    return ((await this.call('resolve', { unit, retry: options.retry })) as { resolved: boolean }).resolved;
  }

  /** `juju trust <app>` (`trusted: false`: `--remove`); resolves with whether it changed. */
  async trust(app: string, trusted = true): Promise<boolean> {
    return ((await this.call('trust', { app, trusted })) as { changed: boolean }).changed;
  }

  async status(): Promise<ControllerStatus> {
    return (await this.call('status', {})) as ControllerStatus;
  }

  async events(since?: number): Promise<ProgressEvent[]> {
    return (await this.call('events', { since })) as ProgressEvent[];
  }

  async settled(timeoutMs?: number): Promise<void> {
    await this.call('settled', { timeoutMs });
  }

  /** Kill every process of these units' pods (all when undefined); resolves with how many died. */
  async killUnits(units?: string[]): Promise<number> {
    return ((await this.call('killUnits', units === undefined ? {} : { units })) as { killed: number }).killed;
  }

  async shutdown(): Promise<void> {
    await this.call('shutdown', {});
  }

  close(): void {
    this.socket.end();
  }

  private receive(line: string): void {
    let response;
    try {
      response = ResponseSchema.parse(JSON.parse(line));
    } catch (error) {
      this.failAll(new ControllerConnectionError('malformed response from the controller', { cause: error }));
      this.socket.destroy();
      return;
    }
    const pending = this.pending.get(response.id);
    if (!pending) return;
    this.pending.delete(response.id);
    if ('error' in response) pending.reject(new ControllerRemoteError(response.error.code, response.error.message));
    else pending.resolve(response.result);
  }

  private failAll(error: Error): void {
    const pending = [...this.pending.values()];
    this.pending.clear();
    for (const p of pending) p.reject(error);
  }
}
