#!/usr/bin/env bash
# Installs the Debian packages Herald needs to build, run and test. Idempotent: does nothing
# when everything is present. With --test also what only the tests need: Chromium for the
# browser test, clang for the fuzz targets, and Node.js with npm when the machine has none
# (Debian's; a newer one that is already installed is kept). With --fuzz only clang; with --node
# only Node.js and npm (for the example worker).
set -euo pipefail

packages=(
  build-essential cmake ninja-build ccache pkg-config
  libcaf-dev
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  rapidjson-dev libsodium-dev libhowardhinnant-date-dev tzdata
  libsoci-dev libsqlite3-dev libpq-dev
  libboost-dev libboost-test-dev libboost-program-options-dev libcli11-dev libspdlog-dev
  libbenchmark-dev
  postgresql curl
)

# The libFuzzer targets (scripts/fuzz.sh) build with clang and its runtime.
if [ "${1:-}" = "--test" ] || [ "${1:-}" = "--fuzz" ]; then
  packages+=(clang libclang-rt-14-dev)
fi

if [ "${1:-}" = "--test" ]; then
  packages+=(chromium)
fi
if [ "${1:-}" = "--test" ] || [ "${1:-}" = "--node" ]; then
  command -v node > /dev/null || packages+=(nodejs)
  command -v npm > /dev/null || packages+=(npm)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done

if ((${#missing[@]})); then
  echo "install-deps: installing ${missing[*]}"
  sudo_cmd=""
  [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo_cmd apt-get update -qq
  $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
