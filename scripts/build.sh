#!/usr/bin/env bash
# Installs missing Debian packages, configures CMake (Ninja, RelWithDebInfo, build dir build/)
# and builds. Arguments are optional target names (default: all targets).
#   bash scripts/build.sh            # everything
#   bash scripts/build.sh herald     # only the server
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

bash scripts/install-deps.sh

export CCACHE_DIR="${CCACHE_DIR:-${HOME:-/root}/.ccache}"
mkdir -p "$CCACHE_DIR"
# Paths relative to the checkout, and the working directory left out of the hash, so that a
# fresh clone in another folder (as CI makes) hits the cache of an earlier one.
export CCACHE_BASEDIR="$root"
export CCACHE_NOHASHDIR=1

cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo

if (($#)); then
  cmake --build build -j2 --target "$@"
else
  cmake --build build -j2
fi
