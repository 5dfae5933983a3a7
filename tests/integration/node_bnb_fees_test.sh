#!/usr/bin/env bash
# Fees in BNB end to end: the node in testnet mode against exchange-sim over real TLS, the
# sim taking every commission in BNB (--fee-in-bnb: three quarters of the rate, at 600 USDT
# a BNB), as Binance does with its BNB discount on. The book has no price for BNB: each
# fill's fee is journaled as a fee_asset_unvalued error and left out of the fees and the
# PnL, never guessed; the node's summary counts those fills, `trader-tools report` sums
# their fees by asset, and the session replays --verify identical.
source "$(dirname "$0")/lib.sh"
node_with_sim_setup bnb-key-3c3c bnb-secret-never-shown-9d9d
start_named_sim sim --capture "$DATA/btcusdt_20240808_head20k.gz" --speed 4 --fee-in-bnb --balance USDT=100000 \
  --balance BNB=5

run="$SCRATCH/bnb"
"$NODE" --config "$CONFIG" --set journal.path="$run" --set order.mode=testnet --set journal.durability=sync \
  --set "venue.rest_url=https://127.0.0.1:$sim_PORT" --set "venue.ca_file=$SCRATCH/sim.pem" --set venue.poll_ms=100 \
  --set feed.source=binance --set "feed.url=wss://127.0.0.1:$sim_PORT/stream" --set 'feed.symbols=["BTCUSDT"]' \
  --set 'feed.channels=["trade"]' --set "feed.ca_file=$SCRATCH/sim.pem" --set history.warmup=false \
  --set 'candles.intervals=["1s"]' --set strategy.interval=1s --set strategy.fast_ema=2 --set strategy.slow_ema=4 \
  --set strategy.momentum_candles=2 --set strategy.entry_momentum_bps=0 --set strategy.reentry_cooldown_candles=0 \
  --set risk.stop_loss_pct=0.01 --set risk.take_profit_pct=0.01 --set portfolio.quote_asset=USDT \
  > "$SCRATCH/node.out" 2> "$SCRATCH/node.log" &
NODE_PID=$!
# Until a few fills are journaled (hang guard of 60 s only), then a clean stop.
for _ in $(seq 300); do
  [ "$(journal_count "$run" '"trade_id":[1-9]')" -ge 4 ] && break
  kill -0 "$NODE_PID" 2>/dev/null || break
  sleep 0.2
done
stop_node
grep -q "node failed\|error" "$SCRATCH/node.log" && bad "the node logged an error: $(grep -m3 'error' "$SCRATCH/node.log")"

"$TOOLS" dump "$run" --json > "$SCRATCH/dump.jsonl" || bad "dump"
"$TOOLS" report "$run" > "$SCRATCH/report.txt" || bad "report: $(cat "$SCRATCH/report.txt")"
python3 - "$SCRATCH/dump.jsonl" "$SCRATCH/node.out" "$SCRATCH/report.txt" <<'PY' \
  && ok "every fill paid its fee in BNB; each is reported unvalued, none is in the book's fees; the summary and the report say how much" \
  || bad "BNB fees: $(cat "$SCRATCH/node.out" "$SCRATCH/report.txt")"
import json, re, sys
from decimal import Decimal
records = [json.loads(l) for l in open(sys.argv[1])]
summary, report = open(sys.argv[2]).read(), open(sys.argv[3]).read()
fills = [r["body"] for r in records if r["type"] == "order_event" and Decimal(r["body"]["fill_qty"]) > 0]
assert len(fills) >= 4, len(fills)
assert all(f["fee_asset"] == "BNB" and Decimal(f["fee"]) > 0 for f in fills), fills
unvalued = [r for r in records if r["type"] == "error" and r["source"] == "portfolio" and r["body"]["code"] == "fee_asset_unvalued"]
assert len(unvalued) == len(fills), (len(unvalued), len(fills))
last = [r["body"] for r in records if r["type"] == "portfolio_state"][-1]
assert Decimal(last["fees"]) == 0, last["fees"]
assert last["fills"] == len(fills), (last["fills"], len(fills))
# The book adds up without them: equity - starting cash = realized + unrealized - fees.
assert Decimal(last["equity"]) - Decimal(last["starting_cash"]) == Decimal(last["realized_pnl"]) + Decimal(last["unrealized_pnl"]) - Decimal(last["fees"]), last
assert f"fees not valued in {len(fills)} fill(s)" in summary, summary
total = sum(Decimal(f["fee"]) for f in fills)
m = re.search(r"^  fees not valued ([0-9.]+) BNB \((\d+) fill\(s\)\): left out of the fees and the PnL above$", report, re.M)
assert m and Decimal(m.group(1)) == total and int(m.group(2)) == len(fills), (m and m.groups(), total)
print(f"{len(fills)} fills, {total} BNB of fees not valued")
PY
grep -q "^identical" <<<"$("$TOOLS" replay "$run" --verify)" && ok "the session replays --verify identical" \
  || bad "replay --verify: $("$TOOLS" replay "$run" --verify 2>&1 | tail -3)"
finish
