#!/usr/bin/env bash
# Builds docker/Dockerfile from the committed HEAD and runs it the way a user would, with podman, then checks
# what the README promises of the image: `/`, the three /score forms, the HEALTHCHECK, a non-root user, a
# read-only model mount, and SIGTERM draining (a request in flight finishes, a new one gets 503, exit 0).
#
# Registries are unreachable here, so the image's base, node:20-bookworm-slim, is made locally once
# (debootstrap minbase bookworm + this machine's node and npm) and cached in podman's storage.
# Needs root and: podman runc debootstrap curl (apt-get install -y podman runc debootstrap curl).
# Usage: scripts/container-check.sh [--keep-image]
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BASE_IMAGE=localhost/node:20-bookworm-slim # docker/Dockerfile's FROM resolves to this local image
IMAGE=localhost/llama-endpoint:check
CONTAINER=llama-endpoint-check-$$
STATE=$ROOT/.cache/container-check
WORK=$(mktemp -d "${TMPDIR:-/tmp}/container-check.XXXXXX")
KEEP_IMAGE=false
[[ "${1:-}" == "--keep-image" ]] && KEEP_IMAGE=true

# crun refuses these machines' hybrid cgroups, and podman's default ulimits are above what the kernel allows here.
mkdir -p "$STATE"
if [[ -z "${CONTAINERS_CONF:-}" ]]; then
  export CONTAINERS_CONF=$STATE/containers.conf
  cat >"$CONTAINERS_CONF" <<'EOF'
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]

[engine]
runtime = "runc"
EOF
fi

RESULTS=()
FAILED=0
started=$SECONDS
pass() { RESULTS+=("PASS  $1"); echo "PASS  $1"; }
fail() { RESULTS+=("FAIL  $1"); echo "FAIL  $1" >&2; FAILED=$((FAILED + 1)); }
summary() {
  echo
  echo "== container-check summary ($((SECONDS - started)) s) =="
  printf '%s\n' "${RESULTS[@]}"
  echo "$(( ${#RESULTS[@]} - FAILED )) passed, $FAILED failed"
}
cleanup() {
  podman rm -f -t 0 "$CONTAINER" "$CONTAINER-azure" >/dev/null 2>&1 || true
  [[ "$KEEP_IMAGE" == true ]] || podman rmi -f "$IMAGE" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT

for tool in podman runc debootstrap curl node git; do
  command -v "$tool" >/dev/null || { echo "container-check: '$tool' is missing (apt-get install -y podman runc debootstrap curl)" >&2; exit 2; }
done
[[ $(id -u) == 0 ]] || { echo "container-check: run as root (rootful podman)" >&2; exit 2; }

# ---- the local base image: debootstrap + this machine's node and npm, rebuilt when the node version changes
NODE_VERSION=$(node --version)
base_label=$(podman image inspect --format '{{index .Config.Labels "llama-endpoint.node"}}' "$BASE_IMAGE" 2>/dev/null || true)
if [[ "$base_label" == "$NODE_VERSION" ]]; then
  pass "base image $BASE_IMAGE cached (node $NODE_VERSION)"
else
  t0=$SECONDS
  mirror=${DEBIAN_MIRROR:-$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)}
  mirror=${mirror:-http://deb.debian.org/debian}
  rootfs=$WORK/rootfs
  debootstrap --variant=minbase bookworm "$rootfs" "$mirror" >"$WORK/debootstrap.log" 2>&1 ||
    { tail -20 "$WORK/debootstrap.log" >&2; fail "debootstrap bookworm from $mirror"; summary; exit 1; }
  npm_dir=$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")
  install -m 755 "$(readlink -f "$(command -v node)")" "$rootfs/usr/local/bin/node"
  mkdir -p "$rootfs/usr/local/lib/node_modules"
  cp -a "$npm_dir" "$rootfs/usr/local/lib/node_modules/npm"
  ln -s ../lib/node_modules/npm/bin/npm-cli.js "$rootfs/usr/local/bin/npm"
  ln -s ../lib/node_modules/npm/bin/npx-cli.js "$rootfs/usr/local/bin/npx"
  chroot "$rootfs" useradd --uid 1000 --user-group --create-home --shell /bin/bash node # as the official image
  rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin
  changes=(--change "LABEL llama-endpoint.node=$NODE_VERSION" --change 'CMD ["node"]')
  # A machine behind a TLS-inspecting proxy adds its CA to Debian's local folder; npm in the build needs it too.
  if compgen -G '/usr/local/share/ca-certificates/*.crt' >/dev/null; then
    cat /usr/local/share/ca-certificates/*.crt >"$rootfs/usr/local/share/local-ca.pem"
    changes+=(--change 'ENV NODE_EXTRA_CA_CERTS=/usr/local/share/local-ca.pem')
  fi
  tar -C "$rootfs" -c . | podman import "${changes[@]}" - "$BASE_IMAGE" >"$WORK/import.log" 2>&1 ||
    { cat "$WORK/import.log" >&2; fail "podman import of the base"; summary; exit 1; }
  rm -rf "$rootfs"
  pass "base image $BASE_IMAGE built from debootstrap + node $NODE_VERSION ($((SECONDS - t0)) s)"
fi

# ---- the project image, from the committed HEAD only (no untracked, ignored or uncommitted files)
src=$WORK/src
mkdir -p "$src"
git -C "$ROOT" archive HEAD | tar -x -C "$src"
commit=$(git -C "$ROOT" rev-parse --short HEAD)
t0=$SECONDS
# --format docker keeps HEALTHCHECK (the OCI format has no such field); the host network reaches the registry.
if podman build --format docker --network host -f docker/Dockerfile -t "$IMAGE" "$src" >"$WORK/build.log" 2>&1; then
  size=$(podman image inspect --format '{{.Size}}' "$IMAGE")
  pass "docker/Dockerfile built from $commit in $((SECONDS - t0)) s, $((size / 1000000)) MB"
  if grep -q 'npm warn' "$WORK/build.log"; then fail "npm in the build warned: $(grep 'npm warn' "$WORK/build.log" | head -3)"; else
    pass "npm ci in the build: no warnings"
  fi
else
  tail -30 "$WORK/build.log" >&2
  fail "docker/Dockerfile build from $commit"
  summary
  exit 1
fi

# ---- a model: the image's own CLI writes a small random Llama (slow enough per token to be caught in flight)
# (--out is a folder inside the mount: the model is staged beside it and renamed, and a mount point cannot be.)
model=$WORK/models/model
mkdir -p "$WORK/models"
podman run --rm --user 0 --network none --no-healthcheck -v "$WORK/models:/out" --entrypoint node "$IMAGE" \
  dist/src/cli/main.js create-random --preset bench --layers 2 --out /out/model >"$WORK/model.log" 2>&1 ||
  { cat "$WORK/model.log" >&2; fail "create-random in the image"; summary; exit 1; }

port=$(node -e "const s=require('node:net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")
url=http://127.0.0.1:$port
t0=$SECONDS
# No systemd here to run HEALTHCHECK timers (podman says so on stderr); the check below runs it by hand.
podman run -d --name "$CONTAINER" -p "127.0.0.1:$port:5001" -v "$model:/model:ro" \
  -e SHUTDOWN_TIMEOUT_MS=60000 "$IMAGE" >/dev/null 2>"$WORK/run.log"
ready=false
for _ in $(seq 1 120); do
  if [[ $(curl -s -o /dev/null -w '%{http_code}' "$url/health/ready" || true) == 200 ]]; then ready=true; break; fi
  [[ $(podman inspect --format '{{.State.Running}}' "$CONTAINER") == true ]] || break
  sleep 0.5
done
if [[ "$ready" == true ]]; then pass "ready in $((SECONDS - t0)) s on $url"; else
  podman logs "$CONTAINER" 2>&1 | tail -20 >&2
  fail "container ready within 60 s"
  summary
  exit 1
fi

# expect NAME STATUS BODY_JS CURL_ARGS...: the status code and a JavaScript predicate on the parsed body `b`
expect() {
  local name=$1 status=$2 predicate=$3
  shift 3
  local out code
  out=$(curl -s -w '\n%{http_code}' "$@" || true)
  code=${out##*$'\n'}
  body=${out%$'\n'*}
  if [[ "$code" == "$status" ]] && BODY="$body" node -e "const b=JSON.parse(process.env.BODY); process.exit(($predicate) ? 0 : 1)" 2>/dev/null; then
    pass "$name"
  else
    fail "$name: HTTP $code ${body:0:200}"
  fi
}
json=(-H 'Content-Type: application/json')

expect 'GET / → 200 "healthy"' 200 'b === "healthy"' "$url/"
expect '/score input_string (2 prompts) → [{"0","1"}], each its prompt + continuation' 200 \
  'Array.isArray(b) && b.length === 1 && b[0]["0"].startsWith("I believe") && b[0]["1"].startsWith("Once upon")' \
  "$url/score" "${json[@]}" -d '{"input_data": {"input_string": ["I believe the meaning of life is", "Once upon a time"],
    "parameters": {"top_p": 0.9, "temperature": 0.7, "max_new_tokens": 8, "do_sample": true}}}'
expect '/score bare list + params → ["..."]' 200 \
  'Array.isArray(b) && b.length === 1 && typeof b[0] === "string" && b[0].startsWith("I believe")' \
  "$url/score" "${json[@]}" -d '{"input_data": ["I believe the meaning of life is"], "params": {"max_new_tokens": 8}}'
expect '/score chat → {"output": "..."}' 200 'typeof b.output === "string" && Object.keys(b).length === 1' \
  "$url/score" "${json[@]}" -d '{"input_data": {"input_string": [{"role": "system", "content": "You are terse."},
    {"role": "user", "content": "Name a colour."}], "parameters": {"max_new_tokens": 8}}}'

healthcheck=$(podman inspect --format '{{json .Config.Healthcheck.Test}}' "$CONTAINER")
if [[ "$healthcheck" == *health/live* ]] && podman healthcheck run "$CONTAINER" >/dev/null 2>&1; then
  pass "HEALTHCHECK kept in the image and passing: $healthcheck"
else
  fail "HEALTHCHECK: '$healthcheck' (built without --format docker?) or it failed"
fi

# PID 1 is the server itself (exec-form entry point: it gets SIGTERM), running as the image's non-root user.
pid=$(podman inspect --format '{{.State.Pid}}' "$CONTAINER")
server_uid=$(awk '/^Uid:/ {print $2}' "/proc/$pid/status")
pid1=$(tr '\0' ' ' <"/proc/$pid/cmdline")
if [[ "$server_uid" != 0 && "$pid1" == node\ * ]]; then
  pass "PID 1 is '${pid1% }' as uid $server_uid ($(podman exec "$CONTAINER" id -un)), not root"
else
  fail "non-root exec-form server: PID 1 '$pid1' as uid $server_uid"
fi
if podman exec "$CONTAINER" sh -c 'touch /model/x' 2>/dev/null; then fail "model mount writable"; else
  pass "model mounted read-only"
fi

# ---- SIGTERM: a request in flight finishes with its whole answer, a new one gets 503, the process exits 0
long='{"input_data": ["Once upon a time"], "params": {"max_new_tokens": 200, "ignore_eos": true, "return_full_text": false}}'
curl -s -o "$WORK/inflight.json" -w '%{http_code}' "$url/score" "${json[@]}" -d "$long" >"$WORK/inflight.code" &
curl_pid=$!
for _ in $(seq 1 50); do
  curl -s "$url/metrics" | grep -q '^llama_endpoint_requests_running [1-9]' && break
  sleep 0.1
done
t0=$SECONDS
podman kill --signal TERM "$CONTAINER" >/dev/null
# The signal is handled asynchronously: ask until the server says it is draining (or the request is done).
for _ in $(seq 1 20); do
  code=$(curl -s -o /dev/null -w '%{http_code}' "$url/health/ready" || true)
  [[ "$code" == 503 ]] || ! kill -0 "$curl_pid" 2>/dev/null && break
  sleep 0.1
done
expect 'while draining: new /score → 503' 503 'b.error.code === "ServiceUnavailable"' \
  "$url/score" "${json[@]}" -d '{"input_data": ["Hi"], "params": {"max_new_tokens": 1}}'
wait "$curl_pid" || true
exit_code=$(podman wait "$CONTAINER")
drain_log=$(podman logs "$CONTAINER" 2>&1 | grep '"draining' || true)
in_flight=$(node -e 'const l=process.argv[1]; console.log(l ? JSON.parse(l).inFlight : "none")' "$drain_log")
generated=$(podman logs "$CONTAINER" 2>&1 | node -e '
  const lines = require("node:fs").readFileSync(0, "utf8").split("\n").filter((l) => l.includes("request completed"));
  const last = lines.map((l) => JSON.parse(l)).filter((l) => l.route === "/score" && l.status === 200).at(-1);
  console.log(last ? last.generatedTokens : "none")')
if [[ $(cat "$WORK/inflight.code") == 200 && "$in_flight" -ge 1 && "$generated" == 200 ]]; then
  pass "SIGTERM with $in_flight request in flight: it finished (200, $generated of 200 tokens)"
else
  fail "SIGTERM: in flight at SIGTERM: $in_flight, its answer HTTP $(cat "$WORK/inflight.code"), tokens $generated"
fi
if [[ "$exit_code" == 0 ]]; then pass "exit code 0, $((SECONDS - t0)) s after SIGTERM"; else
  fail "exit code $exit_code after SIGTERM"
fi

# ---- Azure ML's mount: the registered folder one level below $AZUREML_MODEL_DIR, found by the server
azure_dir=/var/azureml-app/azureml-models/llama-2-13b-onnx/1
mkdir "$WORK/azure" && mv "$model" "$WORK/azure/model"
podman run -d --name "$CONTAINER-azure" -p "127.0.0.1:$port:5001" -v "$WORK/azure:$azure_dir:ro" \
  -e AZUREML_MODEL_DIR="$azure_dir" "$IMAGE" >/dev/null 2>>"$WORK/run.log"
for _ in $(seq 1 120); do
  [[ $(curl -s -o /dev/null -w '%{http_code}' "$url/health/ready" || true) == 200 ]] && break
  sleep 0.5
done
expect "AZUREML_MODEL_DIR=$azure_dir: the model folder below it is served" 200 \
  'b.data.length === 1 && b.data[0].id === "model"' "$url/v1/models"
podman rm -f -t 0 "$CONTAINER-azure" >/dev/null 2>&1

summary
[[ $FAILED == 0 ]]
