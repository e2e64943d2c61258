import { defineConfig } from 'vitest/config';

// Unit, contract, integration and native-binding tests: plain Node, real SQLite / ORT / addon.
export default defineConfig({
  test: {
    environment: 'node',
    include: ['tests/**/*.test.ts'],
    exclude: ['tests/e2e/**', 'node_modules/**'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    maxWorkers: 2,
  },
});
