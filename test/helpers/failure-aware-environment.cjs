// The test environment of every test file: jest's node environment, plus a flag a test file's
// clean-up can read to keep what a failed test left (its database schemas) for a look.
const { TestEnvironment } = require('jest-environment-node');

class FailureAwareEnvironment extends TestEnvironment {
  async handleTestEvent(event) {
    if (event.name === 'test_done' && event.test.errors.length > 0) this.global.__ctprepTestFailed = true;
    if (event.name === 'hook_failure') this.global.__ctprepTestFailed = true;
  }
}

module.exports = FailureAwareEnvironment;
