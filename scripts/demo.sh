#!/usr/bin/env bash
# The main job: paper trading on the bundled real data (7 days of Binance BTCUSDC
# 1-minute klines) with config/paper.toml, every message journaled in runs/paper;
# then the journal is verified and the first fills are exported.
set -euo pipefail
cd "$(dirname "$0")/.."
./build/bin/trader-node --config config/paper.toml "$@"
journal=$(grep -E '^path *=' config/paper.toml | sed -E 's/.*"(.*)".*/\1/')
for arg in "$@"; do case "$arg" in journal.path=*) journal=${arg#journal.path=} ;; esac; done
echo
./build/bin/trader-tools verify "$journal"
./build/bin/trader-tools export trades "$journal" --csv "$journal/trades.csv"
echo "first fills:"
head -4 "$journal/trades.csv" | cut -c1-160
