#!/usr/bin/env bash
# Binance USDⓈ-M's live market stream (issue 20), against exchange-sim's binance_usdm
# personality over real TLS on loopback: the sim replays the bundled six minutes of real
# USDⓈ-M BTCUSDT trades and best bid/ask as today's stream and publishes
# btcusdt@markPrice@1s from the book, announcing funding 0.0001 every minute (a real
# venue: every 8 h). The node runs config/futures-paper.toml on that stream, where
# futures.mark_price is "venue" by default: its marks are the venue's, and the feed decides each
# funding when a mark names the next funding time (source mark_stream). Checked from the
# journal: the marks are the venue's only; each funding is at the time the marks before it
# announced, at the last rate and mark announced, the feed's last record before the first
# mark of the next period; the books add up to the unit with that funding booked; the journal replays
# --verify identical (which re-decides every funding).
source "$(dirname "$0")/lib.sh"
node_with_sim_setup usdm-test-key-31cc usdm-test-secret-never-shown-95dd

"$TOOLS" exchange-sim --venue binance_usdm --capture "$DATA/btcusdt_usdm_20240808_trades_book.gz" --speed 20 \
  --funding-rate 0.0001 --funding-interval 1m --hold-while-away --key-env BINANCE_API_KEY --secret-env BINANCE_API_SECRET \
  --cert-out "$SCRATCH/sim.pem" --port-file "$SCRATCH/sim.port" > "$SCRATCH/sim.out" 2> "$SCRATCH/sim.log" &
SIM=$!
wait_for_file "$SCRATCH/sim.port"
PORT=$(cat "$SCRATCH/sim.port")

run="$SCRATCH/live"
"$NODE" --config config/futures-paper.toml --set journal.path="$run" --set feed.source=binance_usdm \
  --set "feed.url=wss://127.0.0.1:$PORT/stream" --set 'feed.symbols=["BTCUSDT@binance_usdm"]' \
  --set "feed.ca_file=$SCRATCH/sim.pem" > "$SCRATCH/node.out" 2> "$SCRATCH/node.log" &
NODE_PID=$!
# Hang guards only: the waits end on events (every frame handed over; the trades journaled).
for _ in $(seq 1200); do grep -q "every frame handed to a client" "$SCRATCH/sim.log" && break; sleep 0.1; done
grep -q "every frame handed to a client" "$SCRATCH/sim.log" && ok "the simulator handed its whole capture and its marks to the node" \
  || bad "sim: $(tail -3 "$SCRATCH/sim.log") node: $(tail -3 "$SCRATCH/node.log")"
TRADES=$(zcat "$DATA/btcusdt_usdm_20240808_trades_book.gz" | grep -c '@trade"')
stop_live_node "$run" "$TRADES"
grep -q "^session 1 stopped by signal" "$SCRATCH/node.out" && ok "session closed: stopped by signal" \
  || bad "summary: $(head -3 "$SCRATCH/node.out") $(tail -3 "$SCRATCH/node.log")"

"$TOOLS" dump "$run" --json > "$SCRATCH/dump.jsonl" || bad "dump failed"
TRADES=$TRADES python3 - "$SCRATCH/dump.jsonl" <<'PY' && ok "marks from the venue; each funding at the time they announced, at their last rate and mark" || bad "marks and funding"
import json, os, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
marks = [r for r in rows if r["type"] == "mark_price"]
funding = [r for r in rows if r["type"] == "funding"]
trades = [r for r in rows if r["type"] == "trade"]
print(f"  {len(trades)} trades, {len(marks)} venue marks, {len(funding)} funding times")
assert len(trades) == int(os.environ["TRADES"]), len(trades)
assert all(m["body"]["source"] == "venue" for m in marks), "a mark not from the venue"
# Six minutes of capture, a mark a second: one per second, each a second after the last.
assert len(marks) >= 340, len(marks)
times = [m["body"]["exchange_ts_ms"] for m in marks]
assert all(b - a == 1000 for a, b in zip(times, times[1:])), "marks are not a second apart"
# Funding: at each minute the marks crossed, once, decided by the feed.
assert 5 <= len(funding) <= 7, len(funding)
last_mark = None
seen = set()
for r in rows:
    b = r["body"]
    if r["type"] == "mark_price":
        if last_mark is not None and b["next_funding_time_ms"] != last_mark["next_funding_time_ms"]:
            # The first mark of a new period: the feed's record just before it is the
            # funding of the old one (the portfolio's answer to it may come between).
            prev = next(x for x in reversed(rows[:rows.index(r)]) if x["source"] == "market_feed")
            assert prev["type"] == "funding", f"seq {r['seq']}: no funding before the first mark of a period"
            assert prev["body"]["funding_time_ms"] == last_mark["next_funding_time_ms"], prev
        last_mark = b
    elif r["type"] == "funding":
        assert r["source"] == "market_feed", r
        assert b["source"] == "mark_stream", b
        assert b["funding_time_ms"] % 60000 == 0 and b["funding_time_ms"] not in seen, b
        seen.add(b["funding_time_ms"])
        assert b["funding_time_ms"] == last_mark["next_funding_time_ms"], (b, last_mark)
        assert b["rate"] == last_mark["funding_rate"] == "0.0001", (b, last_mark)
        assert b["mark_price"] == last_mark["price"], (b, last_mark)
PY
if books=$(python3 "$HERE/perp_books.py" "$SCRATCH/dump.jsonl" 2>&1); then
  ok "every portfolio state adds up to the unit, funding recomputed from the journal ($books)"
else
  bad "the books: $books"
fi
"$TOOLS" replay "$run" --verify > "$SCRATCH/verify.txt" 2>&1 && grep -q "^identical" "$SCRATCH/verify.txt" \
  && ok "replay --verify: identical (every funding re-decided from the marks)" || bad "verify: $(tail -2 "$SCRATCH/verify.txt")"
grep -q "usdm-test-secret-never-shown-95dd" "$SCRATCH"/*.log "$SCRATCH"/*.out "$SCRATCH/dump.jsonl" \
  && bad "the secret appears in a log or the journal" || ok "no secret in the logs or the journal"
finish
