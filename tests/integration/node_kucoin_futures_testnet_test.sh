#!/usr/bin/env bash
# KuCoin Futures orders (issue 20): the node trades config/futures-paper.toml on
# XBTUSDTM@kucoin_futures in order.mode = "testnet" against exchange-sim's kucoin_futures
# personality over real TLS on loopback (KuCoin Futures has no public sandbox: the sim is
# the testnet): the bundled three minutes of KuCoin Futures frames (real USDⓈ-M prints,
# sizes in lots of 0.001 XBT) as today's stream with the venue's marks and settlements,
# orders to its REST in whole lots, isolated margin at futures.leverage, every request
# signed with KC-API-* headers the sim verifies. Checked: the symbol is made isolated and
# orders carry the leverage; orders go short and long and fill at the venue (fees in USDT
# from its fills), each reaching it once; the books add up to the unit; the journal
# replays identical; the venue's position is the journal's. A resume reconciles that
# position; once someone else trades the account, a resume is refused naming both
# positions, and the journal is left as it was. Then a second session against a faulty
# sim (429 bursts every 7 requests, new orders answered only after the node's timeout):
# each order still reaches the venue exactly once (an unanswered one is looked up by
# clientOid, not resent), and the journal replays identical. No secret appears anywhere.
source "$(dirname "$0")/lib.sh"
node_with_sim_setup unused unused
export KUCOIN_FUTURES_API_KEY=kf-node-key KUCOIN_FUTURES_API_SECRET=kf-node-secret-never-shown-81c2 \
  KUCOIN_FUTURES_API_PASSPHRASE=kf-node-pass-never-shown-4d07
export KUCOIN_CALL_KEY=$KUCOIN_FUTURES_API_KEY KUCOIN_CALL_SECRET=$KUCOIN_FUTURES_API_SECRET \
  KUCOIN_CALL_PASSPHRASE=$KUCOIN_FUTURES_API_PASSPHRASE
CAP="$DATA/kucoin_futures_xbtusdtm_20240808.gz"
PERP="XBTUSDTM@kucoin_futures"

start_sim() {  # start_sim NAME ARGS...: exchange-sim --venue kucoin_futures on the capture; URL, CERT
  "$TOOLS" exchange-sim --venue kucoin_futures --capture "$CAP" --funding-rate 0.0001 --funding-interval 1m \
    --hold-while-away --balance USDT=10000 --cert-out "$SCRATCH/$1.pem" --port-file "$SCRATCH/$1.port" "${@:2}" \
    > "$SCRATCH/$1.out" 2> "$SCRATCH/$1.log" &
  SIM="$SIM $!"
  wait_for_file "$SCRATCH/$1.port"
  URL="https://127.0.0.1:$(cat "$SCRATCH/$1.port")"
  CERT="$SCRATCH/$1.pem"
}
# run_session NAME RUN: the node against the sim NAME until every frame is handed over and
# every order the sim took has its acceptance and final event journaled (hang guards only),
# then stopped once all the capture's trades are journaled.
run_session() {
  node_args=(--config config/futures-paper.toml --set journal.path="$2" --set journal.durability=sync
             --set feed.source=kucoin_futures --set "feed.url=$URL" --set "feed.symbols=[\"$PERP\"]"
             --set "feed.ca_file=$CERT" --set "futures.contracts[0].symbol=\"$PERP\""
             --set 'futures.contracts[0].multiplier="0.001"'
             --set order.mode=testnet --set "venue.rest_url=$URL" --set "venue.ca_file=$CERT"
             --set venue.timeout_ms=1000 --set venue.poll_ms=200)
  "$NODE" "${node_args[@]}" > "$SCRATCH/$1-node.out" 2> "$SCRATCH/$1-node.log" &
  NODE_PID=$!
  for _ in $(seq 1200); do grep -q "every frame handed to a client" "$SCRATCH/$1.log" && break; sleep 0.1; done
  for _ in $(seq 600); do
    at_sim=$(grep -c "POST /api/v1/orders -> 200" "$SCRATCH/$1.log")
    accepted=$(journal_count "$2" '"kind":"accepted"')
    final=$(journal_count "$2" '"kind":"\(filled\|canceled\|rejected\|expired\)"')
    [ "$at_sim" -gt 0 ] && [ "$accepted" -ge "$at_sim" ] && [ "$final" -ge "$accepted" ] && break
    sleep 0.1
  done
  stop_live_node "$2" "$TRADES"
}
TRADES=$(zcat "$CAP" | grep -c '/contractMarket/execution')

start_sim sim --speed 20
run="$SCRATCH/testnet"
run_session sim "$run"
grep -q "^session 1 stopped by signal" "$SCRATCH/sim-node.out" && ok "session closed: stopped by signal" \
  || bad "summary: $(head -3 "$SCRATCH/sim-node.out") $(tail -3 "$SCRATCH/sim-node.log")"
grep -q "GET /api/v2/position/getMarginMode -> 200" "$SCRATCH/sim.log" && ok "the symbol's margin mode was read at the venue" \
  || bad "no margin mode request in the sim's log"
grep -q "1 perpetual position(s) as the journal's" "$SCRATCH/sim-node.log" && ok "start-up: the venue's position is the journal's" \
  || bad "reconciliation: $(grep -m1 'venue kucoin_futures' "$SCRATCH/sim-node.log")"
grep -q "POST /api/v1/orders -> 200" "$SCRATCH/sim.log" && ok "orders went to KuCoin Futures' REST" \
  || bad "no order in the sim's log: $(tail -3 "$SCRATCH/sim-node.log")"

"$TOOLS" dump "$run" --json > "$SCRATCH/dump.jsonl" || bad "dump failed"
python3 - "$SCRATCH/dump.jsonl" "$(grep -c "POST /api/v1/orders -> 200" "$SCRATCH/sim.log")" <<'PY' \
  && ok "orders short and long in whole lots, each at the venue once, filled there with fees in USDT" || bad "orders and fills"
import json, sys
from decimal import Decimal as D
rows = [json.loads(l) for l in open(sys.argv[1])]
requests = [r["body"] for r in rows if r["type"] == "order_request" and not r["body"].get("cancel")]
fills = [r["body"] for r in rows if r["type"] == "order_event" and r["source"] == "exchange" and r["body"]["kind"] in ("filled", "partially_filled")]
shorts = [p for r in rows if r["type"] == "portfolio_state" for p in r["body"]["positions"] if p["qty"].startswith("-")]
accepted = [r for r in rows if r["type"] == "order_event" and r["body"]["kind"] == "accepted"]
codes = [r["body"]["code"] for r in rows if r["type"] == "error"]
print(f"  {len(requests)} order requests, {len(accepted)} accepted, {len(fills)} fills at the venue, {len(shorts)} portfolio "
      f"states short, {codes.count('venue_rate_limited')} rate limited, {codes.count('venue_no_answer')} unanswered (looked up); "
      f"the sim took {sys.argv[2]}")
assert len(requests) >= 2 and len(fills) >= 2, (len(requests), len(fills))
ids = [q["client_order_id"] for q in requests]
assert len(ids) == len(set(ids)) and len(accepted) == int(sys.argv[2]), "each order reached the venue exactly once"
assert all(D(q["qty"]) % D("0.001") == 0 for q in requests), [q["qty"] for q in requests]
assert all(f["fee_asset"] == "USDT" and f["symbol"] == "XBTUSDTM@kucoin_futures" for f in fills), fills[0]
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

# The venue's position, asked by another client, is the journal's last (lots of 0.001 XBT).
venue_qty() {
  python3 "$HERE/kucoin_call.py" "$URL" "$CERT" GET "/api/v1/position?symbol=XBTUSDTM" |
    python3 -c 'import json,sys; from decimal import Decimal as D; print(D(json.load(sys.stdin)["data"]["currentQty"]) * D("0.001"))'
}
journal_qty=$(python3 -c '
import json, sys
last = [json.loads(l) for l in open(sys.argv[1]) if "\"portfolio_state\"" in l][-1]["body"]["positions"]
print(next((p["qty"] for p in last if p["symbol"] == "XBTUSDTM@kucoin_futures"), "0"))' "$SCRATCH/dump.jsonl")
at_venue=$(venue_qty)
python3 "$HERE/kucoin_call.py" "$URL" "$CERT" GET "/api/v1/position?symbol=XBTUSDTM" | grep -q '"marginMode":"ISOLATED","maintMarginReq":0.004,"riskLimit":100000,"realLeverage":5,' \
  && ok "the venue holds the position isolated at futures.leverage = 5 (its orders carried it)" \
  || bad "position: $(python3 "$HERE/kucoin_call.py" "$URL" "$CERT" GET "/api/v1/position?symbol=XBTUSDTM")"
python3 -c 'import sys; from decimal import Decimal as D; sys.exit(D(sys.argv[1]) != D(sys.argv[2]))' "$at_venue" "$journal_qty" \
  && ok "the venue's position ($at_venue) is the journal's ($journal_qty)" || bad "venue $at_venue, journal $journal_qty"

# A resume reconciles the position (whatever it is) and starts.
"$NODE" "${node_args[@]}" --set journal.if_exists=resume > "$SCRATCH/node2.out" 2> "$SCRATCH/node2.log" &
NODE_PID=$!
for _ in $(seq 300); do grep -q "perpetual position(s) as the journal's" "$SCRATCH/node2.log" && break; sleep 0.1; done
grep -q "1 perpetual position(s) as the journal's" "$SCRATCH/node2.log" && ok "a resume finds the venue's position as the journal's" \
  || bad "resume: $(tail -3 "$SCRATCH/node2.log")"
stop_node

# Someone else trades the account: the next resume is refused, naming both positions,
# before the journal is touched.
python3 "$HERE/kucoin_call.py" "$URL" "$CERT" POST /api/v1/orders \
  '{"clientOid":"someone-else-1","symbol":"XBTUSDTM","side":"sell","type":"market","size":1,"marginMode":"ISOLATED","leverage":"5"}' \
  > /dev/null || bad "the other client's order was refused"
records=$("$TOOLS" stats "$run" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["records"])')
timeout 60 "$NODE" "${node_args[@]}" --set journal.if_exists=resume > "$SCRATCH/node3.out" 2> "$SCRATCH/node3.log"
rc=$?  # the timeout is a hang guard: a refused start returns at once
now=$(venue_qty)
[ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] && grep -q "XBTUSDTM@kucoin_futures is $now at the venue, $journal_qty in the journal's portfolio" "$SCRATCH/node3.log" \
  && ok "a position the journal did not book: the start is refused (exit $rc), naming both" \
  || bad "exit $rc: $(tail -2 "$SCRATCH/node3.log")"
after=$("$TOOLS" stats "$run" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["records"])')
[ "$records" = "$after" ] && ok "the refused start left the journal as it was ($after records)" || bad "records $records -> $after"

# A faulty venue: 429 bursts, and every new order answered after the node's timeout.
start_sim faulty --speed 8 --burst-429-every 7 --slow-orders-ms 1200
run_session faulty "$SCRATCH/faulty"
"$TOOLS" dump "$SCRATCH/faulty" --json > "$SCRATCH/faulty.jsonl" || bad "dump failed"
python3 - "$SCRATCH/faulty.jsonl" "$(grep -c "POST /api/v1/orders -> 200" "$SCRATCH/faulty.log")" <<'PY' \
  && ok "a faulty venue: each order at the venue exactly once, unanswered ones looked up, not resent" || bad "the faulty session"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
requests = [r["body"] for r in rows if r["type"] == "order_request" and not r["body"].get("cancel")]
accepted = [r for r in rows if r["type"] == "order_event" and r["body"]["kind"] == "accepted"]
codes = [r["body"]["code"] for r in rows if r["type"] == "error"]
print(f"  {len(requests)} order requests, {len(accepted)} accepted, {codes.count('venue_rate_limited')} rate limited, "
      f"{codes.count('venue_no_answer')} unanswered (looked up); the sim took {sys.argv[2]}")
ids = [q["client_order_id"] for q in requests]
assert requests and len(ids) == len(set(ids)) and len(accepted) == int(sys.argv[2]) == len(requests), "once each"
assert codes.count("venue_no_answer") >= 1 and codes.count("venue_rate_limited") >= 1, "no fault met"
PY
"$TOOLS" replay "$SCRATCH/faulty" --verify > "$SCRATCH/faulty-verify.txt" 2>&1 && grep -q "^identical" "$SCRATCH/faulty-verify.txt" \
  && ok "the faulty session replays identical" || bad "verify: $(tail -2 "$SCRATCH/faulty-verify.txt")"

grep -q "never-shown" "$SCRATCH"/*.log "$SCRATCH"/*.out "$SCRATCH/dump.jsonl" \
  && bad "a secret appears in a log or the journal" || ok "no secret in the logs or the journal"
finish
