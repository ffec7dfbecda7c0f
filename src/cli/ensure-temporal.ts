/** Makes sure a Temporal CLI is available (CI runs this before the tests); prints which one and where it came from. */
import { AgentSystemError } from '../shared/errors';
import { formatDuration, resolveTemporalCli } from '../temporal/dev-server';

const started = Date.now();
resolveTemporalCli({ log: (line) => console.log(line) }).then(
  (cli) => {
    console.log(`Temporal CLI ready in ${formatDuration(Date.now() - started)} (source: ${cli.source}): ${cli.path}`);
  },
  (err: unknown) => {
    console.error(err instanceof AgentSystemError ? err.message : err);
    process.exit(1);
  },
);
