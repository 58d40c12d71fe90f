import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['{harness,allocators,traces,reports,scripts}/**/*.test.ts'],
    testTimeout: 60_000,
    pool: 'forks',
  },
});
