#!/usr/bin/env bash
# The node's live market feed against exchange-sim over real TLS on loopback: the sim
# replays a real capture as today's stream, drops the connection every 3000 frames and
# cuts every 1100th frame in half. The sim holds its stream while the node is away
# (--hold-while-away), so the drops, cuts and gaps fall at the same frames however fast the
# node reconnects: the counts below are exact, not "at least". The node journals each connect and disconnect, the
# trade-id gaps the drops cause, and each malformed frame as an error, keeps running,
# stops on SIGTERM, and its journal replays --verify identical. No secret anywhere.
source "$(dirname "$0")/lib.sh"
node_with_sim_setup live-test-key-55aa live-test-secret-never-shown-77bb

"$TOOLS" exchange-sim --capture "$DATA/btcusdt_20240808_head20k.gz" --speed 40 --drop-every 3000 --malformed-every 1100 --hold-while-away \
  --cert-out "$SCRATCH/sim.pem" --port-file "$SCRATCH/sim.port" > "$SCRATCH/sim.out" 2> "$SCRATCH/sim.log" &
SIM=$!
wait_for_file "$SCRATCH/sim.port"
PORT=$(cat "$SCRATCH/sim.port")

run="$SCRATCH/live"
"$NODE" --config "$CONFIG" --set journal.path="$run" --set feed.source=binance --set "feed.url=wss://127.0.0.1:$PORT/stream" \
  --set 'feed.symbols=["BTCUSDT"]' --set 'feed.channels=["trade","bookTicker"]' --set "feed.ca_file=$SCRATCH/sim.pem" \
  --set portfolio.quote_asset=USDT > "$SCRATCH/node.out" 2> "$SCRATCH/node.log" &
NODE_PID=$!
# Hang guards only: the waits end on events (every frame handed over; the journal still).
for _ in $(seq 1200); do grep -q "every frame handed to a client" "$SCRATCH/sim.log" && break; sleep 0.1; done
grep -q "every frame handed to a client" "$SCRATCH/sim.log" && ok "the simulator handed its whole capture to the node" \
  || bad "sim: $(tail -3 "$SCRATCH/sim.log")"
# What the node must end up with, whatever its speed: 18018 trade and bookTicker frames in
# the capture; 6 drops (one frame lost with each), 7 connections, 2 cut frames on each of
# the first 6; 3589 trades less the dropped and cut ones.
EXPECTED_TRADES=3586
stop_live_node "$run" "$EXPECTED_TRADES"
grep -q "^session 1 stopped by signal" "$SCRATCH/node.out" && ok "session closed: stopped by signal" || bad "summary: $(head -3 "$SCRATCH/node.out") $(tail -3 "$SCRATCH/node.log")"

"$TOOLS" dump "$run" --json > "$SCRATCH/dump.jsonl"
EXPECTED_TRADES=$EXPECTED_TRADES python3 - "$SCRATCH/dump.jsonl" <<'PY' && ok "journal: connects, disconnects, gaps, malformed frames as errors, data after each" || bad "journal content"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
status = [r for r in rows if r["type"] == "feed_status"]
kinds = [s["body"]["kind"] for s in status]
connected, disconnected, gaps = kinds.count("connected"), kinds.count("disconnected"), kinds.count("gap")
errors = [r for r in rows if r["type"] == "error" and r["body"]["code"] == "malformed_frame"]
trades = [r for r in rows if r["type"] == "trade"]
print(f"  {len(trades)} trades, {connected} connects, {disconnected} disconnects, {gaps} gaps, {len(errors)} malformed frames")
# Exact: the simulator holds its stream while the node is away, so nothing here depends
# on how fast the node reconnects (under TSan on a loaded machine as on a quiet one).
assert (connected, disconnected) == (7, 6), kinds
# First the warm-up, which finds no klines in a capture of trades, then the stream.
assert kinds[:2] == ["history", "connected"], kinds[:2]
assert status[0]["body"]["detail"].startswith("no closed kline_1m klines"), status[0]["body"]
assert gaps == 3, kinds
assert len(errors) == 12, len(errors)
import os
assert len(trades) == int(os.environ["EXPECTED_TRADES"]), len(trades)
first_reconnect = [s["seq"] for s in status if s["body"]["kind"] == "connected"][1]
assert any(r["seq"] > first_reconnect for r in trades), "no trade after a reconnect"
last_error = max(e["seq"] for e in errors)
assert any(r["seq"] > last_error for r in trades) or last_error > rows[-50]["seq"], "no data after the last error"
# every disconnect is followed by a connect
order = [k for k in kinds if k in ("connected", "disconnected")]
assert all(a != b for a, b in zip(order, order[1:])), order
# today's times: the simulator speaks of now, so candles are today's
candles = [r for r in rows if r["type"] == "candle"]
assert candles and all(c["body"]["open_time_ms"] > 1.7e12 for c in candles)
assert len(candles) < 100, len(candles)
PY
"$TOOLS" replay "$run" --verify > "$SCRATCH/replay.txt" && ok "$(head -1 "$SCRATCH/replay.txt")" || bad "replay: $(cat "$SCRATCH/replay.txt")"
"$TOOLS" verify "$run" > /dev/null && ok "journal verifies" || bad "verify"

expect_fail "live feed without symbols" 2 "feed.symbols" "$NODE" --config "$CONFIG" --set journal.path="$SCRATCH/x" \
  --set feed.source=binance --set 'feed.symbols=[]'
expect_fail "live feed with a non-wss URL" 2 "feed.url" "$NODE" --config "$CONFIG" --set journal.path="$SCRATCH/x" \
  --set feed.source=binance --set 'feed.symbols=["BTCUSDT"]' --set portfolio.quote_asset=USDT --set feed.url=http://example.com
cat "$SCRATCH/dump.jsonl" "$SCRATCH/node.log" "$SCRATCH/node.out" "$SCRATCH/sim.log" | grep -q -e "$BINANCE_API_SECRET" \
  && bad "the secret appears in the journal or a log" || ok "the secret appears in neither the journal nor the logs"
finish
