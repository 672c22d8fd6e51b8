/**
 * The little logging the shared libraries do (warnings about input they ignore). Callers pass
 * their own logger (a pino logger fits this shape); without one, the libraries stay silent.
 */
export interface LibLogger {
  warn(message: string): void;
  debug(message: string): void;
}

export const silentLogger: LibLogger = {
  warn: () => undefined,
  debug: () => undefined,
};
