#!/usr/bin/env bash
# The whole test suite: set-up, type check, then every jest test (unit tests beside the code and
# integration tests against a real control plane and PostgreSQL). The last line is
# `N passed, N failed`, counted from jest's JSON result (the type check counts as one test).
set -uo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh || { echo "setup failed"; echo "0 passed, 1 failed"; exit 1; }

tc_failed=0
echo "[test] tsc --noEmit" >&2
if ! npx tsc --noEmit -p tsconfig.json; then tc_failed=1; echo "[test] type check FAILED" >&2; fi

result=$(mktemp -t fixops-jest-XXXXXX.json)
workers="${FIXOPS_TEST_WORKERS:-2}"
NODE_OPTIONS=--experimental-vm-modules npx jest --ci --maxWorkers="$workers" --json --outputFile="$result" "$@"
jest_rc=$?

summary=$(node -e '
  const fs = require("fs");
  let r;
  try { r = JSON.parse(fs.readFileSync(process.argv[1], "utf8")); } catch { r = null; }
  const tc = Number(process.argv[2]);
  if (!r) { console.log(`0 passed, ${1 + tc} failed`); process.exit(0); }
  // A suite that failed to run has no test results: count it as a failure too.
  const broken = r.testResults.filter((s) => s.status === "failed" && s.assertionResults.length === 0).length;
  console.log(`${r.numPassedTests + (tc ? 0 : 1)} passed, ${r.numFailedTests + broken + tc} failed`);
' "$result" "$tc_failed")
rm -f "$result"
echo "$summary"
case "$summary" in
  *" 0 failed") [[ $jest_rc -eq 0 ]] && exit 0 || exit 1 ;;
  *) exit 1 ;;
esac
