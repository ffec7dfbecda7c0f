#!/usr/bin/env bash
# Regenerates the app-server protocol types from the pinned @openai/codex-app-server binary and keeps only the
# files the transport imports (and what they import): the full output is ~800 files.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=src/activities/codex/app-server/protocol
ROOTS="InitializeParams ServerRequest v2/ThreadStartParams v2/ThreadStartResponse v2/ThreadResumeParams v2/ThreadResumeResponse v2/TurnStartParams v2/TurnStartResponse v2/TurnInterruptParams v2/TurnCompletedNotification v2/ItemStartedNotification v2/ItemCompletedNotification v2/ThreadTokenUsageUpdatedNotification v2/CommandExecutionRequestApprovalParams v2/CommandExecutionRequestApprovalResponse v2/FileChangeRequestApprovalParams v2/FileChangeRequestApprovalResponse"
BIN=$(node -e "console.log(require('./src/activities/codex/binaries').appServerBinary())" 2>/dev/null || true)
if [ -z "$BIN" ]; then
  BIN=node_modules/@openai/codex-app-server/node_modules/@openai/codex-linux-x64/vendor/x86_64-unknown-linux-musl/bin/codex
fi
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
"$BIN" app-server generate-ts --out "$TMP"
rm -rf "$OUT"
mkdir -p "$OUT"
declare -A seen
queue=($ROOTS)
while [ ${#queue[@]} -gt 0 ]; do
  f=${queue[0]}
  queue=("${queue[@]:1}")
  [ -n "${seen[$f]:-}" ] && continue
  seen[$f]=1
  mkdir -p "$OUT/$(dirname "$f")"
  cp "$TMP/$f.ts" "$OUT/$f.ts"
  dir=$(dirname "$f")
  for imp in $(grep -o 'from "\./[^"]*"\|from "\.\./[^"]*"' "$TMP/$f.ts" | sed 's/from "\(.*\)"/\1/'); do
    queue+=("$(realpath -m --relative-to="$TMP" "$TMP/$dir/$imp")")
  done
done
echo "$("$BIN" --version): $(find "$OUT" -name '*.ts' | wc -l) files in $OUT"
