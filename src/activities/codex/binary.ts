/**
 * Where the codex binary and its home are: shared by both transports, which start it with different subcommands.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const TARGET_TRIPLES: Record<string, { pkg: string; triple: string }> = {
  'linux-x64': { pkg: '@openai/codex-linux-x64', triple: 'x86_64-unknown-linux-musl' },
  'linux-arm64': { pkg: '@openai/codex-linux-arm64', triple: 'aarch64-unknown-linux-musl' },
  'darwin-x64': { pkg: '@openai/codex-darwin-x64', triple: 'x86_64-apple-darwin' },
  'darwin-arm64': { pkg: '@openai/codex-darwin-arm64', triple: 'aarch64-apple-darwin' },
  'win32-x64': { pkg: '@openai/codex-win32-x64', triple: 'x86_64-pc-windows-msvc' },
  'win32-arm64': { pkg: '@openai/codex-win32-arm64', triple: 'aarch64-pc-windows-msvc' },
};

/**
 * The native codex binary from the pinned platform package, so the child's pid is Codex itself (no Node wrapper
 * in between). Falls back to `node @openai/codex/bin/codex.js` when the platform package is missing.
 */
export function resolveCodexCommand(configured?: string): { command: string; args: string[] } {
  if (configured && !configured.endsWith('.js')) return { command: configured, args: [] };
  const target = TARGET_TRIPLES[`${process.platform}-${process.arch}`];
  if (target) {
    try {
      // From the wrapper's package: a second Codex version (the app-server alias) has its own nested platform package.
      const from = configured ? [path.dirname(path.dirname(configured))] : undefined;
      const pkgDir = path.dirname(require.resolve(`${target.pkg}/package.json`, from && { paths: from }));
      const exe = path.join(
        pkgDir,
        'vendor',
        target.triple,
        'bin',
        process.platform === 'win32' ? 'codex.exe' : 'codex',
      );
      if (fs.existsSync(exe)) return { command: exe, args: [] };
    } catch {
      // Platform package not installed: use the wrapper.
    }
  }
  const js = configured ?? path.join(path.dirname(require.resolve('@openai/codex/package.json')), 'bin', 'codex.js');
  return { command: process.execPath, args: [js] };
}

/** Outside /tmp: Codex refuses to create its helper binaries (PATH aliases) under a temporary directory. */
export function defaultCodexHome(): string {
  return path.join(os.homedir(), '.cache', 'durable-codex-agents', 'codex-home', `worker-${process.pid}`);
}
