import { writeSync } from 'node:fs';
import { pino, stdTimeFunctions, type DestinationStream, type Logger } from 'pino';

export type { Logger } from 'pino';

/**
 * Keys whose values never reach a log line. Juju files a hook's stderr in the unit log, which
 * operators paste into bug reports, so anything that may carry a credential is censored.
 */
export const REDACTED_KEYS = [
  'password',
  '*.password',
  '*.*.password',
  'passwords',
  '*.passwords',
  'secret',
  '*.secret',
  'content',
  '*.content',
  'privateKey',
  '*.privateKey',
  'private-key',
  '*["private-key"]',
  'authorization',
  '*.authorization',
  '*.headers.authorization',
  'access-key',
  'secret-key',
  '*["access-key"]',
  '*["secret-key"]',
  'stdin',
  '*.stdin',
] as const;

export interface LoggerOptions {
  level?: string;
  /** Where lines go; defaults to stderr (fd 2). Tests pass a stream to inspect output. */
  destination?: DestinationStream;
  base?: Record<string, unknown>;
}

/**
 * Synchronous writes to fd 2: a hook is short-lived and may exit at any moment, so nothing is
 * buffered, and no stream object (or worker thread) is set up for it.
 */
const STDERR: DestinationStream = {
  write(line: string): void {
    writeSync(2, line);
  },
};

/** One structured logger per process, writing JSON lines to stderr. */
export function createLogger(options: LoggerOptions = {}): Logger {
  const stream = options.destination ?? STDERR;
  return pino(
    {
      level: options.level ?? process.env['CHARM_LOG_LEVEL'] ?? 'info',
      base: options.base ?? {},
      redact: { paths: [...REDACTED_KEYS], censor: '[redacted]' },
      timestamp: stdTimeFunctions.isoTime,
    },
    stream,
  );
}
