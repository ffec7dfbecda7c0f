#!/usr/bin/env bash
# Regenerates the app-server protocol types from the pinned @openai/codex-app-server (`codex app-server generate-ts`)
# and keeps only the files the transport uses and what they import (the full output is ~800 files). Each kept file
# gets a header naming the Codex version and this script. Needs only `npm ci` (no network).
#
#   bash scripts/generate-app-server-types.sh [OUT]    # OUT defaults to src/activities/codex/app-server/protocol
#
# test/generated-protocol.test.ts runs it into a temporary OUT and fails when the committed files differ.
set -euo pipefail
OUT=${1:+$(realpath -m "$1")}
cd "$(dirname "$0")/.."
OUT=${OUT:-src/activities/codex/app-server/protocol}
# What the transport speaks (some only as documentation of the methods it sends), plus whatever
# app-server/*.ts imports from ./protocol/ (so a new import is never missing after regeneration).
ROOTS="InitializeParams ServerRequest v2/ThreadStartParams v2/ThreadStartResponse v2/ThreadResumeParams v2/ThreadResumeResponse v2/TurnStartParams v2/TurnStartResponse v2/TurnInterruptParams v2/TurnCompletedNotification v2/ItemStartedNotification v2/ItemCompletedNotification v2/ThreadTokenUsageUpdatedNotification v2/CommandExecutionRequestApprovalParams v2/CommandExecutionRequestApprovalResponse v2/FileChangeRequestApprovalParams v2/FileChangeRequestApprovalResponse"
IMPORTED=$(grep -ho "from '\./protocol/[^']*'" src/activities/codex/app-server/*.ts | sed "s#from './protocol/\(.*\)'#\1#" | sort -u)

WRAPPER=node_modules/@openai/codex-app-server/bin/codex.js
if [ ! -f "$WRAPPER" ]; then
  echo "generate-app-server-types: $WRAPPER is missing; run npm ci first" >&2
  exit 1
fi
VERSION=$(node -p "require('./node_modules/@openai/codex-app-server/package.json').version")
HEADER="// Generated from @openai/codex $VERSION (npm alias @openai/codex-app-server) by \`codex app-server generate-ts\`.
// DO NOT EDIT. Regenerate: bash scripts/generate-app-server-types.sh"

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
node "$WRAPPER" app-server generate-ts --out "$TMP/all" >"$TMP/log" 2>&1 || {
  cat "$TMP/log" >&2
  echo "generate-app-server-types: codex app-server generate-ts failed" >&2
  exit 1
}

# The roots and everything they import, each with the header (one node process: ~150 files).
rm -rf "$OUT"
HEADER="$HEADER" node - "$TMP/all" "$OUT" $ROOTS $IMPORTED <<'JS'
const fs = require('node:fs');
const path = require('node:path');
const [from, out, ...roots] = process.argv.slice(2);
const seen = new Set();
const queue = [...roots];
while (queue.length > 0) {
  const f = queue.shift();
  if (seen.has(f)) continue;
  seen.add(f);
  const file = path.join(from, `${f}.ts`);
  if (!fs.existsSync(file)) {
    console.error(`generate-app-server-types: Codex generates no ${f}.ts (renamed or removed?)`);
    process.exit(1);
  }
  const text = fs.readFileSync(file, 'utf8');
  fs.mkdirSync(path.join(out, path.dirname(f)), { recursive: true });
  fs.writeFileSync(path.join(out, `${f}.ts`), `${process.env.HEADER}\n\n${text}`);
  for (const [, imp] of text.matchAll(/from "(\.\.?\/[^"]*)"/g)) {
    queue.push(path.posix.normalize(path.posix.join(path.posix.dirname(f), imp)));
  }
}
JS
echo "Codex $VERSION: $(find "$OUT" -name '*.ts' | wc -l) files in $OUT"
