/**
 * The app-server protocol types are generated (scripts/generate-app-server-types.sh): regenerated from the pinned
 * Codex into a temporary directory, they must equal the committed ones, file for file, header included.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';

const ROOT = path.resolve(__dirname, '..');
const COMMITTED = path.join(ROOT, 'src/activities/codex/app-server/protocol');
const REGENERATE = 'run: bash scripts/generate-app-server-types.sh';

function files(dir: string): string[] {
  return (fs.readdirSync(dir, { recursive: true }) as string[])
    .filter((f) => f.endsWith('.ts'))
    .map((f) => f.split(path.sep).join('/'))
    .sort();
}

describe('generated app-server protocol', () => {
  it('is fresh for the pinned Codex', () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dca-protocol-'));
    try {
      const out = path.join(tmp, 'protocol');
      execFileSync('bash', ['scripts/generate-app-server-types.sh', out], { cwd: ROOT, stdio: 'pipe' });
      const fresh = files(out);
      assert.deepEqual(files(COMMITTED), fresh, `the set of generated files changed; ${REGENERATE}`);
      const pkg = path.join(ROOT, 'node_modules/@openai/codex-app-server/package.json');
      const { version } = JSON.parse(fs.readFileSync(pkg, 'utf8')) as { version: string };
      for (const f of fresh) {
        const committed = fs.readFileSync(path.join(COMMITTED, f), 'utf8');
        assert.ok(
          committed.startsWith(`// Generated from @openai/codex ${version} `),
          `${f}: no header for ${version}`,
        );
        assert.equal(committed, fs.readFileSync(path.join(out, f), 'utf8'), `${f} is stale; ${REGENERATE}`);
      }
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });
});
