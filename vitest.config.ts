import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Integration tests drive real PostgreSQL/Patroni/etcd processes: give them room, and
    // never run two of them at once on a 2-core machine.
    testTimeout: 30_000,
    hookTimeout: 180_000,
    pool: 'forks',
    fileParallelism: true,
    maxWorkers: 2,
    projects: [
      { extends: true, test: { name: 'unit', include: ['tests/unit/**/*.test.ts'] } },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['tests/integration/**/*.test.ts'],
          fileParallelism: false,
          testTimeout: 240_000,
        },
      },
    ],
  },
});
