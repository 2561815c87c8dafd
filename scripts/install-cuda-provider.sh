#!/usr/bin/env bash
# Installs ONNX Runtime's CUDA execution provider for onnxruntime-node outside Docker, with onnxruntime-node's own
# installer: it downloads the provider libraries (libonnxruntime_providers_{shared,cuda,tensorrt}.so) matching the
# installed onnxruntime-node from NuGet (Microsoft.ML.OnnxRuntime.Gpu.Linux) into its bin folder. Needs the
# internet (or GLOBAL_AGENT_HTTPS_PROXY for a proxy); the machine needs the NVIDIA driver, CUDA 12 and cuDNN 9.
# ONNXRUNTIME_NODE_INSTALL is passed on (default cuda12: onnxruntime-node 1.30's only CUDA flavour on linux/x64;
# its installer reads any other value but the platform's default manifest).
# Usage: npm run install-cuda-provider
set -euo pipefail
cd "$(dirname "$0")/.."
flavour="${ONNXRUNTIME_NODE_INSTALL:-cuda12}"
package=node_modules/onnxruntime-node
if [ ! -f "$package/script/install.js" ]; then
  echo "install-cuda-provider: $package is missing: run npm ci first" >&2
  exit 1
fi
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
# Under `npm run` the installer would take this project for its own source tree and exit doing nothing.
if ! env -u npm_config_local_prefix -u npm_package_json ONNXRUNTIME_NODE_INSTALL="$flavour" \
  node "$package/script/install.js" >"$log" 2>&1; then
  reason="$(grep -E '^[A-Za-z]*Error' "$log" | tail -n 1)"
  echo "install-cuda-provider: onnxruntime-node's installer could not install '$flavour' (${reason:-see its output above}); it downloads from NuGet (api.nuget.org), so it needs the internet" >&2
  cat "$log" >&2
  exit 1
fi
bin="$package/bin/napi-v6/linux/x64"
for lib in libonnxruntime_providers_shared.so libonnxruntime_providers_cuda.so; do
  if [ ! -f "$bin/$lib" ]; then
    echo "install-cuda-provider: the installer (ONNXRUNTIME_NODE_INSTALL=$flavour) finished but $bin/$lib is missing" >&2
    exit 1
  fi
done
echo "install-cuda-provider: installed the $flavour provider into $bin; start with --provider cuda"
