import { writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Bindings, DestinationStream, LogFn, Logger as PinoLogger } from 'pino';

/** What the charm logs through: pino's level methods and child loggers (a pino logger fits). */
export interface Logger {
  readonly level: string;
  fatal: LogFn;
  error: LogFn;
  warn: LogFn;
  info: LogFn;
  debug: LogFn;
  trace: LogFn;
  child(bindings: Bindings): Logger;
  isLevelEnabled(level: string): boolean;
}

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

const LEVELS = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60, silent: Infinity } as const;
type LevelName = keyof typeof LEVELS;
type LogLevel = Exclude<LevelName, 'silent'>;
const DEFAULT_LEVEL: LevelName = 'info';

function isLevelName(level: string): level is LevelName {
  return Object.hasOwn(LEVELS, level);
}

type PinoModule = typeof import('pino');
let pinoModule: PinoModule | undefined;

/**
 * pino costs several milliseconds to load and to set up (its redaction compiles code), and most
 * hooks log nothing at the configured level. In the charm bundle esbuild turns this require into
 * a lazy call into the bundle; under tsx and vitest, ESM has no require, so Node resolves it.
 */
function loadPino(): PinoModule {
  pinoModule ??= (typeof require === 'function' ? require('pino') : createRequire(import.meta.url)('pino')) as PinoModule;
  return pinoModule;
}

/**
 * A logger that creates its pino logger on the first line it has to write. Level checks happen
 * here, so a line below the level costs a comparison, as it does in pino.
 */
class DeferredLogger implements Logger {
  #pino: PinoLogger | undefined;
  readonly fatal = this.#method('fatal');
  readonly error = this.#method('error');
  readonly warn = this.#method('warn');
  readonly info = this.#method('info');
  readonly debug = this.#method('debug');
  readonly trace = this.#method('trace');

  constructor(
    private readonly create: () => PinoLogger,
    readonly level: LevelName,
  ) {}

  isLevelEnabled(level: string): boolean {
    return isLevelName(level) && level !== 'silent' && LEVELS[level] >= LEVELS[this.level];
  }

  child(bindings: Bindings): Logger {
    return new DeferredLogger(() => this.#logger().child(bindings), this.level);
  }

  #logger(): PinoLogger {
    this.#pino ??= this.create();
    return this.#pino;
  }

  #method(level: LogLevel): LogFn {
    return ((...args: unknown[]) => {
      if (!this.isLevelEnabled(level)) return;
      const logger = this.#logger();
      (logger[level] as (...line: unknown[]) => void).apply(logger, args);
    }) as LogFn;
  }
}

/**
 * One structured logger per process, writing JSON lines to stderr. An unknown level (a typo in
 * CHARM_LOG_LEVEL) falls back to info and says so, rather than failing the hook.
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  const stream = options.destination ?? STDERR;
  const requested = options.level ?? process.env['CHARM_LOG_LEVEL'] ?? DEFAULT_LEVEL;
  const level = isLevelName(requested) ? requested : DEFAULT_LEVEL;
  const logger = new DeferredLogger(() => {
    const { pino, stdTimeFunctions } = loadPino();
    return pino(
      {
        level,
        base: options.base ?? {},
        redact: { paths: [...REDACTED_KEYS], censor: '[redacted]' },
        timestamp: stdTimeFunctions.isoTime,
      },
      stream,
    );
  }, level);
  if (requested !== level) {
    logger.warn({ requested, allowed: Object.keys(LEVELS) }, `unknown log level ${JSON.stringify(requested)}; logging at ${level}`);
  }
  return logger;
}
