import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Two cores: keep parallelism modest so database and HTTP tests do not starve each other.
    pool: 'forks',
    maxWorkers: 2,
  },
});
