import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Each test file gets its own database; two cores, so two files at a time.
    maxWorkers: 2,
    // Chooses the PostgreSQL for the whole run and prints which one.
    globalSetup: ['./test/support/test-database-setup.ts'],
    reporters: ['default', './test/support/summary-reporter.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
})
