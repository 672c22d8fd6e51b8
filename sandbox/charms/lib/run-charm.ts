import { createLogger } from '../../../src/logging.ts';

/**
 * Runs a partner charm's dispatch as the process's whole job: its result is the exit code Juju
 * reads (non-zero fails the hook); a crash is logged with the charm's name and exits 1.
 */
export function runCharm(name: string, main: () => Promise<number>): void {
  main().then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      createLogger().fatal({ err: error }, `${name} dispatch crashed`);
      process.exitCode = 1;
    },
  );
}
