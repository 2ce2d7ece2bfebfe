#!/usr/bin/env bash
# Installs what Bszo needs beyond the .NET SDK, idempotently. Only Debian packages and npm
# packages are used.
#
#   scripts/prerequisites.sh run    what `bszo finetune` needs (node/npm to fetch model packages)
#   scripts/prerequisites.sh test   plus PyTorch/ONNX (exporter tests, PyTorch reference) and the
#                                   npm test oracles in tools/node
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
mode="${1:-run}"

as_root() {
    if [[ $(id -u) -eq 0 ]]; then "$@"; elif command -v sudo >/dev/null 2>&1; then sudo "$@"; else
        echo "prerequisites: need root to run: $*" >&2; return 1; fi
}

need_apt=()
want=(nodejs npm)
[[ "$mode" == "test" ]] && want+=(python3-torch python3-onnx python3-numpy libopenblas0-pthread)
for pkg in "${want[@]}"; do
    if [[ "$pkg" == nodejs || "$pkg" == npm ]]; then
        command -v "${pkg/nodejs/node}" >/dev/null 2>&1 && continue
    fi
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || need_apt+=("$pkg")
done
# Built-in datasets need no step here: Bszo fetches Debian's package lists into its own cache when
# the system's lack a package it downloads.
if (( ${#need_apt[@]} > 0 )); then
    echo "prerequisites: installing Debian packages: ${need_apt[*]}"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

if [[ "$mode" == "test" ]]; then
    stamp="$root/tools/node/node_modules/.bszo-installed"
    if [[ ! -f "$stamp" || "$root/tools/node/package.json" -nt "$stamp" ]]; then
        echo "prerequisites: installing npm packages for the test oracles (tools/node)"
        # onnxruntime-node's install script downloads GPU binaries from outside the registry; the
        # CPU build it ships works without it.
        (cd "$root/tools/node" && npm install --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null)
        touch "$stamp"
    fi
fi
