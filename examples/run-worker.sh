#!/usr/bin/env bash
# Starts the example worker (examples/worker/worker.js) against a herald on this machine: gRPC
# 127.0.0.1:9090 and HTTP 127.0.0.1:8000, as `bash scripts/run.sh` starts it. HERALD_GRPC,
# HERALD_HTTP, HERALD_QUEUE, and HERALD_API_KEY with HERALD_ORG_ID (a Worker key and its
# organization's id, when herald requires authentication) override the defaults. Installs Node.js and the worker's npm packages first when
# they are missing.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dir="$root/examples/worker"
if ! command -v node > /dev/null || ! command -v npm > /dev/null; then
  bash "$root/scripts/install-deps.sh" --node >&2
fi
if [ ! -d "$dir/node_modules/@grpc/grpc-js" ]; then
  (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error >&2)
fi
exec node "$dir/worker.js"
