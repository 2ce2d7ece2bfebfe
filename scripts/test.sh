#!/usr/bin/env bash
# Runs Bszo's test suite from a fresh clone: installs what the tests need (Debian packages for the
# Python exporter and the PyTorch reference, npm packages for the JavaScript parity oracle and an
# independent ONNX Runtime consumer), then runs every test and prints "N passed, N failed".
#
# Extra arguments go to `dotnet test` (e.g. --filter "FullyQualifiedName~Noise").
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

# Whatever stops the script (a failed prerequisite install, a crash), it ends with the counts line.
counted=0
trap 'code=$?; if (( counted == 0 )); then echo "the test run stopped before its results were counted (exit $code); see the output above"; echo "0 passed, 1 failed"; fi' EXIT

"$root/scripts/prerequisites.sh" test

results="$root/artifacts/test-results"
rm -rf "$results"
mkdir -p "$results"
status=0
dotnet test "$root/Bszo.sln" -c Release --nologo \
    --logger "trx;LogFileName=results.trx" --logger "console;verbosity=normal" \
    --results-directory "$results" "$@" || status=$?

trx=$(find "$results" -name '*.trx' | head -n 1)
if [[ -z "$trx" ]]; then
    echo "the test run did not produce results; see the build output above"
    exit 1
fi
counters=$(grep -o '<Counters [^>]*>' "$trx" | head -n 1)
count() { echo "$counters" | grep -o " $1=\"[0-9]*\"" | grep -o '[0-9]*' || echo 0; }
passed=$(count passed)
failed=$(( $(count failed) + $(count error) + $(count timeout) + $(count aborted) ))
skipped=$(( $(count total) - $(count executed) ))  # skipped or explicit (benchmarks)
echo "${skipped} skipped (explicit benchmarks and tests for absent hardware)"
counted=1
echo "${passed} passed, ${failed} failed"
if (( failed > 0 )); then exit 1; fi
exit "$status"
