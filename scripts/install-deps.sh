#!/usr/bin/env bash
# Installs everything the project needs to build and test on Debian 12, from Debian's packages.
set -euo pipefail
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends \
  build-essential cmake ninja-build pkg-config git ca-certificates \
  capnproto libcapnp-dev \
  liblmdb-dev lmdb-utils \
  libcaf-dev \
  libboost-dev libboost-system-dev libssl-dev \
  libxgboost-dev xgboost \
  libspdlog-dev libfmt-dev libsimdjson-dev libtomlplusplus-dev libcli11-dev nlohmann-json3-dev \
  libexpected-dev libxxhash-dev zlib1g-dev libzstd-dev \
  doctest-dev libbenchmark-dev \
  python3 gzip curl ccache openssl bsdutils \
  libsqlite3-dev libpq-dev postgresql \
  slurm-wlm munge \
  clang-14 libfuzzer-14-dev libclang-rt-14-dev \
  chromium  # the diff report's screenshot test renders it in a real browser
# A third-party client the tests drive against exchange-sim (ccxt), pinned in
# tests/js/package-lock.json. Node.js from Debian where the machine has none.
if ! command -v npm > /dev/null; then $SUDO apt-get install -y -qq --no-install-recommends nodejs npm; fi
npm ci --prefix "$(dirname "$0")/../tests/js" --no-audit --no-fund --loglevel=error
