import { createLogger } from './logging.ts';
import { main } from './main.ts';

// The build evaluates the bundle once to produce V8's code cache for it (scripts/build.mjs);
// that evaluation must not run a dispatch.
if (process.env['CHARM_BUILDING_CODE_CACHE'] !== '1') {
  main().then(
    (exitCode) => {
      process.exitCode = exitCode;
    },
    (error: unknown) => {
      createLogger().fatal({ err: error }, 'dispatch crashed');
      process.exitCode = 1;
    },
  );
}
