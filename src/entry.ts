import { createLogger } from './logging.ts';
import { main } from './main.ts';

main().then(
  (exitCode) => {
    process.exitCode = exitCode;
  },
  (error: unknown) => {
    createLogger().fatal({ err: error }, 'dispatch crashed');
    process.exitCode = 1;
  },
);
