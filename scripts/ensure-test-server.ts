/** Makes sure Temporal's time-skipping test server is cached (CI runs this before the tests); prints its path. */
import { AgentSystemError } from '../src/shared/errors';
import { ensureTestServer } from '../src/temporal/test-server';

ensureTestServer({ log: (line) => console.log(line) }).then(
  (file) => console.log(`Temporal test server ready: ${file}`),
  (err: unknown) => {
    console.error(err instanceof AgentSystemError ? err.message : err);
    process.exit(1);
  },
);
