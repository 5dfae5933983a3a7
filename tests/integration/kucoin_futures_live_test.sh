#!/usr/bin/env bash
# KuCoin Futures' live market stream (issue 20), against exchange-sim's kucoin_futures
# personality over real TLS on loopback: a token from bullet-public, each contract fetched
# before the connection (the frames count in its lots), a welcome, four subscriptions
# acknowledged (execution, tickerV2, instrument, announcement), pings on the bullet's
# interval. The sim replays the bundled three minutes of KuCoin Futures frames (real
# USDⓈ-M prints, sizes in lots of 0.001 XBT) as today's stream, and publishes marks at the
# book's mid each second, the funding rate each minute and a funding settlement
# (funding.begin) each minute at 0.0001 (a real venue: every 8 h). The node runs
# config/futures-paper.toml on it with the venue's marks. Checked from the journal: every
# trade of the capture, in base units (lots x 0.001); the marks are the venue's only; each
# funding is the venue's, at its time and rate and the mark before it; the candles equal
# those of the same capture imported; the books add up to the unit with that funding
# booked; replay --verify identical; a config that reads the marks without the
# announcements (which would book no funding) is refused before anything starts; and
# `record kucoin-futures` writes a capture, contract first, that imports whole.
source "$(dirname "$0")/lib.sh"
node_with_sim_setup unused unused
# The sim keeps one account (its orders are not built for this venue; its keys must exist).
export KUCOIN_FUTURES_API_KEY=kf-key KUCOIN_FUTURES_API_SECRET=kf-secret-never-shown KUCOIN_FUTURES_API_PASSPHRASE=kf-pass
CAP="$DATA/kucoin_futures_xbtusdtm_20240808.gz"
PERP="XBTUSDTM@kucoin_futures"
contract=(--set "futures.contracts[0].symbol=\"$PERP\"" --set 'futures.contracts[0].multiplier="0.001"')

"$TOOLS" exchange-sim --venue kucoin_futures --capture "$CAP" --speed 20 --funding-rate 0.0001 --funding-interval 1m \
  --hold-while-away --ping-interval-ms 500 --ping-timeout-ms 500 \
  --cert-out "$SCRATCH/sim.pem" --port-file "$SCRATCH/sim.port" > "$SCRATCH/sim.out" 2> "$SCRATCH/sim.log" &
SIM=$!
wait_for_file "$SCRATCH/sim.port"
PORT=$(cat "$SCRATCH/sim.port")

# Refused before anything starts: marks without the announcements would book no funding.
expect_fail "marks without announcements: refused, saying why" 2 'add "announcement"' \
  "$NODE" --config config/futures-paper.toml --set journal.path="$SCRATCH/refused" --set feed.source=kucoin_futures \
  --set "feed.url=https://127.0.0.1:$PORT" --set "feed.symbols=[\"$PERP\"]" \
  --set 'feed.channels=["execution","tickerV2","instrument"]' "${contract[@]}"
[ ! -e "$SCRATCH/refused" ] && ok "the refused config created no journal" || bad "a journal was created"

run="$SCRATCH/live"
"$NODE" --config config/futures-paper.toml --set journal.path="$run" --set feed.source=kucoin_futures \
  --set "feed.url=https://127.0.0.1:$PORT" --set "feed.symbols=[\"$PERP\"]" --set "feed.ca_file=$SCRATCH/sim.pem" \
  "${contract[@]}" > "$SCRATCH/node.out" 2> "$SCRATCH/node.log" &
NODE_PID=$!
# Hang guards only: the waits end on events (every frame handed over; the trades journaled).
for _ in $(seq 1200); do grep -q "every frame handed to a client" "$SCRATCH/sim.log" && break; sleep 0.1; done
grep -q "every frame handed to a client" "$SCRATCH/sim.log" && ok "the simulator handed its whole capture and its marks to the node" \
  || bad "sim: $(tail -3 "$SCRATCH/sim.log") node: $(tail -3 "$SCRATCH/node.log")"
TRADES=$(zcat "$CAP" | grep -c '/contractMarket/execution')
stop_live_node "$run" "$TRADES"
grep -q "kucoin_futures client subscribed to 4 topic(s)" "$SCRATCH/sim.log" && ok "four topics subscribed" \
  || bad "subscriptions: $(grep subscribed "$SCRATCH/sim.log")"
expect_eq "one contract fetched per bullet" "$(grep -c "POST /api/v1/bullet-public -> 200" "$SCRATCH/sim.log")" \
  "$(grep -c "GET /api/v1/contracts/XBTUSDTM -> 200" "$SCRATCH/sim.log")"
! grep -q "sent no ping in time" "$SCRATCH/sim.log" && ok "the node pinged on the bullet's interval" \
  || bad "the sim closed a connection that sent no ping"

"$TOOLS" dump "$run" --json > "$SCRATCH/dump.jsonl" || bad "dump failed"
rm -rf "$SCRATCH/imported"
"$TOOLS" import kucoin-futures-capture "$CAP" --journal "$SCRATCH/imported" > /dev/null || bad "import failed"
"$TOOLS" dump "$SCRATCH/imported" --type trade --json > "$SCRATCH/imported.jsonl"
python3 - "$SCRATCH/dump.jsonl" "$SCRATCH/imported.jsonl" <<'PY' && ok "every trade in base units, as imported; marks the venue's; each funding the venue's, at its rate and the mark before it" || bad "the journal differs"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
imported = [json.loads(l)["body"] for l in open(sys.argv[2])]
trades = [r["body"] for r in rows if r["type"] == "trade"]
key = lambda t: (t["trade_id"], t["price"], t["qty"], t["buyer_maker"])
assert [key(t) for t in trades] == [key(t) for t in imported], (len(trades), len(imported))
marks = [r for r in rows if r["type"] == "mark_price"]
funding = [r for r in rows if r["type"] == "funding"]
assert marks and all(m["body"]["source"] == "venue" for m in marks), "a mark not from the venue"
assert 2 <= len(funding) <= 4, len(funding)  # three minutes, a settlement each minute
last_mark = None
for r in rows:
    b = r["body"]
    if r["type"] == "mark_price":
        last_mark = b
    elif r["type"] == "funding":
        assert b["source"] == "venue" and b["rate"] == "0.0001", b
        assert b["funding_time_ms"] % 60000 == 0, b
        assert last_mark is not None and b["mark_price"] == last_mark["price"], (b, last_mark)
print(f"  {len(trades)} trades, {len(marks)} venue marks, {len(funding)} funding settlements")
PY
if books=$(python3 "$HERE/perp_books.py" "$SCRATCH/dump.jsonl" 2>&1); then
  ok "every portfolio state adds up to the unit, the venue's funding recomputed from the journal ($books)"
else
  bad "the books: $books"
fi
"$TOOLS" replay "$run" --verify > "$SCRATCH/verify.txt" 2>&1 && grep -q "^identical" "$SCRATCH/verify.txt" \
  && ok "replay --verify: identical" || bad "verify: $(tail -2 "$SCRATCH/verify.txt")"

# record kucoin-futures: a capture that begins with the contract, which import then reads
# whole (every size in base units, as the bundled capture's same trades).
kill "$SIM" 2>/dev/null; wait "$SIM" 2>/dev/null
rm -f "$SCRATCH/sim.port"
"$TOOLS" exchange-sim --venue kucoin_futures --capture "$CAP" --speed 20 --hold-while-away \
  --cert-out "$SCRATCH/sim2.pem" --port-file "$SCRATCH/sim.port" > /dev/null 2> "$SCRATCH/sim2.log" &
SIM=$!
wait_for_file "$SCRATCH/sim.port"
"$TOOLS" record kucoin-futures --url "https://127.0.0.1:$(cat "$SCRATCH/sim.port")" --symbols XBTUSDTM \
  --channels execution tickerV2 --ca-file "$SCRATCH/sim2.pem" --frames 500 --out "$SCRATCH/rec.gz" > "$SCRATCH/rec.out" 2>&1 \
  || bad "record: $(tail -2 "$SCRATCH/rec.out")"
expect_eq "the recording begins with the contract" XBTUSDTM \
  "$(zcat "$SCRATCH/rec.gz" | head -1 | cut -d' ' -f2- | python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["symbol"])')"
"$TOOLS" import kucoin-futures-capture "$SCRATCH/rec.gz" --journal "$SCRATCH/rec" > "$SCRATCH/rec-import.txt" 2>&1 \
  && grep -q "malformed lines: 0" "$SCRATCH/rec-import.txt" || bad "import of the recording: $(cat "$SCRATCH/rec-import.txt")"
"$TOOLS" dump "$SCRATCH/rec" --type trade --json > "$SCRATCH/rec.jsonl"
python3 - "$SCRATCH/rec.jsonl" "$SCRATCH/imported.jsonl" <<'PY' && ok "the recording imports whole, its trades as the bundled capture's" || bad "the recording differs"
import json, sys
rec = [json.loads(l)["body"] for l in open(sys.argv[1])]
bundled = {t["trade_id"]: t for t in (json.loads(l)["body"] for l in open(sys.argv[2]))}
assert len(rec) > 100, len(rec)
for t in rec:
    b = bundled[t["trade_id"]]
    assert (t["price"], t["qty"], t["buyer_maker"]) == (b["price"], b["qty"], b["buyer_maker"]), (t, b)
PY
finish
