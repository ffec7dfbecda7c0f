/**
 * The last resort: building the Temporal CLI from the Go module proxy (a few minutes on 2 cores), for machines
 * where neither a `temporal` on PATH nor the prebuilt wheel is available.
 */
import path from 'node:path';
import { ConfigError } from '../shared/errors';
import { lastLines, run } from './cli-cache';

/** The newest tag whose go.mod has no `replace` directive; later tags are rejected by `go install ...@version`. */
export const GO_BUILD_VERSION = 'v1.5.1';
const TEMPORAL_CLI_PACKAGE = 'github.com/temporalio/cli/cmd/temporal';
/** v1.5.1's go.mod says `go 1.25.0`. */
export const MIN_GO: readonly [number, number] = [1, 25];

/** Throws a ConfigError that says what to do when Go is missing or too old. */
export async function checkGo(env: NodeJS.ProcessEnv): Promise<void> {
  const { code, output, error } = await run('go', ['env', 'GOVERSION'], env);
  if (error?.code === 'ENOENT') {
    throw new ConfigError(`Go is not installed (no \`go\` on PATH; building needs Go >= ${MIN_GO.join('.')})`);
  }
  if (error) throw new ConfigError(`Could not run go: ${error.message}`, { cause: error });
  if (code !== 0) throw new ConfigError(`\`go env GOVERSION\` failed (exit ${code}): ${lastLines(output, 5)}`);
  const match = /go(\d+)\.(\d+)/.exec(output);
  // Development builds of Go ("devel ...") carry no release number; let `go install` decide.
  if (!match) return;
  const [major, minor] = [Number(match[1]), Number(match[2])];
  if (major < MIN_GO[0] || (major === MIN_GO[0] && minor < MIN_GO[1])) {
    throw new ConfigError(
      `Go ${major}.${minor} is too old to build the Temporal CLI ${GO_BUILD_VERSION}: it needs Go >= ${MIN_GO.join('.')} ` +
        `(upgrade Go, or set GOTOOLCHAIN=go${MIN_GO.join('.')}.0 so go fetches that toolchain from the module proxy)`,
    );
  }
}

/** `go install` into `workDir`; returns the built binary's path. */
export async function buildWithGo(workDir: string, env: NodeJS.ProcessEnv): Promise<string> {
  const { code, output, error } = await run('go', ['install', `${TEMPORAL_CLI_PACKAGE}@${GO_BUILD_VERSION}`], {
    ...env,
    GOBIN: workDir,
  });
  if (error) throw new ConfigError(`Could not run go: ${error.message}`, { cause: error });
  if (code !== 0) {
    throw new ConfigError(
      `Building the Temporal CLI ${GO_BUILD_VERSION} failed (go install exited with ${code}):\n${lastLines(output, 20)}`,
    );
  }
  return path.join(workDir, 'temporal');
}
