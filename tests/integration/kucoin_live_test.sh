#!/usr/bin/env bash
# The node's live KuCoin feed (feed.source = "kucoin") against exchange-sim --venue kucoin
# over real TLS on loopback, the way KuCoin asks to be read: a fresh token from
# bullet-public before every connection, a welcome, subscriptions acknowledged, pings on
# the interval the bullet gives (the sim closes a connection that stays silent past
# pingInterval + pingTimeout, here 0.6 s), level2 seeded by the REST book each connection
# fetches once subscribed. Faults: the first 2 connections find their
# token expired (the node must fetch new ones), and every connection drops after 400
# frames, the stream held while the node is away, so the lost frames are the same however
# fast it reconnects. The journal must hold every trade of the capture but those of the
# lost frames, a book per connection and every level2 update (let in, or quarantined as
# older than the book), a depth gap per level2 frame lost, each connect, refusal and
# drop, 1m candles equal to an independent aggregation of the trades it has, and replay
# --verify identical.
source "$(dirname "$0")/lib.sh"
node_with_sim_setup unused unused
CAP="$DATA/kucoin_btcusdt_20240808.gz"
export KUCOIN_API_KEY=kc-live-key KUCOIN_API_SECRET=kc-live-secret-never-shown KUCOIN_API_PASSPHRASE=kc-pass-never-shown
DROP=400

# What the node must end up with: the subscribed topics' frames in file order, one lost
# after every DROP sent on a connection.
python3 - "$CAP" "$DROP" > "$SCRATCH/expected.json" <<'PY'
import gzip, json, sys
drop = int(sys.argv[2])
frames = [json.loads(l.split(" ", 1)[1]) for l in gzip.open(sys.argv[1], "rt")]
sent = [f for f in frames if f.get("topic", "").split(":")[0] in ("/market/match", "/market/ticker", "/market/level2")]
kept, n, lost_level2 = [], 0, 0
for f in sent:
    if n == drop:  # the frame that goes with the connection
        n = 0
        lost_level2 += f["topic"].startswith("/market/level2")
        continue
    n += 1
    kept.append(f)
trades = sorted(int(f["data"]["tradeId"]) for f in kept if f["topic"].startswith("/market/match"))
level2 = sum(f["topic"].startswith("/market/level2") for f in kept)
print(json.dumps({"trades": trades, "drops": len(sent) - len(kept), "level2": level2, "lost_level2": lost_level2}))
PY
want() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print($1)" "$SCRATCH/expected.json"; }

"$TOOLS" exchange-sim --venue kucoin --capture "$CAP" --speed 40 --drop-every "$DROP" --hold-while-away \
  --ping-interval-ms 300 --ping-timeout-ms 300 --expire-tokens 2 \
  --cert-out "$SCRATCH/sim.pem" --port-file "$SCRATCH/sim.port" > "$SCRATCH/sim.out" 2> "$SCRATCH/sim.log" &
SIM=$!
wait_for_file "$SCRATCH/sim.port"
PORT=$(cat "$SCRATCH/sim.port")

run="$SCRATCH/live"
"$NODE" --config "$CONFIG" --set journal.path="$run" --set feed.source=kucoin --set "feed.url=https://127.0.0.1:$PORT" \
  --set 'feed.symbols=["BTC-USDT@kucoin"]' --set portfolio.quote_asset=USDT --set 'feed.channels=["match","ticker","level2"]' \
  --set "feed.ca_file=$SCRATCH/sim.pem" --set history.warmup=false \
  --set 'candles.intervals=["1m"]' --set strategy.interval=1m > "$SCRATCH/node.out" 2> "$SCRATCH/node.log" &
NODE_PID=$!
# Hang guards only: the waits end on events (every frame handed over; every trade journaled).
for _ in $(seq 1200); do grep -q "every frame handed to a client" "$SCRATCH/sim.log" && break; sleep 0.1; done
grep -q "every frame handed to a client" "$SCRATCH/sim.log" && ok "the simulator handed its whole capture to the node" \
  || bad "sim: $(tail -3 "$SCRATCH/sim.log")"
expected=$(want 'len(d["trades"])')
stop_live_node "$run" "$expected"

bullets=$(grep -c "POST /api/v1/bullet-public -> 200" "$SCRATCH/sim.log")
expired=$(grep -c "refused as expired" "$SCRATCH/sim.log")
subscribed=$(grep -c "kucoin client subscribed to 3 topic(s)" "$SCRATCH/sim.log")
expect_eq "2 connections refused (expired tokens)" 2 "$expired"
[ "$bullets" -eq $((expired + subscribed)) ] && ok "a fresh token for every connection: $bullets bullets, $expired refused, $subscribed streamed" \
  || bad "bullets $bullets, refused $expired, subscribed $subscribed"
! grep -q "sent no ping in time" "$SCRATCH/sim.log" && ok "the node pinged on KuCoin's interval: no connection closed for silence" \
  || bad "the sim closed a connection that sent no ping"

"$TOOLS" dump "$run" --json > "$SCRATCH/journal.jsonl"
python3 - "$SCRATCH/journal.jsonl" "$SCRATCH/expected.json" <<'PY' && ok "every trade but the lost frames', each once; a book per connection, every level2 update, depth gaps; refusals, connects and drops" || bad "the journal differs"
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
want = json.load(open(sys.argv[2]))
trades = [r["body"]["trade_id"] for r in recs if r["type"] == "trade" and r["destination"] == "none"]
assert trades == want["trades"], (len(trades), len(want["trades"]))
status = [r["body"] for r in recs if r["type"] == "feed_status"]
connects = sum(s["kind"] == "connected" for s in status)
drops = sum(s["kind"] == "disconnected" for s in status)
refused = [s for s in status if s["kind"] == "reconnecting" and "token is expired" in s["detail"]]
assert drops == want["drops"] and connects == drops + 1, (connects, drops, want["drops"])
assert len(refused) == 2, [s["detail"] for s in status if s["kind"] == "reconnecting"]
assert all(r["body"]["symbol"] == "BTC-USDT@kucoin" for r in recs if r["type"] == "trade")
assert any(r["type"] == "book_ticker" for r in recs), "no ticker"
books = [r for r in recs if r["type"] == "depth_snapshot"]
assert len(books) == connects and all(b["body"]["symbol"] == "BTC-USDT@kucoin" for b in books), (len(books), connects)
updates = [r for r in recs if r["type"] == "depth_update"]  # let in, or quarantined as older than the book
assert len(updates) == want["level2"], (len(updates), want["level2"])
depth_gaps = [s for s in status if s["kind"] == "gap" and s["stream"] == "depth"]
# One gap per lost level2 message: the book of the next connection is older than what it
# streams (the capture's), so only the sequence tells what went missing.
assert len(depth_gaps) == want["lost_level2"], (len(depth_gaps), want["lost_level2"])
print(f"  {len(trades)} trades, {len(books)} books, {len(updates)} level2 updates, {len(depth_gaps)} depth gaps, {drops} drops")
PY

python3 "$HERE/candles_match_trades.py" "$SCRATCH/journal.jsonl" \
  && ok "1m candles equal an independent aggregation of the journaled trades" || bad "candles differ"
"$TOOLS" replay "$run" --verify > "$SCRATCH/verify.txt" 2>&1 && ok "the live session replays identical" \
  || bad "replay --verify: $(tail -3 "$SCRATCH/verify.txt")"

# record kucoin: the same stream into a capture file (a token per connection, subscribed
# by topic), which imports as a KuCoin capture: the first frames' trades, in order.
"$TOOLS" exchange-sim --venue kucoin --capture "$CAP" --speed 100 --cert-out "$SCRATCH/rec.pem" \
  --port-file "$SCRATCH/rec.port" > /dev/null 2> "$SCRATCH/rec-sim.log" &
SIM="$SIM $!"
wait_for_file "$SCRATCH/rec.port"
"$TOOLS" record kucoin --url "https://127.0.0.1:$(cat "$SCRATCH/rec.port")" --ca-file "$SCRATCH/rec.pem" \
  --symbols BTC-USDT --channels match --frames 300 --out "$SCRATCH/rec.gz" > "$SCRATCH/rec.out" 2> "$SCRATCH/rec.err" \
  && grep -q "recorded 300 frames .*0 reconnects, 0 malformed, 0 gaps" "$SCRATCH/rec.out" \
  && ok "record kucoin: $(cat "$SCRATCH/rec.out")" || bad "record kucoin: $(cat "$SCRATCH/rec.out" "$SCRATCH/rec.err")"
"$TOOLS" import kucoin-capture "$SCRATCH/rec.gz" --journal "$SCRATCH/rec-journal" > /dev/null 2>&1 || bad "import of the recording"
"$TOOLS" dump "$SCRATCH/rec-journal" --json | python3 -c '
import gzip, json, sys
recs = [json.loads(l) for l in sys.stdin]
frames = [json.loads(l.split(" ", 1)[1]) for l in gzip.open(sys.argv[1], "rt")]
sent = [f for f in frames if f.get("topic", "").startswith("/market/match")][:300]
want = [int(f["data"]["tradeId"]) for f in sent]
got = [r["body"]["trade_id"] for r in recs if r["type"] == "trade"]
assert got == want and len(got) == 300, (len(got), len(want))
assert not [r for r in recs if r["type"] in ("error", "feed_status")], "gaps or errors"
' "$CAP" && ok "the recording imports as a KuCoin capture: the first 300 trades, in order, nothing malformed" \
  || bad "the recording's trades differ"

# The sim's signed REST, with our own signer and curl: the right request passes; a wrong
# passphrase, another key and a stale timestamp are refused with KuCoin's codes.
kc_get() {  # kc_get PATH [PASSPHRASE]: the HTTP status and body of a signed GET
  local args=() line
  while IFS= read -r line; do args+=(-H "$line"); done \
    < <(KUCOIN_API_PASSPHRASE=${2:-$KUCOIN_API_PASSPHRASE} "$TOOLS" sign kucoin --method GET --endpoint "$1")
  curl -s --cacert "$SCRATCH/sim.pem" "${args[@]}" -w ' %{http_code}' "https://127.0.0.1:$PORT$1"
}
[[ $(kc_get /api/v1/accounts) == *'"currency":"USDT"'*' 200' ]] && ok "a signed request: 200" || bad "signed: $(kc_get /api/v1/accounts)"
[[ $(kc_get /api/v1/accounts wrong-passphrase) == *'"400004"'*' 401' ]] && ok "a wrong passphrase: 401, code 400004" \
  || bad "wrong passphrase: $(kc_get /api/v1/accounts wrong-passphrase)"
[[ $(curl -s --cacert "$SCRATCH/sim.pem" -w ' %{http_code}' "https://127.0.0.1:$PORT/api/v1/accounts") == *'"400001"'*' 401' ]] \
  && ok "no signature at all: 401, code 400001" || bad "unsigned request accepted"

cat "$SCRATCH"/*.log "$SCRATCH"/*.out "$SCRATCH/journal.jsonl" | grep -q -e "never-shown" && bad "a secret appears in an output" \
  || ok "no secret in any log, output or the journal"
finish
