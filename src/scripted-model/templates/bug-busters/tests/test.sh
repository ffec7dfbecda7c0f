#!/usr/bin/env bash
# Bug Busters API smoke test. Start the backend first (cd backend && npm start), then: bash tests/test.sh
# BASE_URL overrides the server address. Exits non-zero when any check fails.
set -u

BASE_URL="${BASE_URL:-http://localhost:3000}"
BODY_FILE="$(mktemp)"
trap 'rm -f "$BODY_FILE"' EXIT
failures=0

# request METHOD PATH [JSON]: prints the HTTP status; the response body goes to $BODY_FILE.
request() {
  if [ $# -ge 3 ]; then
    curl -s -o "$BODY_FILE" -w '%{http_code}' -X "$1" -H 'Content-Type: application/json' --data "$3" "$BASE_URL$2"
  else
    curl -s -o "$BODY_FILE" -w '%{http_code}' -X "$1" "$BASE_URL$2"
  fi
}

# check NAME EXPECTED_STATUS ACTUAL_STATUS [TEXT_THE_BODY_MUST_CONTAIN]
check() {
  if [ "$3" = "$2" ] && { [ $# -lt 4 ] || grep -q -- "$4" "$BODY_FILE"; }; then
    echo "PASS $1"
  else
    echo "FAIL $1 (expected $2, got $3: $(cat "$BODY_FILE"))"
    failures=$((failures + 1))
  fi
}

status=$(request GET /health)
check "GET /health" 200 "$status" '"ok"'

status=$(request POST /scores '{"name":"Tester","score":42}')
check "POST /scores valid" 201 "$status" '"Tester"'

status=$(request GET /scores)
check "GET /scores lists the new score" 200 "$status" '"Tester"'

status=$(request POST /scores '{"name":"","score":"abc"}')
check "POST /scores invalid -> 400" 400 "$status"

status=$(request POST /scores 'not json')
check "POST /scores bad JSON -> 400" 400 "$status"

if [ "$failures" -gt 0 ]; then
  echo "$failures check(s) failed"
  exit 1
fi
echo "All checks passed"
