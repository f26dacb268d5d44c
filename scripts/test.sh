#!/usr/bin/env bash
# The whole test suite: installs what is missing (Chromium, the npm packages of the browser test,
# the example worker and the Durable Streams conformance suite too), builds every target, starts a throwaway PostgreSQL 15 and runs all tests (SQLite and
# PostgreSQL) with ctest, then runs each libFuzzer target for 30 s (HERALD_FUZZ_SECONDS; 0 skips
# them). Extra arguments are passed to ctest, e.g. bash scripts/test.sh -R persistence
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

bash scripts/install-deps.sh --test
# puppeteer-core, pinned by tests/browser/package-lock.json; it drives Debian's chromium and
# downloads no browser of its own.
(cd tests/browser && npm ci --no-audit --no-fund --loglevel=error)
# The example worker's gRPC packages (pinned by examples/worker/package-lock.json), for the
# quickstart test.
(cd examples/worker && npm ci --no-audit --no-fund --loglevel=error)
# The Durable Streams conformance suite and vitest (pinned by tests/conformance/package-lock.json).
(cd tests/conformance && npm ci --no-audit --no-fund --loglevel=error)
bash scripts/build.sh

pg_dir=""
ctest_pid=""
# shellcheck disable=SC2317  # invoked via trap
cleanup() {
  if [ -n "$ctest_pid" ]; then
    kill -TERM -- "-$ctest_pid" 2>/dev/null || true  # ctest and the test it is running
    wait "$ctest_pid" 2>/dev/null || true
  fi
  if [ -n "$pg_dir" ]; then
    bash "$root/scripts/stop-test-postgres.sh" "$pg_dir" || true
  fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

pg_env="$(bash scripts/start-test-postgres.sh)"
eval "$pg_env"
pg_dir="$HERALD_TEST_POSTGRES_DIR"
export HERALD_TEST_POSTGRES_URL
echo "test.sh: PostgreSQL at $HERALD_TEST_POSTGRES_URL" >&2

# ctest runs in the background in its own process group and is waited for, so that INT/TERM
# reach the traps at once; the EXIT trap then stops ctest, its running test and PostgreSQL.
status=0
setsid ctest --test-dir build --output-on-failure -j1 "$@" &
ctest_pid=$!
wait "$ctest_pid" || status=$?
ctest_pid=""

# The libFuzzer targets, 30 s each from their committed seeds (a clang build of their sources).
if [ "${HERALD_FUZZ_SECONDS:-30}" != 0 ]; then
  bash scripts/fuzz.sh --seconds "${HERALD_FUZZ_SECONDS:-30}" || status=1
fi
exit "$status"
