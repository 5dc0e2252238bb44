import type { Reporter, SerializedError, TestModule } from 'vitest/node'

/**
 * Ends the run with the plain line `N passed, N failed, N skipped`, which CI reads to count tests
 * regardless of the runner; vitest's own summary stays above it.
 */
export default class SummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<SerializedError>): void {
    const counts = { passed: 0, failed: 0, skipped: 0 }
    for (const module of testModules) {
      for (const test of module.children.allTests()) {
        const state = test.result().state
        if (state === 'passed') counts.passed++
        else if (state === 'failed') counts.failed++
        else counts.skipped++
      }
      // A file that failed to load has no tests to count, but it failed all the same.
      if (module.state() === 'failed' && [...module.children.allTests()].length === 0) counts.failed++
    }
    // An error no test caught fails the run, so it counts as a failure here too.
    counts.failed += unhandledErrors.length
    process.stdout.write(`\n${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped\n`)
  }
}
