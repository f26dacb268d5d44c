#!/usr/bin/env bash
# Builds Herald with AddressSanitizer and UndefinedBehaviorSanitizer (build dir build-asan/) and
# runs the whole test suite against that build, as scripts/test.sh does for the normal one.
# Slower than the normal suite; run by hand, not in CI. Prints ctest's summary and one verdict
# line:  sanitize: PASS|FAIL ctest=<status>
# ASan stops the process at its first report, so the test that triggered it fails. UBSan only
# reports: CAF 0.17.6 itself binds a reference to the contents of an empty shared_ptr on every
# actor spawn (caf/detail/init_fun_factory.hpp), so a UBSan build cannot halt on its first
# report (docs/reliability.md).
#   bash scripts/sanitize.sh            # build and test
#   bash scripts/sanitize.sh --build    # build only
#   bash scripts/sanitize.sh -R e2e     # extra arguments go to ctest
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bash scripts/install-deps.sh --test

export CCACHE_DIR="${CCACHE_DIR:-${HOME:-/root}/.ccache}"
export CCACHE_BASEDIR="$root"
export CCACHE_NOHASHDIR=1
# vptr is left out: it needs the typeinfo of SOCI's classes, which Debian's SOCI does not export.
flags="-fsanitize=address,undefined -fno-sanitize=vptr -fno-omit-frame-pointer"
cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_FLAGS="$flags" -DCMAKE_C_FLAGS="$flags" \
  -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=address,undefined -fno-sanitize=vptr" > /dev/null
cmake --build build-asan -j2
if [ "${1:-}" = --build ]; then exit 0; fi

# Leak reports at exit are left out: CAF and gRPC keep process-wide singletons on purpose.
export ASAN_OPTIONS="detect_leaks=0:halt_on_error=1:abort_on_error=1"
# UBSan cannot stop at its first report: CAF 0.17.6 triggers one on every actor spawn (see the
# header). Its reports go to each process's stderr (gcc's combined runtime ignores log_path),
# which the test harness keeps only for failed tests.
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=0"
pg_env="$(bash scripts/start-test-postgres.sh 2>/dev/null)"
eval "$pg_env"
trap 'bash scripts/stop-test-postgres.sh "$HERALD_TEST_POSTGRES_DIR" >/dev/null 2>&1 || true' EXIT
export HERALD_TEST_POSTGRES_URL
status=0
HERALD_SOURCE_DIR="$root" ctest --test-dir build-asan --output-on-failure "$@" || status=$?
echo "sanitize: $([ "$status" = 0 ] && echo PASS || echo FAIL) ctest=$status"
exit "$status"
