#!/usr/bin/env bash
# Builds once, runs every test project one after another, and closes with one line "tests: N passed, N failed, N skipped",
# preceded by the name and first lines of the error of every failed test (CI shows only the tail of the output).
set -uo pipefail
cd "$(dirname "$0")/.."
log=$(mktemp)
trap 'rm -f "$log"' EXIT

dotnet build StreamRec.sln -c Debug -nologo -v quiet -clp:ErrorsOnly || exit 1

# One test assembly at a time: the end-to-end suites start brokers and hosts, and CI has two cores.
dotnet test StreamRec.sln --no-build -nologo -m:1 "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}

# Every failed test again, with the first lines of its message ("  Failed Name [12 ms]" then "  Error Message:").
if grep -qE '^ +Failed [A-Za-z]' "$log"; then
  printf '\nFailed tests:\n'
  awk '/^ +Failed [A-Za-z]/ { shown = 8; print; next }
       shown > 0 && /^ +(Passed|Skipped|Failed) [A-Za-z]/ { shown = 0 }
       shown > 0 && NF > 0 { print; shown-- }' "$log"
fi

# Sum the per-assembly result lines ("Passed!  - Failed: 0, Passed: 12, Skipped: 1, Total: 13, ...").
grep -E '^(Passed|Failed)! +- Failed:' "$log" | awk -F'[:,]' '
  { failed += $2; passed += $4; skipped += $6; assemblies++ }
  END { printf "\n%d test assemblies\ntests: %d passed, %d failed, %d skipped\n", assemblies, passed, failed, skipped }'
exit "$status"
