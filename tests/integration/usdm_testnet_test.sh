#!/usr/bin/env bash
# USDⓈ-M orders (issue 20): the node trades config/futures-paper.toml in order.mode =
# "testnet" against exchange-sim's binance_usdm personality over real TLS on loopback: the
# bundled six minutes of real USDⓈ-M BTCUSDT trades and books as today's stream, orders
# to its /fapi REST (a USDT-margined futures account). Checked: the margin type (isolated)
# and leverage are set at the venue, orders go short and long and fill there (fills and fees in USDT from userTrades),
# the books add up to the unit, the journal replays identical, and the venue's position is
# the journal's. A resume reconciles that position; once someone else trades the account,
# a resume is refused naming both positions, and the journal is left as it was.
source "$(dirname "$0")/lib.sh"
node_with_sim_setup usdm-tn-key-4e21 usdm-tn-secret-never-shown-c3d9
export BINANCE_USDM_API_KEY=$BINANCE_API_KEY BINANCE_USDM_API_SECRET=$BINANCE_API_SECRET

"$TOOLS" exchange-sim --venue binance_usdm --capture "$DATA/btcusdt_usdm_20240808_trades_book.gz" --speed 20 \
  --funding-rate 0.0001 --funding-interval 1m --hold-while-away --key-env BINANCE_USDM_API_KEY \
  --secret-env BINANCE_USDM_API_SECRET --cert-out "$SCRATCH/sim.pem" --port-file "$SCRATCH/sim.port" \
  > "$SCRATCH/sim.out" 2> "$SCRATCH/sim.log" &
SIM=$!
wait_for_file "$SCRATCH/sim.port"
PORT=$(cat "$SCRATCH/sim.port")
URL="https://127.0.0.1:$PORT"

run="$SCRATCH/testnet"
node_args=(--config config/futures-paper.toml --set journal.path="$run" --set journal.durability=sync
           --set feed.source=binance_usdm --set "feed.url=wss://127.0.0.1:$PORT/stream"
           --set 'feed.symbols=["BTCUSDT@binance_usdm"]' --set "feed.ca_file=$SCRATCH/sim.pem"
           --set order.mode=testnet --set "venue.rest_url=$URL" --set "venue.ca_file=$SCRATCH/sim.pem")
"$NODE" "${node_args[@]}" > "$SCRATCH/node.out" 2> "$SCRATCH/node.log" &
NODE_PID=$!
# Hang guards only: the waits end on events (every frame handed over; the trades journaled).
for _ in $(seq 1200); do grep -q "every frame handed to a client" "$SCRATCH/sim.log" && break; sleep 0.1; done
TRADES=$(zcat "$DATA/btcusdt_usdm_20240808_trades_book.gz" | grep -c '@trade"')
stop_live_node "$run" "$TRADES"
grep -q "^session 1 stopped by signal" "$SCRATCH/node.out" && ok "session closed: stopped by signal" \
  || bad "summary: $(head -3 "$SCRATCH/node.out") $(tail -3 "$SCRATCH/node.log")"
grep -q "POST /fapi/v1/leverage -> 200" "$SCRATCH/sim.log" && ok "the leverage was set at the venue (futures.leverage)" \
  || bad "no leverage request in the sim's log"
grep -q "1 perpetual position(s) as the journal's" "$SCRATCH/node.log" && ok "start-up: the venue's position is the journal's" \
  || bad "reconciliation: $(grep -m1 'venue binance_usdm' "$SCRATCH/node.log")"
grep -q "GET /api/v3" "$SCRATCH/sim.log" && bad "the node called spot's API" || ok "only /fapi was called"

"$TOOLS" dump "$run" --json > "$SCRATCH/dump.jsonl" || bad "dump failed"
python3 - "$SCRATCH/dump.jsonl" <<'PY' && ok "orders short and long, filled at the venue with fees in USDT" || bad "orders and fills"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
requests = [r for r in rows if r["type"] == "order_request"]
fills = [r["body"] for r in rows if r["type"] == "order_event" and r["source"] == "exchange" and r["body"]["kind"] in ("filled", "partially_filled")]
shorts = [p for r in rows if r["type"] == "portfolio_state" for p in r["body"]["positions"] if p["qty"].startswith("-")]
print(f"  {len(requests)} order requests, {len(fills)} fills at the venue, {len(shorts)} portfolio states short")
assert len(requests) >= 2 and len(fills) >= 2, (len(requests), len(fills))
assert all(f["fee_asset"] == "USDT" and f["symbol"] == "BTCUSDT@binance_usdm" for f in fills), fills[0]
assert {f["side"] for f in fills} == {"buy", "sell"}, {f["side"] for f in fills}
assert shorts, "never short"
PY
if books=$(python3 "$HERE/perp_books.py" "$SCRATCH/dump.jsonl" 2>&1); then
  ok "every portfolio state adds up to the unit ($books)"
else
  bad "the books: $books"
fi
"$TOOLS" replay "$run" --verify > "$SCRATCH/verify.txt" 2>&1 && grep -q "^identical" "$SCRATCH/verify.txt" \
  && ok "replay --verify: identical" || bad "verify: $(tail -2 "$SCRATCH/verify.txt")"

# The venue's position, asked by another client, is the journal's last.
venue_qty() {
  python3 "$HERE/fapi_call.py" "$URL" "$SCRATCH/sim.pem" GET /fapi/v2/positionRisk symbol=BTCUSDT |
    python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["positionAmt"])'
}
journal_qty=$(python3 -c '
import json, sys
last = [json.loads(l) for l in open(sys.argv[1]) if "\"portfolio_state\"" in l][-1]["body"]["positions"]
print(next((p["qty"] for p in last if p["symbol"] == "BTCUSDT@binance_usdm"), "0"))' "$SCRATCH/dump.jsonl")
at_venue=$(venue_qty)
python3 -c 'import sys; from decimal import Decimal as D; sys.exit(D(sys.argv[1]) != D(sys.argv[2]))' "$at_venue" "$journal_qty" \
  && ok "the venue's position ($at_venue) is the journal's ($journal_qty)" || bad "venue $at_venue, journal $journal_qty"

# A resume reconciles the position (whatever it is) and starts.
"$NODE" "${node_args[@]}" --set journal.if_exists=resume > "$SCRATCH/node2.out" 2> "$SCRATCH/node2.log" &
NODE_PID=$!
for _ in $(seq 300); do grep -q "perpetual position(s) as the journal's" "$SCRATCH/node2.log" && break; sleep 0.1; done
grep -q "1 perpetual position(s) as the journal's" "$SCRATCH/node2.log" && ok "a resume finds the venue's position as the journal's" \
  || bad "resume: $(tail -3 "$SCRATCH/node2.log")"
stop_node

# The venue holds it in the portfolio's margin type and leverage, set at the start (a new
# Binance account's type is CROSSED, which would put the whole wallet behind the position).
margin=$(python3 "$HERE/fapi_call.py" "$URL" "$SCRATCH/sim.pem" GET /fapi/v2/positionRisk symbol=BTCUSDT |
  python3 -c 'import json,sys; p=json.load(sys.stdin)[0]; print(p["marginType"], p["leverage"])')
expect_eq "the venue holds it isolated at 5x (futures.margin_mode, futures.leverage)" "isolated 5" "$margin"

# Someone else trades the account: the next resume is refused, naming both positions,
# before the journal is touched.
python3 "$HERE/fapi_call.py" "$URL" "$SCRATCH/sim.pem" POST /fapi/v1/order symbol=BTCUSDT side=SELL type=MARKET \
  quantity=0.001 > /dev/null || bad "the other client's order was refused"
records=$("$TOOLS" stats "$run" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["records"])')
timeout 60 "$NODE" "${node_args[@]}" --set journal.if_exists=resume > "$SCRATCH/node3.out" 2> "$SCRATCH/node3.log"
rc=$?  # the timeout is a hang guard: a refused start returns at once
now=$(venue_qty)
[ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] && grep -q "BTCUSDT@binance_usdm is $now at the venue, $journal_qty in the journal's portfolio" "$SCRATCH/node3.log" \
  && ok "a position the journal did not book: the start is refused (exit $rc), naming both" \
  || bad "exit $rc: $(tail -2 "$SCRATCH/node3.log")"
after=$("$TOOLS" stats "$run" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["records"])')
[ "$records" = "$after" ] && ok "the refused start left the journal as it was ($after records)" || bad "records $records -> $after"

grep -q "usdm-tn-secret-never-shown-c3d9" "$SCRATCH"/*.log "$SCRATCH"/*.out "$SCRATCH/dump.jsonl" \
  && bad "the secret appears in a log or the journal" || ok "no secret in the logs or the journal"
finish
