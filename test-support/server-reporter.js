// Prints how many tests ran against each real server (suites titled `[server] ...`), and
// writes the totals for .ci/run's closing line.
const fs = require('node:fs');

class ServerReporter {
  constructor(globalConfig, options = {}) {
    this.outputFile = options.outputFile ?? process.env.TEST_SUMMARY_FILE;
    this.counts = {};
  }

  onTestResult(_test, result) {
    for (const test of result.testResults) {
      const match = /^\[(\w+)\]/.exec(test.ancestorTitles[0] ?? '');
      if (!match) continue;
      const count = (this.counts[match[1]] ??= { passed: 0, failed: 0, skipped: 0 });
      if (test.status === 'passed') count.passed += 1;
      else if (test.status === 'failed') count.failed += 1;
      else count.skipped += 1;
    }
  }

  onRunComplete(_contexts, results) {
    const lines = Object.entries(this.counts).map(
      ([server, c]) => `  ${server}: ${c.passed} passed, ${c.failed} failed, ${c.skipped} skipped`,
    );
    process.stdout.write(`\nTests against real servers:\n${lines.join('\n') || '  none'}\n`);
    if (this.outputFile) {
      const summary = {
        passed: results.numPassedTests,
        failed: results.numFailedTests + results.numRuntimeErrorTestSuites,
        skipped: results.numPendingTests + results.numTodoTests,
        servers: this.counts,
      };
      fs.writeFileSync(this.outputFile, JSON.stringify(summary, null, 2));
    }
  }
}

module.exports = ServerReporter;
