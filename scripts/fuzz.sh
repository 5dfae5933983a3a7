#!/usr/bin/env bash
# Runs one fuzz target for a bounded time: scripts/fuzz.sh TARGET SECONDS
# (TARGET: frame_parser, coinbase_frame, kucoin_frame, kucoin_futures_frame, config, record_decoder or block_decoder; build them with scripts/build-checks.sh).
# New inputs go to a scratch corpus; the seeds in fuzz/corpus are read, never written.
set -euo pipefail
cd "$(dirname "$0")/.."
target=${1:?target: frame_parser, coinbase_frame, kucoin_frame, kucoin_futures_frame, config, record_decoder or block_decoder}
seconds=${2:-60}
bin=build-fuzz/bin/fuzz_$target
[ -x "$bin" ] || { echo "error: $bin is missing: run scripts/build-checks.sh" >&2; exit 2; }
mkdir -p build-fuzz/artifacts
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
seeds=()
case "$target" in
  frame_parser) seeds=(fuzz/corpus/frame) ;;
  coinbase_frame) seeds=(fuzz/corpus/coinbase) ;;
  kucoin_frame) seeds=(fuzz/corpus/kucoin) ;;
  kucoin_futures_frame) seeds=(fuzz/corpus/kucoin_futures) ;;
  config) seeds=(config) ;;
esac
"$bin" -max_total_time="$seconds" -timeout=5 -rss_limit_mb=2048 -print_final_stats=1 \
  -artifact_prefix="build-fuzz/artifacts/$target-" "$work" "${seeds[@]}" 2>&1 | tail -12
