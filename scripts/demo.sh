#!/usr/bin/env bash
# The main job on the bundled real data: import the recorded BTCUSDT and ETHUSDT
# captures into a fresh LMDB journal (runs/demo), then verify and summarise it.
set -euo pipefail
cd "$(dirname "$0")/.."
journal=${1:-runs/demo}
rm -rf "$journal"
./build/bin/trader-tools import binance-capture \
  tests/data/btcusdt_20240808_head20k.gz tests/data/ethusdt_20240808_head8k.gz --journal "$journal"
./build/bin/trader-tools verify "$journal"
./build/bin/trader-tools stats "$journal"
echo
echo "first trades:"
./build/bin/trader-tools dump "$journal" --type trade --limit 3
