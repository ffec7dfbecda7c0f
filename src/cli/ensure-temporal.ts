/** Makes sure a Temporal CLI is available (CI runs this before the tests); prints which one and where it came from. */
import { formatDuration, resolveTemporalCli } from '../temporal/dev-server';
import type { CliCommand } from './command';

export const ensureTemporalCommand: CliCommand = {
  name: 'ensure-temporal',
  summary: 'make sure a Temporal CLI is cached (download or build it once); print which one',
  declare: () => undefined,
  action: () => ensureTemporal(),
  // Our own errors are written for the user; a CLI that cannot be had is a failed check, as before.
  failureCode: 1,
};

export async function ensureTemporal(): Promise<number> {
  const started = Date.now();
  const cli = await resolveTemporalCli({ log: (line) => console.log(line) });
  console.log(`Temporal CLI ready in ${formatDuration(Date.now() - started)} (source: ${cli.source}): ${cli.path}`);
  return 0;
}
