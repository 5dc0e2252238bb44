import type { Reporter, SerializedError, TestModule } from 'vitest/node'

/**
 * Ends the run with each skipped test and why it was skipped (the note given to `context.skip`),
 * then the plain line `N passed, N failed, N skipped`, which CI reads to count tests regardless of
 * the runner: it stays the last line. vitest's own summary stays above both.
 */
export default class SummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<SerializedError>): void {
    const counts = { passed: 0, failed: 0, skipped: 0 }
    const skipped: string[] = []
    for (const module of testModules) {
      for (const test of module.children.allTests()) {
        const result = test.result()
        if (result.state === 'passed') counts.passed++
        else if (result.state === 'failed') counts.failed++
        else {
          counts.skipped++
          const reason = result.state === 'skipped' ? result.note : undefined
          skipped.push(`  ${module.relativeModuleId} > ${test.fullName}: ${reason ?? 'no reason given'}`)
        }
      }
      // A file that failed to load has no tests to count, but it failed all the same.
      if (module.state() === 'failed' && [...module.children.allTests()].length === 0) counts.failed++
    }
    // An error no test caught fails the run, so it counts as a failure here too.
    counts.failed += unhandledErrors.length
    const lines = skipped.length === 0 ? [] : ['', 'Skipped:', ...skipped]
    lines.push('', `${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped`)
    process.stdout.write(`${lines.join('\n')}\n`)
  }
}
