/** Builds the Temporal CLI into its version cache if missing (CI runs this before the tests); prints its path. */
import { AgentSystemError } from '../shared/errors';
import { ensureTemporalCli, formatDuration, TEMPORAL_CLI_VERSION } from '../temporal/dev-server';

const started = Date.now();
ensureTemporalCli({ log: (line) => console.log(line) }).then(
  (executable) => {
    console.log(
      `Temporal CLI ${TEMPORAL_CLI_VERSION}: ${executable} (ready in ${formatDuration(Date.now() - started)})`,
    );
  },
  (err: unknown) => {
    console.error(err instanceof AgentSystemError ? err.message : err);
    process.exit(1);
  },
);
