import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/helpers/global-setup.ts'],
    // Real daemons (registry, dockerd, PostgreSQL, slapd) start in beforeAll hooks.
    hookTimeout: 90_000,
    testTimeout: 60_000,
    // Two cores: files run two at a time; e2e files share dockerd-heavy work poorly beyond that.
    maxWorkers: 2,
    minWorkers: 1,
    pool: 'forks',
    reporters: ['default'],
  },
});
