#!/usr/bin/env bash
# Configures (Release by default) and builds into build/; binaries land in build/bin/.
# Extra arguments go to cmake's configure step (e.g. -DTRADER_CHECKS=ON).
set -euo pipefail
cd "$(dirname "$0")/.."
# ccache: paths relative to the checkout, so another clone of the same sources hits too.
export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=1
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE="${BUILD_TYPE:-Release}" "$@"
cmake --build build
