'use strict';
// Spec output, then one closing line "N passed, N failed" that CI reads.
const Mocha = require('mocha');
const { Spec } = Mocha.reporters;
const { EVENT_RUN_END } = Mocha.Runner.constants;

class CountsReporter extends Spec {
  constructor(runner, options) {
    super(runner, options);
    runner.once(EVENT_RUN_END, () => {
      const s = runner.stats || {};
      // Skipped (pending) tests get their own line, so the last line keeps exactly the CI form.
      if (s.pending) process.stdout.write(`\n${s.pending} skipped (pending)`);
      process.stdout.write(`\n${s.passes || 0} passed, ${s.failures || 0} failed\n`);
    });
  }
}
module.exports = CountsReporter;
