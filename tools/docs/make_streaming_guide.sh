#!/usr/bin/env bash
# Regenerates docs/streaming-events.md from a real run: builds herald and the e2e tests, runs the
# stream catalogue test against a real server, which records one payload of every event, and
# renders the guide from tools/docs/streaming-events.template.md and those payloads.
#   bash tools/docs/make_streaming_guide.sh                          # SQLite, builds into build/
#   HERALD_BUILD_DIR=build-x bash tools/docs/make_streaming_guide.sh # use an existing build
# HERALD_E2E_BACKEND=postgresql (with HERALD_TEST_POSTGRES_URL) records on PostgreSQL instead.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"

build="${HERALD_BUILD_DIR:-}"
if [ -z "$build" ]; then
  bash scripts/build.sh herald herald_e2e_tests
  build=build
fi

examples="$(mktemp)"
guide="$(mktemp)"
trap 'rm -f "$examples" "$guide"' EXIT
HERALD_BINARY="$build/api/herald" HERALD_E2E_BACKEND="${HERALD_E2E_BACKEND:-sqlite3}" \
  HERALD_STREAM_EXAMPLES_OUT="$examples" "$build/tests/herald_e2e_tests" -t stream_catalogue
python3 tools/docs/make_streaming_guide.py "$examples" > "$guide"
cat "$guide" > docs/streaming-events.md
echo "make_streaming_guide: wrote docs/streaming-events.md" >&2
