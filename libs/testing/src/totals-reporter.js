// Prints one plain closing line, `tests: N passed, N failed, N skipped`, after Jest's own
// summary, so that any reader of the log (people and CI alike) finds the totals in one place.
class TotalsReporter {
  onRunComplete(_contexts, results) {
    const { numPassedTests, numFailedTests, numPendingTests, numTodoTests, numRuntimeErrorTestSuites } = results;
    const failed = numFailedTests + numRuntimeErrorTestSuites;
    process.stdout.write(`\ntests: ${numPassedTests} passed, ${failed} failed, ${numPendingTests + numTodoTests} skipped\n`);
  }
}
module.exports = TotalsReporter;
