import { defineConfig } from 'vitest/config'

// A small run for summary-reporter.test.ts: the project's global setup and reporters over a few
// tests that pass, fail and skip. Its files end in .fixture.ts so the project's own run skips them.
export default defineConfig({
  root: import.meta.dirname,
  test: {
    include: ['*.fixture.ts'],
    globalSetup: ['../test-database-setup.ts'],
    reporters: ['default', '../summary-reporter.ts'],
  },
})
