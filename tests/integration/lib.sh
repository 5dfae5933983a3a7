# Shared by the integration tests: sourced, not run.
# Usage in a test: source lib.sh; ... check "what" cmd...; finish
set -u
TOOLS=${TRADER_TOOLS:?set TRADER_TOOLS to the trader-tools binary}
DATA=${TRADER_TEST_DATA:?set TRADER_TEST_DATA to tests/data}
FAULT=${JOURNAL_FAULT:-}
SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/trader-it-XXXXXX")
trap 'rm -rf "$SCRATCH"' EXIT
passed=0
failed=0

ok()   { passed=$((passed + 1)); echo "ok: $*"; }
bad()  { failed=$((failed + 1)); echo "FAIL: $*"; }

# expect_eq WHAT EXPECTED ACTUAL
expect_eq() {
  if [ "$2" = "$3" ]; then ok "$1 ($3)"; else bad "$1: expected '$2', got '$3'"; fi
}

# expect_fail WHAT EXIT_CODE PATTERN CMD...: the command exits with EXIT_CODE and its stderr
# has PATTERN on one line (a clear message, not a crash).
expect_fail() {
  local what=$1 code=$2 pattern=$3
  shift 3
  local err rc
  err=$("$@" 2>&1 >/dev/null)
  rc=$?
  if [ "$rc" -ne "$code" ]; then bad "$what: exit $rc, expected $code (stderr: $err)"; return; fi
  if ! grep -q -- "$pattern" <<<"$err"; then bad "$what: stderr lacks '$pattern': $err"; return; fi
  ok "$what: exit $rc: $(head -1 <<<"$err")"
}

finish() {
  echo "$passed passed, $failed failed"
  [ "$failed" -eq 0 ]
}
