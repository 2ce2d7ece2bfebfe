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

# Both build configurations: the default (Microsoft.ML.OnnxRuntime) and the GPU build
# (Microsoft.ML.OnnxRuntime.Gpu, -p:BszoCuda=true), which runs on the CPU provider where CUDA is absent and
# skips the CUDA-only tests with the reason. BSZO_TEST_CONFIGS="default" (or "cuda") runs one of them.
configs=(${BSZO_TEST_CONFIGS:-default cuda})
results="$root/artifacts/test-results"
rm -rf "$results"
status=0
for config in "${configs[@]}"; do
    case "$config" in
        default) properties=() ;;
        cuda) properties=(-p:BszoCuda=true) ;;
        *) echo "unknown test configuration '$config' (expected default or cuda)"; exit 2 ;;
    esac
    echo "=== test configuration: $config"
    mkdir -p "$results/$config"
    dotnet test "$root/Bszo.sln" -c Release --nologo "${properties[@]}" \
        --logger "trx;LogFileName=results.trx" --logger "console;verbosity=normal" \
        --results-directory "$results/$config" "$@" || status=$?
done

passed=0; failed=0; skipped=0
for config in "${configs[@]}"; do
    trx=$(find "$results/$config" -name '*.trx' | head -n 1)
    if [[ -z "$trx" ]]; then
        echo "the $config configuration produced no test results; see the build output above"
        exit 1
    fi
    counters=$(grep -o '<Counters [^>]*>' "$trx" | head -n 1)
    count() { echo "$counters" | grep -o " $1=\"[0-9]*\"" | grep -o '[0-9]*' || echo 0; }
    p=$(count passed)
    f=$(( $(count failed) + $(count error) + $(count timeout) + $(count aborted) ))
    s=$(( $(count total) - $(count executed) ))  # skipped or explicit (benchmarks)
    echo "$config configuration: ${p} passed, ${f} failed, ${s} skipped"
    passed=$(( passed + p )); failed=$(( failed + f )); skipped=$(( skipped + s ))
done
echo "${skipped} skipped (explicit benchmarks and tests for absent hardware)"
counted=1
echo "${passed} passed, ${failed} failed"
if (( failed > 0 )); then exit 1; fi
exit "$status"
