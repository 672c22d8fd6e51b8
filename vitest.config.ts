import { defineConfig } from 'vitest/config';

// Three tiers (README.md, "Tests"):
// - unit: state in, state out; needs nothing but Node and `npm ci`, runs in seconds
//   (`npm run test:unit:isolated` proves it with PostgreSQL, Patroni, etcd and the postgres user
//   hidden);
// - component: real PostgreSQL, Patroni, etcd, the built bundle or the sandbox controller running
//   real processes, but no sandbox deployment;
// - integration: the sandbox (pods, the controller daemon, the CLI) on its fixed ports.
export default defineConfig({
  test: {
    pool: 'forks',
    maxWorkers: 2,
    // `npm test` runs all three in one vitest: the tiers one after the other (groupOrder), so a
    // component cluster never shares the 2 cores with the sandbox.
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['tests/unit/**/*.test.ts'],
          sequence: { groupOrder: 0 },
          fileParallelism: true,
          // Each worker keeps its modules between files instead of loading zod, pino, the
          // sandbox's engines etc. again for every file: about a third of the CPU time. So a
          // unit test must leave no global state behind (environment, timers, module mocks).
          isolate: false,
          testTimeout: 15_000,
          hookTimeout: 15_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'component',
          include: ['tests/component/**/*.test.ts'],
          sequence: { groupOrder: 1 },
          // Two files at a time, as when these were unit tests: every component test picks free
          // loopback ports (tests/support/patroni-ports.ts, postgres-instance.ts) and keeps its
          // processes, sockets and data in its own temp dir. Only charm/packed-dispatch writes in
          // the repository (the .charm), and no other test reads it.
          fileParallelism: true,
          testTimeout: 120_000,
          hookTimeout: 180_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['tests/integration/**/*.test.ts'],
          sequence: { groupOrder: 2 },
          // One deployment at a time per vitest process. `npm test` runs two such processes side by
          // side (scripts/run-integration-lanes.mjs): each deployment has its own subnet and names.
          fileParallelism: false,
          testTimeout: 240_000,
          hookTimeout: 180_000,
        },
      },
    ],
  },
});
