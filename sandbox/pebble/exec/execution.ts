/**
 * One exec: the websockets the client attaches (control, stdio, stderr when split) and the
 * real process. Output goes out as binary frames followed by a `{"command":"end"}` text frame;
 * stdin arrives the same way; control carries signals; the exit code lands in the task data.
 */
import type { ChildProcess, StdioOptions } from 'node:child_process';
import type { Readable } from 'node:stream';
import type { WebSocket } from 'ws';
import type { Logger } from '../../../src/logging.ts';
import { PebbleError } from '../errors.ts';
import type { Task } from '../state/change.ts';
import { exitCodeOf, signalNumber, signalProcess, spawnProcess } from '../util/spawn.ts';
import { Deferred } from '../util/timers.ts';
import { openMergedOutput, type MergedOutput } from './merged-output.ts';
import type { ExecSetup } from './setup.ts';

export type WebsocketId = 'control' | 'stdio' | 'stderr';

const CONNECT_TIMEOUT_MS = 5000;
const END_FRAME = JSON.stringify({ command: 'end' });

export class ExecError extends PebbleError {
  constructor(message: string) {
    super('pebble-exec', message);
  }
}

export class Execution {
  private readonly sockets = new Map<string, WebSocket | null>();
  private readonly ioConnected = new Deferred<void>();
  private readonly controlConnected = new Deferred<void>();

  constructor(
    readonly taskId: string,
    private readonly setup: ExecSetup,
    private readonly hostPath: (p: string) => string,
    private readonly logger: Logger,
  ) {
    this.sockets.set('control', null);
    this.sockets.set('stdio', null);
    if (setup.splitStderr) this.sockets.set('stderr', null);
  }

  /** Whether a websocket id can be attached now: unknown ids and reconnects are refused. */
  check(id: string): 'ok' | 'unknown' | 'connected' {
    if (!this.sockets.has(id)) return 'unknown';
    return this.sockets.get(id) ? 'connected' : 'ok';
  }

  attach(id: WebsocketId, ws: WebSocket): void {
    this.sockets.set(id, ws);
    if (id === 'control') this.controlConnected.resolve();
    else if (this.sockets.get('stdio') && (!this.setup.splitStderr || this.sockets.get('stderr'))) {
      this.ioConnected.resolve();
    }
  }

  /** Close every attached websocket (server shutdown). */
  closeAll(): void {
    for (const ws of this.sockets.values()) ws?.terminate();
  }

  private async waitForIo(signal: AbortSignal): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const outcome = await Promise.race([
      this.ioConnected.promise.then(() => 'connected' as const),
      new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), CONNECT_TIMEOUT_MS);
      }),
      new Promise<'aborted'>((resolve) => signal.addEventListener('abort', () => resolve('aborted'), { once: true })),
    ]);
    clearTimeout(timer);
    if (outcome === 'timeout') {
      throw new ExecError(`exec ${this.taskId}: timeout waiting for websocket connections: context deadline exceeded`);
    }
    if (outcome === 'aborted') throw new ExecError('context canceled');
  }

  /** Stream a readable to a websocket as binary frames, then the end frame. */
  private pump(source: Readable, ws: WebSocket | null | undefined): Promise<void> {
    return new Promise((resolve) => {
      source.on('data', (chunk: Buffer) => ws?.send(chunk, { binary: true }, () => undefined));
      const finish = () => {
        ws?.send(END_FRAME, { binary: false }, () => undefined);
        resolve();
      };
      source.once('end', finish);
      source.once('error', finish);
    });
  }

  private wireStdin(child: ChildProcess): void {
    const stdio = this.sockets.get('stdio');
    const stdin = child.stdin;
    if (!stdio || !stdin) return;
    stdin.on('error', () => undefined); // the process may exit before reading everything
    stdio.on('message', (data: Buffer, isBinary: boolean) => {
      if (isBinary) {
        if (!stdin.writableEnded) stdin.write(data);
        return;
      }
      try {
        const message = JSON.parse(data.toString()) as { command?: unknown };
        if (message.command === 'end') stdin.end();
        else this.logger.info({ exec: this.taskId, command: message.command }, 'invalid I/O command');
      } catch {
        this.logger.info({ exec: this.taskId }, 'cannot decode I/O command');
      }
    });
    stdio.on('close', () => stdin.end());
  }

  private wireControl(pid: number, running: () => boolean): void {
    void this.controlConnected.promise.then(() => {
      const control = this.sockets.get('control');
      if (!control) return;
      control.on('message', (data: Buffer) => {
        let message: { command?: string; signal?: { name?: string } };
        try {
          message = JSON.parse(data.toString()) as typeof message;
        } catch {
          return;
        }
        if (message.command !== 'signal') return;
        const name = message.signal?.name ?? '';
        if (signalNumber(name) === undefined) {
          this.logger.info({ exec: this.taskId, name }, 'invalid signal name');
          return;
        }
        if (running()) signalProcess(pid, name as NodeJS.Signals);
      });
      // An abnormal close (no close frame) means the client went away: kill the process.
      control.on('close', (code: number) => {
        if (code === 1006 && running()) signalProcess(pid, 'SIGKILL');
      });
    });
  }

  /** The exec task's handler. */
  async run(task: Task, signal: AbortSignal): Promise<void> {
    await this.waitForIo(signal);
    let merged: MergedOutput | undefined;
    let stdio: StdioOptions = ['pipe', 'pipe', 'pipe'];
    if (!this.setup.splitStderr) {
      merged = await openMergedOutput();
      stdio = ['pipe', merged.childEnd, merged.childEnd];
    }
    let child: ChildProcess;
    try {
      child = spawnProcess({
        argv: [this.setup.executable, ...this.setup.command.slice(1)],
        argv0: this.setup.command[0],
        env: this.setup.environment,
        cwd: this.hostPath(this.setup.workingDir),
        ids: this.setup.ids,
        stdio,
      });
    } catch (err) {
      merged?.releaseChildEnd();
      merged?.reader.destroy();
      task.apiData = { 'exit-code': -1 };
      throw new ExecError((err as Error).message);
    }
    merged?.releaseChildEnd();
    let running = true;
    const exited = new Promise<{ code: number; error?: string }>((resolve) => {
      child.once('exit', (code, sig) => {
        running = false;
        resolve({ code: exitCodeOf(code, sig) });
      });
      child.once('error', (err) => {
        running = false;
        resolve({ code: -1, error: err.message });
      });
    });
    const outputs = [
      this.pump(merged ? merged.reader : (child.stdout as Readable), this.sockets.get('stdio')),
      ...(merged ? [] : [this.pump(child.stderr as Readable, this.sockets.get('stderr'))]),
    ];
    this.wireStdin(child);
    if (child.pid !== undefined) this.wireControl(child.pid, () => running);

    let timedOut = false;
    const timer =
      this.setup.timeoutNs > 0
        ? setTimeout(() => {
            timedOut = true;
            if (running) signalProcess(child.pid, 'SIGKILL');
          }, this.setup.timeoutNs / 1e6)
        : undefined;
    const onAbort = () => running && signalProcess(child.pid, 'SIGKILL');
    signal.addEventListener('abort', onAbort, { once: true });

    const result = await exited;
    clearTimeout(timer);
    signal.removeEventListener('abort', onAbort);
    this.sockets.get('control')?.terminate();
    if (result.error) merged?.reader.destroy();
    await Promise.race([
      Promise.all(outputs),
      new Promise((resolve) => (signal.aborted ? resolve(undefined) : signal.addEventListener('abort', resolve, { once: true }))),
    ]);
    if (timedOut) {
      task.apiData = { 'exit-code': -1 };
      throw new ExecError(`timed out after ${this.setup.timeoutText}: context deadline exceeded`);
    }
    if (result.error) {
      task.apiData = { 'exit-code': -1 };
      throw new ExecError(result.error);
    }
    task.apiData = { 'exit-code': result.code };
  }
}
