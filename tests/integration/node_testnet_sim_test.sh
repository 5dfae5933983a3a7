#!/usr/bin/env bash
# The node in testnet mode against exchange-sim over real TLS on loopback: market data from
# the sim's stream (dropped every 3000 frames, every 1100th frame cut in half), signed
# orders to its REST API (429 bursts every 7 requests; new orders answered only after the
# node's timeout). The node trades end to end, backs off on 429, looks an unanswered order
# up instead of sending it twice, journals every venue answer, keeps running through drops
# and malformed frames, resumes and reconciles with the venue, and its journal replays
# --verify identical. Fills also arrive on the user-data stream (dropped every 5 events,
# resubscribed, cross-checked against polling); a sim that refuses it leaves polling. Bad keys, missing keys and the live switch are clear
# errors. No secret anywhere.
source "$(dirname "$0")/lib.sh"
node_with_sim_setup testnet-key-3c3c testnet-secret-never-shown-9d9d

# A funded account: the node starts from what the venue holds, not from portfolio.starting_cash.
"$TOOLS" exchange-sim --capture "$DATA/btcusdt_20240808_head20k.gz" --speed 10 --drop-every 3000 --malformed-every 1100 \
  --burst-429-every 7 --slow-orders-ms 1500 --user-stream-drop-every 5 --balance USDT=12345.67 --balance BTC=0.05 --cert-out "$SCRATCH/sim.pem" --port-file "$SCRATCH/sim.port" > "$SCRATCH/sim.out" 2> "$SCRATCH/sim.log" &
SIM=$!
wait_for_file "$SCRATCH/sim.port"
PORT=$(cat "$SCRATCH/sim.port")

run="$SCRATCH/testnet"
# A fast strategy on 5-second candles so that ~200 s of real trades give several round trips.
node_args=(--config "$CONFIG" --set journal.path="$run" --set order.mode=testnet --set journal.durability=sync
  --set "venue.rest_url=https://127.0.0.1:$PORT" --set "venue.ca_file=$SCRATCH/sim.pem" --set venue.poll_ms=200
  --set venue.timeout_ms=1000
  --set feed.source=binance --set "feed.url=wss://127.0.0.1:$PORT/stream" --set 'feed.symbols=["BTCUSDT"]'
  --set 'feed.channels=["trade"]' --set "feed.ca_file=$SCRATCH/sim.pem"
  --set 'candles.intervals=["5s"]' --set strategy.interval=5s --set strategy.fast_ema=2 --set strategy.slow_ema=4
  --set strategy.momentum_candles=2 --set strategy.entry_momentum_bps=0 --set strategy.reentry_cooldown_candles=1
  --set risk.stop_loss_pct=0.01 --set risk.take_profit_pct=0.01 --set portfolio.quote_asset=USDT
  --set control.listen=127.0.0.1:0)
"$NODE" "${node_args[@]}" > "$SCRATCH/node.out" 2> "$SCRATCH/node.log" &
NODE_PID=$!
for _ in $(seq 600); do grep -q "capture replayed" "$SCRATCH/sim.log" && break; sleep 0.1; done
grep -q "capture replayed" "$SCRATCH/sim.log" && ok "the simulator replayed its capture to the node" || bad "sim: $(tail -3 "$SCRATCH/sim.log")"
# Until every order the sim accepted has its acceptance and its final event in the
# journal (hang guard only; under load the answers take longer, never fewer).
# An order still waiting out a 429 has not reached the sim yet: every request must have ended.
for _ in $(seq 600); do
  at_sim=$(grep -c "POST /api/v3/order -> 200" "$SCRATCH/sim.log")
  accepted=$(journal_count "$run" '"kind":"accepted"')
  final=$(journal_count "$run" '"kind":"\(filled\|canceled\|rejected\|expired\)"')
  requested=$("$TOOLS" dump "$run" --type order_request --json 2>/dev/null | grep -c '"cancel":false')
  [ "$at_sim" -gt 0 ] && [ "$accepted" -ge "$at_sim" ] && [ "$final" -ge "$accepted" ] && [ "$final" -ge "$requested" ] && break
  sleep 0.1
done
# The capture is over, so the feed is silent: the venue's answers must not wait for the
# next trade to be journaled (they once did, until the stop).
[ "$at_sim" -gt 0 ] && [ "$accepted" -ge "$at_sim" ] && [ "$final" -ge "$accepted" ] \
  && ok "while the feed is silent, the venue's answers are journaled as they come ($at_sim accepted, $final final)" \
  || bad "venue answers held up: the sim accepted $at_sim, the journal has $accepted accepted, $final final"
CTL=$(grep -o "control API on http://[0-9.:]*" "$SCRATCH/node.log" | sed 's/control API on //')
curl -s "$CTL/health" | python3 -c '
import json, sys
d = json.load(sys.stdin)
assert d["exchange"]["mode"] == "testnet" and d["exchange"]["errors"] >= 1, d
assert d["exchange"]["last_error"].startswith("venue_"), d
assert d["exchange"]["rate_limited"] >= 1, d  # the sim answers 429 in bursts' && ok "/health shows the venue: mode, its errors and rate-limit waits" || bad "/health: $(curl -s "$CTL/health")"
curl -s "$CTL/status" | python3 -c '
import json, sys
d = json.load(sys.stdin)
s = d["starting_state"]
assert s["from"] == "venue" and s["venue"] == "binance", s
assert [(b["asset"], b["free"]) for b in s["balances"]] == [("USDT", "12345.67"), ("BTC", "0.05")], s
assert s["awaiting_first_price"] == [] and float(s["balances"][1]["price"]) > 0, s  # BTC: valued at the venue price read at the start
# valuing the BTC held at the start (~3,000 USDT) raised equity and starting capital alike:
# it is not profit (a few minutes of trading moves PnL by a few USDT)
assert abs(float(d["pnl_today"])) < 100 and float(d["equity"]) - float(d["starting_capital"]) < 100, d' \
  && ok "/status: the session started from the venue balances, and valuing them is not profit" \
  || bad "/status: $(curl -s "$CTL/status")"
curl -s "$CTL/metrics" | grep -q '^trader_venue_errors_total{code="venue_rate_limited"} [1-9]' \
  && ok "/metrics counts venue errors by code" || bad "/metrics lacks venue errors"
stop_node
grep -q "^session 1 stopped by signal" "$SCRATCH/node.out" && ok "session closed: stopped by signal" || bad "summary: $(head -3 "$SCRATCH/node.out") $(tail -3 "$SCRATCH/node.log")"
grep -q "orders testnet at https://127.0.0.1:$PORT" "$SCRATCH/node.log" && ok "the log says where orders go" || bad "start log"

"$TOOLS" dump "$run" --json > "$SCRATCH/dump.jsonl"
accepted_at_sim=$(grep -c "POST /api/v3/order -> 200" "$SCRATCH/sim.log")
python3 - "$SCRATCH/dump.jsonl" <<'PY' && ok "the session starts from the venue's account (USDT 12345.67, BTC 0.05 valued at the venue's price in the first state), and every portfolio state adds up" || bad "starting state: $(grep -m3 'account_balances\|holding_valued' "$SCRATCH/dump.jsonl")"
import json, sys
from decimal import Decimal as D
rows = [json.loads(l) for l in open(sys.argv[1])]
acct = [r for r in rows if r["type"] == "account_balances"]
assert len(acct) == 1 and acct[0]["source"] == "exchange", acct
first_trade = min(r["seq"] for r in rows if r["type"] == "trade")
assert acct[0]["seq"] < first_trade, "journaled before any market data"
bal = {b["asset"]: D(b["free"]) + D(b["locked"]) for b in acct[0]["body"]["balances"]}
assert bal == {"USDT": D("12345.67"), "BTC": D("0.05")}, bal
states = [r for r in rows if r["type"] == "portfolio_state"]
assert D(states[0]["body"]["cash"]) == D("12345.67"), states[0]
note = [r for r in rows if r["type"] == "error" and r["body"]["code"] == "holding_valued_at_start_price"]
assert len(note) == 1 and note[0]["body"]["context"] == "BTCUSDT", note
# the BTC held is valued at the venue's price read at the start, in the very first state
price = next(D(b["price"]) for b in acct[0]["body"]["balances"] if b["asset"] == "BTC")
assert price > 0 and f"valued at the venue's price at the start, {price.normalize():f}" in note[0]["body"]["message"], note
assert note[0]["seq"] < states[0]["seq"], "valued before the first state"
btc = [p for p in states[0]["body"]["positions"] if p["symbol"] == "BTCUSDT"]
assert btc and D(btc[0]["qty"]) == D("0.05") and D(btc[0]["last_price"]) == price, states[0]
assert D(states[0]["body"]["equity"]) == D(states[0]["body"]["starting_cash"]) == D("12345.67") + D("0.05") * price, states[0]
for r in states:
    b = r["body"]
    assert D(b["equity"]) - D(b["starting_cash"]) == D(b["realized_pnl"]) + D(b["unrealized_pnl"]) - D(b["fees"]), r
PY
python3 - "$SCRATCH/dump.jsonl" "$accepted_at_sim" <<'PY' && ok "journal: orders sent once each, every venue answer journaled, 429s backed off, drops and malformed frames survived" || bad "journal content"
import json, re, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
accepted_at_sim = int(sys.argv[2])
requests = [r for r in rows if r["type"] == "order_request" and not r["body"]["cancel"]]
events = [r for r in rows if r["type"] == "order_event"]
assert all(e["source"] == "exchange" for e in events), "order events come from the venue gateway"
accepted = [e for e in events if e["body"]["kind"] == "accepted"]
fills = [e for e in events if e["body"]["kind"] in ("filled", "partially_filled")]
errors = [r for r in rows if r["type"] == "error"]
codes = [e["body"]["code"] for e in errors]
status = [r["body"]["kind"] for r in rows if r["type"] == "feed_status" and r["body"]["stream"] != "userData"]
print(f"  {len(requests)} orders, {len(accepted)} accepted, {len(fills)} fills, {codes.count('venue_rate_limited')} rate limited, "
      f"{codes.count('venue_no_answer')} unanswered (looked up), {status.count('disconnected')} disconnects, {status.count('gap')} gaps, {codes.count('malformed_frame')} malformed; "
      f"the sim accepted {accepted_at_sim}")
assert len(requests) >= 2 and len(fills) >= 2, (len(requests), len(fills))
assert {f["body"]["side"] for f in fills} == {"buy", "sell"}, "a round trip at least"
ids = [r["body"]["client_order_id"] for r in requests]
assert len(ids) == len(set(ids)), "a client order id was used twice"
assert all(re.fullmatch(r"c[0-9a-f]{8}-[0-9]+", i) for i in ids), ids
assert len(accepted) == accepted_at_sim, "each order reached the venue exactly once"
assert len({e["body"]["client_order_id"] for e in accepted}) == len(accepted)
assert codes.count("venue_rate_limited") >= 1, codes
# the sim answers new orders after the node's timeout: each was looked up, none resent
assert codes.count("venue_no_answer") >= 1, codes
assert status.count("disconnected") >= 1 and status.count("gap") >= 1, status
assert codes.count("malformed_frame") >= 1, codes
# an order request is journaled before the venue's answer about it
seq_of = {r["body"]["client_order_id"]: r["seq"] for r in requests}
assert all(e["seq"] > seq_of[e["body"]["client_order_id"]] for e in events)
# a stop journals the venue's answers to what was sent: every accepted order has its fill
assert len(fills) == len(accepted), (len(fills), len(accepted))
# every fill is in the portfolio: commissions in BTC on buys, USDT on sells
states = [r for r in rows if r["type"] == "portfolio_state"]
assert states[-1]["body"]["fills"] == len(fills), (states[-1]["body"]["fills"], len(fills))
assert any(f["body"]["fee_asset"] == "BTC" for f in fills) and any(f["body"]["fee_asset"] == "USDT" for f in fills)
# the user-data stream: dropped after 5 events (the 6th lost), resubscribed each time;
# fills reached the journal all the same (above: every accepted order has its fill)
user = [r["body"]["kind"] for r in rows if r["type"] == "feed_status" and r["body"]["stream"] == "userData"]
assert user.count("disconnected") >= 1 and user.count("connected") >= 2, user
assert not {"user_stream_missed_fill", "rest_missed_fill"} & set(codes), codes
print(f"  user-data stream: {user.count('connected')} subscriptions, {user.count('disconnected')} drops; "
      f"fills by path: { {p: sum(f['body']['reason'] == p for f in fills) for p in ('user stream', 'REST')} }")
# trading continued after the last malformed frame
last_bad = max(e["seq"] for e in errors if e["body"]["code"] == "malformed_frame")
assert any(r["type"] == "trade" and r["seq"] > last_bad for r in rows)
PY
"$TOOLS" replay "$run" --verify > "$SCRATCH/replay.txt" && ok "$(head -1 "$SCRATCH/replay.txt")" || bad "replay: $(cat "$SCRATCH/replay.txt")"
"$TOOLS" verify "$run" > /dev/null && ok "journal verifies" || bad "verify"
"$TOOLS" replay "$run" --what-if --config "$CONFIG" --out "$SCRATCH/paper-what-if" > "$SCRATCH/what-if.txt" 2>&1 \
  && "$TOOLS" replay "$SCRATCH/paper-what-if" --verify > /dev/null \
  && ok "what-if of the testnet day on paper fills, and it verifies" || bad "what-if: $(cat "$SCRATCH/what-if.txt")"

# explain a venue fill by its trade id: the order's chain from market data to the request,
# then the venue's answers with that fill among them
tid=$(python3 -c '
import json, sys
for l in open(sys.argv[1]):
    r = json.loads(l)
    if r["type"] == "order_event" and r["body"]["trade_id"] > 0: print(r["body"]["trade_id"]); break' "$SCRATCH/dump.jsonl")
"$TOOLS" explain "$run" --fill "$tid" --json | python3 -c '
import json, sys
e = json.load(sys.stdin)
steps = [c["step"] for c in e["chain"]]
assert steps[0] == "market data" and steps[-2:] == ["risk decision", "order request"], steps  # risk decides exits itself
fill = [a for a in e["after"] if a["step"] == "fill" and a["body"]["trade_id"] == int(sys.argv[1])]
assert len(fill) == 1 and fill[0]["seq"] == e["target_seq"] and fill[0]["cause_seq"] == 0, e["after"]  # a venue answer is an input
assert e["chain"][-1]["body"]["client_order_id"] == fill[0]["body"]["client_order_id"] == e["client_order_id"]
print("  " + " -> ".join(steps) + f" ... fill {sys.argv[1]} of {e['"'"'client_order_id'"'"']}")' "$tid" \
  && ok "explain --fill $tid: the venue fill, its order, and the order's chain" || bad "explain --fill $tid"

# Restart on the same journal: reconcile with the venue (orders looked up, balances
# compared), then continue; both sessions replay identical.
"$NODE" "${node_args[@]}" --set journal.if_exists=resume > "$SCRATCH/node2.out" 2> "$SCRATCH/node2.log" &
NODE_PID=$!
for _ in $(seq 100); do grep -q "venue binance: clock offset" "$SCRATCH/node2.log" && break; sleep 0.1; done
sleep 1
kill -TERM "$NODE_PID"; wait "$NODE_PID"; rc=$?; NODE_PID=""
expect_eq "the resumed node exits 0" 0 "$rc"
line=$(grep -o "venue binance: clock offset.*" "$SCRATCH/node2.log")
grep -q "0 not at the venue; 0 unknown open order(s); 0 balance difference(s)" <<<"$line" \
  && ok "reconciled on restart: $line" || bad "reconciliation: $line $(tail -3 "$SCRATCH/node2.log")"
"$TOOLS" replay "$run" --verify > "$SCRATCH/replay2.txt" && ok "after the restart: $(head -1 "$SCRATCH/replay2.txt")" \
  || bad "replay after restart: $(cat "$SCRATCH/replay2.txt")"

# kill -9 while an order is at the venue but its answer is not back (the sim answers 1.5 s
# late): on restart the node looks it up by client order id, journals what the venue did
# with it, and does not send it again.
kill "$SIM"; wait "$SIM" 2>/dev/null
"$TOOLS" exchange-sim --capture "$DATA/btcusdt_20240808_head20k.gz" --speed 10 --delay-ms 1500 \
  --refuse-user-stream --cert-out "$SCRATCH/sim2.pem" --port-file "$SCRATCH/sim2.port" > /dev/null 2> "$SCRATCH/sim2.log" &
SIM=$!
wait_for_file "$SCRATCH/sim2.port"
P2=$(cat "$SCRATCH/sim2.port")
crash_args=("${node_args[@]}" --set journal.path="$SCRATCH/crash" --set venue.timeout_ms=5000 --set "venue.rest_url=https://127.0.0.1:$P2"
  --set "venue.ca_file=$SCRATCH/sim2.pem" --set "feed.url=wss://127.0.0.1:$P2/stream" --set "feed.ca_file=$SCRATCH/sim2.pem")
"$NODE" "${crash_args[@]}" > /dev/null 2> "$SCRATCH/crash1.log" &
NODE_PID=$!
for _ in $(seq 600); do grep -q "POST /api/v3/order -> 200" "$SCRATCH/sim2.log" && break; sleep 0.05; done
kill -9 "$NODE_PID"; wait "$NODE_PID" 2>/dev/null; NODE_PID=""
grep -q "POST /api/v3/order -> 200" "$SCRATCH/sim2.log" && ok "killed -9 while the venue held an order unanswered" || bad "no order reached the sim: $(tail -3 "$SCRATCH/crash1.log")"
"$NODE" "${crash_args[@]}" --set journal.if_exists=resume > /dev/null 2> "$SCRATCH/crash2.log" &
NODE_PID=$!
for _ in $(seq 200); do grep -q "venue binance: clock offset" "$SCRATCH/crash2.log" && break; sleep 0.1; done
# Until what the venue did with the unanswered order is journaled (hang guard only).
for _ in $(seq 300); do [ "$(journal_count "$SCRATCH/crash" '"kind":"filled"')" -ge 1 ] && break; sleep 0.1; done
kill -TERM "$NODE_PID"; wait "$NODE_PID"; NODE_PID=""
line=$(grep -o "venue binance: clock offset.*" "$SCRATCH/crash2.log")
grep -q "1 open order(s) from the journal found, 0 not at the venue; 0 unknown open order(s); 0 balance difference(s)" <<<"$line" \
  && ok "restart looked the unanswered order up: $line" || bad "crash reconciliation: $line $(tail -3 "$SCRATCH/crash2.log")"
"$TOOLS" dump "$SCRATCH/crash" --json > "$SCRATCH/crash.jsonl"
python3 - "$SCRATCH/crash.jsonl" "$(grep -c 'POST /api/v3/order -> 200' "$SCRATCH/sim2.log")" <<'PY' && ok "the order was sent once, and its fill is journaled after the restart" || bad "crash journal"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
posted = int(sys.argv[2])
first = next(r for r in rows if r["type"] == "order_request")
cid = first["body"]["client_order_id"]
about = [r["body"]["kind"] for r in rows if r["type"] == "order_event" and r["body"]["client_order_id"] == cid]
answered = {r["body"]["client_order_id"] for r in rows if r["type"] == "order_event"}
requests = [r for r in rows if r["type"] == "order_request"]
print(f"  {cid}: {about}; the sim took {posted} new orders; the journal has {len(requests)} requests, {len(answered)} answered")
assert about == ["filled"], about  # looked up, not resent; it was sent before the crash, so no second 'accepted'
# this sim refuses the user-data stream: said once per session, and polling carried on
refused = [r for r in rows if r["type"] == "error" and r["body"]["code"] == "user_stream_refused"]
assert len(refused) == 2 and "code -1022" in refused[0]["body"]["message"], refused
# a stop waits for the venue's answers: every order the venue took has its answer journaled
assert len(answered) == posted, (len(answered), posted)
assert len({r["body"]["client_order_id"] for r in requests}) == len(requests)
PY
"$TOOLS" replay "$SCRATCH/crash" --verify > "$SCRATCH/replay3.txt" && ok "crashed and resumed: $(head -1 "$SCRATCH/replay3.txt")" \
  || bad "replay after the crash: $(cat "$SCRATCH/replay3.txt")"

# A wrong secret: the venue's -1022 names the problem; the node stops before trading.
expect_fail "a bad signature is rejected and reported" 1 "code -1022: Signature for this request is not valid" \
  env BINANCE_API_SECRET=wrong-secret-1234 "$NODE" "${crash_args[@]}" --set journal.path="$SCRATCH/badsig"
# market.* must fit the venue's filters (exchangeInfo), or orders would be refused later.
expect_fail "market.lot_step finer than the venue's LOT_SIZE" 1 \
  "market.lot_step = 0.000001: BTCUSDT takes quantities in steps of 0.00001 (LOT_SIZE)" \
  "$NODE" "${crash_args[@]}" --set journal.path="$SCRATCH/lots" --set 'market.lot_step="0.000001"'
[ ! -e "$SCRATCH/lots" ] && ok "nothing was journaled for the refused start" || bad "a journal was created for a refused start"
expect_fail "testnet without keys" 1 "BINANCE_API_KEY" env -u BINANCE_API_KEY "$NODE" "${crash_args[@]}" --set journal.path="$SCRATCH/nokey"
expect_fail "live without --confirm-live" 2 "add --confirm-live" "$NODE" "${node_args[@]}" --set order.mode=live \
  --set journal.path="$SCRATCH/live"
expect_fail "testnet pointed at the live venue" 2 "venue.rest_url" "$NODE" --config "$CONFIG" --set journal.path="$SCRATCH/x" \
  --set order.mode=testnet --set venue.rest_url=https://api.binance.com
expect_fail "--confirm-live without live mode" 2 "not \"live\"" "$NODE" --config "$CONFIG" --confirm-live --set journal.path="$SCRATCH/x"

cat "$SCRATCH"/*.jsonl "$SCRATCH"/*.log "$SCRATCH"/node*.out | grep -q -e "$BINANCE_API_SECRET" -e wrong-secret-1234 \
  && bad "a secret appears in the journal or a log" || ok "no secret in the journal or the logs"
finish
