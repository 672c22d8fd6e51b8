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
          // Every component test picks free ports and its own temp dirs, but each file starts
          // PostgreSQL/Patroni/etcd clusters or process trees whose timing assertions suffer when
          // two share this machine's 2 cores; and the packed-charm test packs into the repository
          // root. One file at a time.
          fileParallelism: false,
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
          // The sandbox owns fixed ports (5432, 8008, 2379): never two deployments at once.
          fileParallelism: false,
          testTimeout: 240_000,
          hookTimeout: 180_000,
        },
      },
    ],
  },
});
