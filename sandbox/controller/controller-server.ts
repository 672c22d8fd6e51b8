import { rm } from 'node:fs/promises';
import net from 'node:net';
import { createInterface } from 'node:readline';
import { CharmError, errorMessage } from '../../src/errors.ts';
import { createLogger, type Logger } from '../../src/logging.ts';
import type { Controller } from './controller.ts';
import { ControllerError } from './errors.ts';
import { type ControllerMethod, type ControllerResponse, isControllerMethod, METHOD_PARAMS, RequestSchema } from './protocol.ts';

/**
 * Serves a Controller to other processes (the CLI) over a unix socket, one JSON line per request
 * and per response (see protocol.ts).
 */

export interface ControllerServerOptions {
  controller: Controller;
  socketPath: string;
  /** Called when a client asks the daemon to shut down (after the response is sent). */
  onShutdown?: () => void;
  logger?: Logger;
}

export class ControllerServer {
  private readonly sockets = new Set<net.Socket>();
  private readonly log: Logger;

  private constructor(
    private readonly server: net.Server,
    private readonly options: ControllerServerOptions,
  ) {
    this.log = options.logger ?? createLogger({ base: { component: 'sandbox-controller-server' } });
  }

  static async listen(options: ControllerServerOptions): Promise<ControllerServer> {
    await rm(options.socketPath, { force: true }); // a stale socket from a daemon that died
    const server = net.createServer();
    const instance = new ControllerServer(server, options);
    server.on('connection', (socket) => instance.serve(socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', (error) => reject(new ControllerError(`cannot listen on ${options.socketPath}`, { cause: error })));
      server.listen(options.socketPath, resolve);
    });
    return instance;
  }

  get socketPath(): string {
    return this.options.socketPath;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    await rm(this.options.socketPath, { force: true });
  }

  private serve(socket: net.Socket): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', (error) => this.log.debug({ err: errorMessage(error) }, 'client connection failed'));
    const lines = createInterface({ input: socket, crlfDelay: Infinity });
    lines.on('line', (line) => {
      void this.answer(line).then((response) => {
        if (!socket.destroyed) socket.write(`${JSON.stringify(response)}\n`);
        if ('result' in response && this.isShutdown(line)) this.options.onShutdown?.();
      });
    });
  }

  private isShutdown(line: string): boolean {
    try {
      return (JSON.parse(line) as { method?: unknown }).method === 'shutdown';
    } catch {
      return false;
    }
  }

  private async answer(line: string): Promise<ControllerResponse> {
    let id = -1;
    try {
      const request = RequestSchema.parse(JSON.parse(line));
      id = request.id;
      if (!isControllerMethod(request.method)) throw new ControllerError(`unknown method "${request.method}"`);
      const result = await this.call(request.method, request.params ?? {});
      return { id, result: result ?? null };
    } catch (error) {
      const code = error instanceof CharmError ? error.code : 'sandbox-controller-bad-request';
      return { id, error: { code, message: errorMessage(error) } };
    }
  }

  private async call(method: ControllerMethod, rawParams: unknown): Promise<unknown> {
    const { controller } = this.options;
    switch (method) {
      case 'ping':
        return 'pong';
      case 'deploy':
        return { units: await controller.deploy(METHOD_PARAMS.deploy.parse(rawParams)) };
      case 'addUnit': {
        const p = METHOD_PARAMS.addUnit.parse(rawParams);
        return { units: await controller.addUnit(p.app, p.count) };
      }
      case 'removeUnit': {
        const p = METHOD_PARAMS.removeUnit.parse(rawParams);
        await controller.removeUnit(p.unit, { force: p.force });
        return {};
      }
      case 'setConfig': {
        const p = METHOD_PARAMS.setConfig.parse(rawParams);
        return { changed: controller.setConfig(p.app, p.values) };
      }
      case 'relate': {
        const p = METHOD_PARAMS.relate.parse(rawParams);
        return { relationId: controller.relate(p.first, p.second) };
      }
      case 'removeRelation': {
        const p = METHOD_PARAMS.removeRelation.parse(rawParams);
        controller.removeRelation('relationId' in p ? p.relationId : p.endpoints);
        return {};
      }
      case 'runAction': {
        const p = METHOD_PARAMS.runAction.parse(rawParams);
        if (p.wait === false) return controller.enqueueAction(p.unit, p.name, p.params);
        return controller.runAction(p.unit, p.name, p.params, { timeoutMs: p.timeoutMs });
      }
      case 'getAction':
        return controller.getAction(METHOD_PARAMS.getAction.parse(rawParams).id);
      case 'resolve': {
        const p = METHOD_PARAMS.resolve.parse(rawParams);
        return { resolved: controller.resolve(p.unit, { retry: p.retry }) };
      }
      case 'trust': {
        const p = METHOD_PARAMS.trust.parse(rawParams);
        return { changed: controller.trust(p.app, p.trusted ?? true) };
      }
      case 'status':
        return controller.status();
      case 'events':
        return controller.events(METHOD_PARAMS.events.parse(rawParams).since);
      case 'settled':
        await controller.settled(METHOD_PARAMS.settled.parse(rawParams));
        return {};
      case 'killUnits':
        return { killed: await controller.killUnits(METHOD_PARAMS.killUnits.parse(rawParams).units) };
      case 'shutdown':
        return {};
    }
  }
}
