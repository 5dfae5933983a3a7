#!/usr/bin/env bash
# The node's live Coinbase feed (feed.source = "coinbase") against exchange-sim --venue
# coinbase over real TLS on loopback: the node subscribes by messages (market_trades,
# ticker, heartbeats), the sim numbers each connection's frames from 0 and drops the
# connection every 400 frames, holding its stream while the node is away, so the lost
# frames are the same however fast the node reconnects. The journal must hold every trade
# of the capture but those of the lost frames, each connect and disconnect, a trade-id gap
# per lost trade frame (the frame numbers start over on each connection, so those are
# the core's to find), 1m candles equal to an independent aggregation of the trades it
# has, and replay --verify identical. The node stops on SIGTERM.
source "$(dirname "$0")/lib.sh"
node_with_sim_setup unused unused
CAP="$DATA/coinbase_btcusd_20240808.gz"
openssl ecparam -name prime256v1 -genkey -noout -out "$SCRATCH/cb.pem" 2> /dev/null
export COINBASE_API_KEY=organizations/sim/apiKeys/live COINBASE_API_SECRET
COINBASE_API_SECRET=$(cat "$SCRATCH/cb.pem")
DROP=400

# What the node must end up with: the subscribed channels' frames in file order, one lost
# after every DROP sent on a connection.
python3 - "$CAP" "$DROP" > "$SCRATCH/expected.json" <<'PY'
import gzip, json, sys
drop = int(sys.argv[2])
frames = [json.loads(l.split(" ", 1)[1]) for l in gzip.open(sys.argv[1], "rt")]
sent = [f for f in frames if f["channel"] in ("market_trades", "ticker", "heartbeats")]
kept, lost_trade_frames, n = [], 0, 0
for f in sent:
    if n == drop:  # the frame that goes with the connection
        n = 0
        lost_trade_frames += f["channel"] == "market_trades"
        continue
    n += 1
    kept.append(f)
trades = sorted(int(t["trade_id"]) for f in kept if f["channel"] == "market_trades" for e in f["events"] for t in e["trades"])
print(json.dumps({"trades": trades, "drops": (len(sent) - len(kept)), "trade_gaps": lost_trade_frames}))
PY
want() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print($1)" "$SCRATCH/expected.json"; }

"$TOOLS" exchange-sim --venue coinbase --capture "$CAP" --speed 40 --drop-every "$DROP" --hold-while-away \
  --cert-out "$SCRATCH/sim.pem" --port-file "$SCRATCH/sim.port" > "$SCRATCH/sim.out" 2> "$SCRATCH/sim.log" &
SIM=$!
wait_for_file "$SCRATCH/sim.port"
PORT=$(cat "$SCRATCH/sim.port")

run="$SCRATCH/live"
"$NODE" --config "$CONFIG" --set journal.path="$run" --set feed.source=coinbase --set "feed.url=wss://127.0.0.1:$PORT" \
  --set 'feed.symbols=["BTC-USD@coinbase"]' --set 'feed.channels=["market_trades","ticker","heartbeats"]' \
  --set "feed.ca_file=$SCRATCH/sim.pem" --set history.warmup=false --set portfolio.quote_asset=USD \
  --set 'candles.intervals=["1m"]' --set strategy.interval=1m > "$SCRATCH/node.out" 2> "$SCRATCH/node.log" &
NODE_PID=$!
# Hang guards only: the waits end on events (every frame handed over; every trade journaled).
for _ in $(seq 1200); do grep -q "every frame handed to a client" "$SCRATCH/sim.log" && break; sleep 0.1; done
grep -q "every frame handed to a client" "$SCRATCH/sim.log" && ok "the simulator handed its whole capture to the node" \
  || bad "sim: $(tail -3 "$SCRATCH/sim.log")"
expected=$(want 'len(d["trades"])')
stop_live_node "$run" "$expected"
grep -q "coinbase client subscribed to 3 channel(s)" "$SCRATCH/sim.log" && ok "the node subscribed by message, to its 3 channels" \
  || bad "no subscription in the sim's log"

"$TOOLS" dump "$run" --json > "$SCRATCH/journal.jsonl"
python3 - "$SCRATCH/journal.jsonl" "$SCRATCH/expected.json" <<'PY' && ok "every trade but the lost frames', each once; connects, drops and the core's trade gaps" || bad "the journal differs"
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
want = json.load(open(sys.argv[2]))
trades = [r["body"]["trade_id"] for r in recs if r["type"] == "trade" and r["destination"] == "none"]
assert trades == want["trades"], (len(trades), len(want["trades"]))
status = [r["body"] for r in recs if r["type"] == "feed_status"]
connects = sum(s["kind"] == "connected" for s in status)
drops = sum(s["kind"] == "disconnected" for s in status)
assert drops == want["drops"] and connects == drops + 1, (connects, drops, want["drops"])
gaps = [s for s in status if s["kind"] == "gap"]
assert len(gaps) == want["trade_gaps"] and all(g["stream"] == "trade" for g in gaps), gaps
assert all(r["body"]["symbol"] == "BTC-USD@coinbase" for r in recs if r["type"] == "trade")
PY

# Candles: exact over the trades the node has.
python3 "$HERE/candles_match_trades.py" "$SCRATCH/journal.jsonl" \
  && ok "1m candles equal an independent aggregation of the journaled trades" || bad "candles differ"
"$TOOLS" replay "$run" --verify > "$SCRATCH/verify.txt" 2>&1 && ok "the live session replays identical" \
  || bad "replay --verify: $(tail -3 "$SCRATCH/verify.txt")"
# record coinbase: the same stream into a capture file (subscribing by message), which
# imports as a Coinbase capture: the first frames' trades, no gap, nothing malformed.
"$TOOLS" exchange-sim --venue coinbase --capture "$CAP" --speed 100 --cert-out "$SCRATCH/rec.pem" \
  --port-file "$SCRATCH/rec.port" > /dev/null 2> "$SCRATCH/rec-sim.log" &
SIM="$SIM $!"
wait_for_file "$SCRATCH/rec.port"
"$TOOLS" record coinbase --url "wss://127.0.0.1:$(cat "$SCRATCH/rec.port")" --ca-file "$SCRATCH/rec.pem" \
  --products BTC-USD --channels market_trades heartbeats --frames 300 --out "$SCRATCH/rec.gz" > "$SCRATCH/rec.out" 2> "$SCRATCH/rec.err" \
  && grep -q "recorded 300 frames .*0 reconnects, 0 malformed, 0 gaps" "$SCRATCH/rec.out" \
  && ok "record coinbase: $(cat "$SCRATCH/rec.out")" || bad "record coinbase: $(cat "$SCRATCH/rec.out" "$SCRATCH/rec.err")"
"$TOOLS" import coinbase-capture "$SCRATCH/rec.gz" --journal "$SCRATCH/rec-journal" > /dev/null 2>&1 || bad "import of the recording"
"$TOOLS" dump "$SCRATCH/rec-journal" --json | python3 -c '
import gzip, json, sys
recs = [json.loads(l) for l in sys.stdin]
frames = [json.loads(l.split(" ", 1)[1]) for l in gzip.open(sys.argv[1], "rt")]
sent = [f for f in frames if f["channel"] in ("market_trades", "heartbeats")][:298]  # 2 frames answered the subscribes
want = [int(t["trade_id"]) for f in sent if f["channel"] == "market_trades" for e in f["events"] for t in e["trades"]]
got = [r["body"]["trade_id"] for r in recs if r["type"] == "trade"]
assert got == sorted(want) and len(got) > 0, (len(got), len(want))
assert not [r for r in recs if r["type"] in ("error", "feed_status")], "gaps or errors"
' "$CAP" && ok "the recording imports as a Coinbase capture: the first frames' trades, in order, no gap" \
  || bad "the recording's trades differ"

cat "$SCRATCH"/*.log "$SCRATCH"/*.out | grep -q -e "BEGIN EC PRIVATE" && bad "a secret appears in an output" \
  || ok "no secret in any log or output"
finish
