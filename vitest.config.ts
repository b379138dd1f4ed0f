import { defineConfig } from 'vitest/config';

// globals stay off: TF.js's own test utilities misbehave when vitest injects describe/it globally.
export default defineConfig({
  test: {
    globals: false,
    include: ['test/**/*.test.ts'],
    environment: 'node',
    pool: 'forks',
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
