#!/usr/bin/env bash
# Builds the server and runs it. Arguments are passed to herald, e.g.
#   bash scripts/run.sh --database postgresql://user@host/db --grpc-port 0 --http-port 0
# Without arguments herald uses its defaults (embedded SQLite file, gRPC :9090, HTTP :8000).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

# Build output goes to stderr so that herald's own stdout (e.g. the bound ports) stays clean.
# heraldctl, the command-line client, is built beside it (README: See it work).
bash scripts/build.sh herald heraldctl >&2

exec "$root/build/api/herald" "$@"
