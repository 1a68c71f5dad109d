/**
 * Loaded before every test file (.mocharc.json). Any unhandled rejection or uncaught exception
 * anywhere in the process fails the test that was running, so a leaked promise cannot hide.
 */
const problems: unknown[] = [];

process.on('unhandledRejection', (reason) => problems.push(reason));

export const mochaHooks = {
  afterEach(this: Mocha.Context): void {
    if (problems.length > 0) {
      const found = problems.splice(0);
      const first = found[0];
      throw new Error(
        `${found.length} unhandled rejection(s) during this test; first: ${first instanceof Error ? first.stack : String(first)}`,
      );
    }
  },
};
