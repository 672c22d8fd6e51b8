import type { WebSocket } from 'ws';
import type { Logger } from '../logging.ts';
import { waitChange } from './changes.ts';
import { ChangeError, ExecError, PebbleProtocolError, PebbleTimeoutError } from './errors.ts';
import { END_FRAME, OutputCollector, openTaskSocket, sendFrame } from './exec-sockets.ts';
import { formatDuration, ownershipFields } from './format.ts';
import type { PebbleTransport } from './transport.ts';
import type { Change, Ownership } from './types.ts';

/** Running a command in the workload container (canonical/pebble internals/daemon/api_exec.go, client/exec.go). */

export interface ExecOptions extends Ownership {
  /** Added on top of Pebble's environment (or the service context's). */
  environment?: Record<string, string>;
  workingDir?: string;
  /** Pebble kills the process after this many ms. No timeout by default. */
  timeoutMs?: number;
  /** Inherit environment, user, group and working dir from this plan service. */
  serviceContext?: string;
  /** Bytes for the process's stdin, which is then closed. Without it stdin is closed at once. */
  stdin?: string | Uint8Array;
  /** Merge stderr into stdout (one stream) instead of collecting it separately. */
  combineStderr?: boolean;
}

export interface ExecOutput {
  stdout: string;
  stderr: string;
}

/** After the change is ready, how long the output streams may take to deliver their end frames. */
const STREAM_DRAIN_MS = 2_000;

export async function startExec(
  transport: PebbleTransport,
  logger: Logger,
  command: readonly string[],
  options: ExecOptions = {},
): Promise<ExecProcess> {
  const split = !options.combineStderr;
  const body: Record<string, unknown> = {
    command,
    environment: options.environment ?? {},
    'split-stderr': split,
    ...ownershipFields(options),
  };
  if (options.serviceContext !== undefined) body['service-context'] = options.serviceContext;
  if (options.workingDir !== undefined) body['working-dir'] = options.workingDir;
  if (options.timeoutMs !== undefined) body['timeout'] = formatDuration(options.timeoutMs);
  const envelope = await transport.json('POST', '/v1/exec', { body, expect: 'async' });
  const taskId = (envelope.result as { 'task-id'?: unknown } | null)?.['task-id'];
  if (typeof envelope.change !== 'string' || typeof taskId !== 'string') {
    throw new PebbleProtocolError('Pebble answered exec without a change id and task id');
  }
  logger.debug({ executable: command[0], changeId: envelope.change }, 'pebble exec started');

  const stdout = new OutputCollector();
  const stderr = split ? new OutputCollector() : undefined;
  const sockets: WebSocket[] = [];
  const track = (socket: WebSocket): void => {
    sockets.push(socket);
    socket.on('error', () => undefined); // failures surface through open/close/the change
  };
  try {
    // ops's order: control, then stdio, then stderr. Pebble starts the process once all are in.
    const control = await openTaskSocket(transport.socketPath, taskId, 'control', track);
    const stdio = await openTaskSocket(transport.socketPath, taskId, 'stdio', (socket) => {
      track(socket);
      stdout.attach(socket);
    });
    if (stderr !== undefined) {
      await openTaskSocket(transport.socketPath, taskId, 'stderr', (socket) => {
        track(socket);
        stderr.attach(socket);
      });
    }
    if (options.stdin !== undefined) {
      const bytes = typeof options.stdin === 'string' ? Buffer.from(options.stdin, 'utf8') : options.stdin;
      if (bytes.length > 0) await sendFrame(transport.socketPath, stdio, bytes, true);
    }
    await sendFrame(transport.socketPath, stdio, END_FRAME, false);
    return new ExecProcess(transport, command, envelope.change, taskId, options.timeoutMs, control, sockets, stdout, stderr);
  } catch (error) {
    for (const socket of sockets) socket.terminate();
    throw error;
  }
}

/** A started command. Output is collected in memory; `wait`/`waitOutput` may both be called. */
export class ExecProcess {
  private result: Promise<number> | undefined;

  constructor(
    private readonly transport: PebbleTransport,
    readonly command: readonly string[],
    readonly changeId: string,
    readonly taskId: string,
    private readonly timeoutMs: number | undefined,
    private readonly control: WebSocket,
    private readonly sockets: readonly WebSocket[],
    private readonly stdout: OutputCollector,
    private readonly stderr: OutputCollector | undefined,
  ) {}

  /**
   * Waits for the command to finish and returns its exit code (non-zero is not an error here).
   * A change error is a ChangeError; hitting the exec timeout is a PebbleTimeoutError.
   */
  wait(): Promise<number> {
    this.result ??= this.finish();
    return this.result;
  }

  /** stdout and stderr as text; a non-zero exit is an ExecError carrying both. */
  async waitOutput(): Promise<ExecOutput> {
    const exitCode = await this.wait();
    const output = { stdout: this.stdout.text(), stderr: this.stderr?.text() ?? '' };
    if (exitCode !== 0) throw new ExecError(this.command, exitCode, output.stdout, output.stderr);
    return output;
  }

  private async finish(): Promise<number> {
    try {
      // The exec timeout plus 1 s, so Pebble's own timeout fires first (as ops does).
      const waitMs = this.timeoutMs === undefined ? Infinity : this.timeoutMs + 1000;
      const change = await waitChange(this.transport, this.changeId, { timeoutMs: waitMs });
      await this.drainOutput();
      if (change.err !== undefined) throw this.changeFailure(change);
      // What Pebble's Go client insists on too (client/exec.go `ExecProcess.Wait`).
      const [task] = change.tasks;
      if (task === undefined) throw new PebbleProtocolError('expected exec change to contain at least one task');
      const exitCode = task.data['exit-code'];
      if (typeof exitCode !== 'number' || !Number.isInteger(exitCode)) {
        throw new PebbleProtocolError(`cannot get exit code: task ${JSON.stringify(task.id)} has no integer "exit-code"`);
      }
      return exitCode;
    } finally {
      // ops closes the websockets without a handshake once the change is ready.
      for (const socket of this.sockets) socket.terminate();
    }
  }

  private async drainOutput(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const streams = Promise.all([this.stdout.ended, this.stderr?.ended]);
    await Promise.race([streams, new Promise<void>((resolve) => (timer = setTimeout(resolve, STREAM_DRAIN_MS)))]);
    clearTimeout(timer);
  }

  private changeFailure(change: Change): Error {
    const error = new ChangeError(change);
    if (this.timeoutMs !== undefined && /timed out after/.test(change.err ?? '')) {
      return new PebbleTimeoutError(`command "${this.command[0] ?? ''}" timed out after ${this.timeoutMs} ms`, { cause: error });
    }
    return error;
  }
}
