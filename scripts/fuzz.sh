#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz with clang (tree build-fuzz/, ASan + UBSan) and runs
# each for a while on a scratch copy of its committed seed corpus. A crash, a leak or a sanitizer
# report fails the run; the input that caused it is kept in build-fuzz/findings/<target>/.
#   bash scripts/fuzz.sh                      # every target, 30 s each (what the test suite runs)
#   bash scripts/fuzz.sh --seconds 600 json_codec
# New inputs found meanwhile stay in the scratch copy; `--merge` folds the interesting ones back
# into tests/fuzz/corpus/ (commit them).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

seconds=30
merge=0
targets=()
while (($#)); do
  case "$1" in
    --seconds) seconds="$2"; shift 2 ;;
    --merge) merge=1; shift ;;
    -*) echo "fuzz.sh: unknown option $1" >&2; exit 2 ;;
    *) targets+=("$1"); shift ;;
  esac
done
((${#targets[@]})) || targets=(http_request json_codec stream_filter grpc_codec)

bash scripts/install-deps.sh --fuzz

export CCACHE_DIR="${CCACHE_DIR:-${HOME:-/root}/.ccache}"
export CCACHE_BASEDIR="$root" CCACHE_NOHASHDIR=1
cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DHERALD_FUZZ=ON \
  -DCMAKE_CXX_COMPILER=clang++ -DBUILD_TESTING=OFF > /dev/null
cmake --build build-fuzz -j2 --target "${targets[@]/%/_fuzzer}"

# A sanitizer report stops the target, UBSan's too (tests/fuzz/ubsan_ignore.txt lists the parts
# of RapidJSON 1.1.0 built without its checks). libFuzzer reports leaks at the end of a run.
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"
export ASAN_OPTIONS="halt_on_error=1"
status=0
for t in "${targets[@]}"; do
  work="build-fuzz/corpus/$t"
  findings="build-fuzz/findings/$t"
  rm -rf "$work"
  mkdir -p "$work" "$findings"
  cp "tests/fuzz/corpus/$t/"* "$work/"
  echo "fuzz.sh: $t for ${seconds} s" >&2
  if "build-fuzz/tests/fuzz/${t}_fuzzer" -max_total_time="$seconds" -max_len=65536 -timeout=10 \
    -rss_limit_mb=2048 -artifact_prefix="$findings/" -print_final_stats=1 "$work" \
    > "build-fuzz/$t.log" 2>&1; then
    grep -E "^(stat::number_of_executed_units|stat::new_units_added):" "build-fuzz/$t.log" \
      | tr '\n' ' ' | sed "s/^/fuzz.sh: $t passed: /;s/$/\n/" >&2
  else
    status=1
    echo "fuzz.sh: $t FAILED; the input is in $findings/, the report:" >&2
    grep -A30 -E "^==[0-9]+==ERROR|runtime error|deadly signal|Timeout" "build-fuzz/$t.log" | head -60 >&2
  fi
  if ((merge)); then
    "build-fuzz/tests/fuzz/${t}_fuzzer" -merge=1 "tests/fuzz/corpus/$t" "$work" > /dev/null 2>&1
  fi
done
exit "$status"
