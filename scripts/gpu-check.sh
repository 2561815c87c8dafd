#!/usr/bin/env bash
# A GPU machine's check, offline, within 8 minutes: the GPU and driver, then decode step times of random float16
# Llama-2-13b-shaped models on each execution provider that loads (dist/scripts/gpu-check.js), as one JSON in DIR.
# Usage: scripts/gpu-check.sh [--cpu-only] [--small] --out DIR      (needs `npm ci && npm run build` done before)
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -f dist/scripts/gpu-check.js ]; then
  echo "gpu-check: dist/scripts/gpu-check.js is missing: run npm run build first" >&2
  exit 1
fi
echo "== machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), node $(node --version)"
if command -v nvidia-smi >/dev/null 2>&1; then
  nvidia-smi --query-gpu=index,name,driver_version,memory.total --format=csv || true
else
  echo "== no nvidia-smi: no NVIDIA GPU or driver visible"
fi
if command -v vulkaninfo >/dev/null 2>&1; then
  vulkaninfo --summary 2>/dev/null | grep -E 'deviceName|driverName|apiVersion' || true
fi
# WebGPU (Dawn on Vulkan) wants a runtime directory.
export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-$(mktemp -d)}"
# 8 minutes in all: the script budgets its own work to 450 s; this stops it regardless.
exec timeout 470 node dist/scripts/gpu-check.js "$@"
