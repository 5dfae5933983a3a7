#!/usr/bin/env bash
# Limit orders end to end (issue 28.3): the node in testnet mode against exchange-sim over
# real TLS, entering with limit orders below the close. They rest at the venue, fill in
# part when a smaller trade crosses them (the sim fills up to each trade's quantity), are
# canceled when they outlive order.limit_ttl_ms, and one is resting when the node is
# killed -9: on restart it is looked up by its client order id and adopted, never sent
# again, and its end is journaled. Every session replays --verify identical.
source "$(dirname "$0")/lib.sh"
node_with_sim_setup limit-key-7e7e limit-secret-never-shown-5a5a

"$TOOLS" exchange-sim --capture "$DATA/btcusdt_20240808_head20k.gz" --speed 2 --hold-while-away --balance USDT=200000 --user-stream-lose-every 9 \
  --cert-out "$SCRATCH/sim.pem" --port-file "$SCRATCH/sim.port" > /dev/null 2> "$SCRATCH/sim.log" &
SIM=$!
wait_for_file "$SCRATCH/sim.port"
PORT=$(cat "$SCRATCH/sim.port")

run="$SCRATCH/limits"
# The capture is 200 s of real trades; at twice real time, held while the node is down.
# 1-second candles and a fast rule so that they give a few dozen entries;
# each bids 1 bp below the close (so it rests: at the close it could cross on arrival) for
# half of equity (~1.7 BTC, far more than a single trade, so fills come in parts) and is
# canceled if it rests 2 s.
node_args=(--config "$CONFIG" --set journal.path="$run" --set order.mode=testnet --set journal.durability=sync
  --set "venue.rest_url=https://127.0.0.1:$PORT" --set "venue.ca_file=$SCRATCH/sim.pem" --set venue.poll_ms=100
  --set feed.source=binance --set "feed.url=wss://127.0.0.1:$PORT/stream" --set 'feed.symbols=["BTCUSDT"]'
  --set 'feed.channels=["trade"]' --set "feed.ca_file=$SCRATCH/sim.pem"
  --set 'candles.intervals=["1s"]' --set strategy.interval=1s --set strategy.fast_ema=2 --set strategy.slow_ema=4
  --set strategy.momentum_candles=2 --set strategy.entry_momentum_bps=0 --set strategy.reentry_cooldown_candles=0
  --set strategy.position_fraction=0.5 --set risk.max_position_equity=0.6 --set risk.max_position_notional='"1000000"'
  --set 'strategy.entry_order="limit"' --set strategy.limit_offset_bps=1 --set order.limit_ttl_ms=2000
  --set risk.stop_loss_pct=0.05 --set risk.take_profit_pct=0.05 --set portfolio.quote_asset=USDT)

# journal_orders DIR: one line per limit order: client id, then its event kinds in order.
journal_orders() {
  "$TOOLS" dump "$1" --json 2>/dev/null | python3 -c '
import json, sys
orders = {}
for line in sys.stdin:
    r = json.loads(line)
    b = r["body"]
    if r["type"] == "order_request" and not b["cancel"] and b["type"] == "limit":
        orders.setdefault(b["client_order_id"], [])
    elif r["type"] == "order_event" and b["client_order_id"] in orders:
        orders[b["client_order_id"]].append(b["kind"])
for cid, kinds in orders.items():
    print(cid, *kinds)'
}
final_re=' filled$\| canceled\| rejected\| expired'  # "partially_filled" is not an end
# venue_orders: one line per order the sim has reported: client id, type, then its statuses
# in order. The sim logs each as it happens, so following it costs no journal dump (under
# a sanitizer, a dump per look was slow enough for orders to end between two looks).
venue_orders() {
  sed -n 's/.* order \([^ ]*\) \([A-Z_]*\) [A-Z]*: \([A-Z_]*\) (.*/\1 \2 \3/p' "$SCRATCH/sim.log" |
    awk '{ if (!($1 in t)) { n[++k] = $1; t[$1] = $2 } s[$1] = s[$1] " " $3 } END { for (i = 1; i <= k; i++) print n[i], t[n[i]] s[n[i]] }'
}

"$NODE" "${node_args[@]}" > /dev/null 2> "$SCRATCH/node1.log" &
NODE_PID=$!
# Run until the journal shows a limit order partly filled and then canceled, and the venue
# holds a limit order not yet ended, then kill -9 (hang guard only: the loop ends on what
# the venue and the journal show). The journal is read only once the venue has canceled a
# partly filled order, until the journal has it too.
resting="" partial_cancel_journaled=""
for _ in $(seq 3000); do
  kill -0 "$NODE_PID" 2>/dev/null || break
  venue_orders > "$SCRATCH/venue1.txt"
  if [ -z "$partial_cancel_journaled" ] && grep -q "^[^ ]* LIMIT .*PARTIALLY_FILLED.* CANCELED$" "$SCRATCH/venue1.txt"; then
    journal_orders "$run" > "$SCRATCH/orders1.txt"
    grep -q "partially_filled.* canceled" "$SCRATCH/orders1.txt" && partial_cancel_journaled=1
  fi
  if [ -n "$partial_cancel_journaled" ]; then
    resting=$(grep "^[^ ]* LIMIT " "$SCRATCH/venue1.txt" | grep -E " (NEW|PARTIALLY_FILLED)$" | tail -1 | cut -d' ' -f1)
    [ -n "$resting" ] && break
  fi
  sleep 0.05
done
kill -9 "$NODE_PID"; wait "$NODE_PID" 2>/dev/null; NODE_PID=""
journal_orders "$run" > "$SCRATCH/orders1.txt"
grep -q "partially_filled.* canceled" "$SCRATCH/orders1.txt" \
  && ok "a limit order rested, filled in part, and was canceled when it outlived order.limit_ttl_ms: $(grep -m1 'partially_filled.* canceled' "$SCRATCH/orders1.txt")" \
  || bad "no partly filled order was canceled: $(head -5 "$SCRATCH/orders1.txt"); $(tail -3 "$SCRATCH/node1.log")"
[ -n "$resting" ] && ok "killed -9 while limit order $resting rested at the venue" \
  || bad "no limit order was resting: $(tail -5 "$SCRATCH/venue1.txt")"
posted_before=$(grep -c "POST /api/v3/order -> 200" "$SCRATCH/sim.log")

"$NODE" "${node_args[@]}" --set journal.if_exists=resume > "$SCRATCH/node2.out" 2> "$SCRATCH/node2.log" &
NODE_PID=$!
for _ in $(seq 300); do grep -q "venue binance: clock offset" "$SCRATCH/node2.log" && break; sleep 0.1; done
# Until the adopted order has ended (filled, or canceled by its TTL): at the venue, then in
# the journal.
for _ in $(seq 600); do
  kill -0 "$NODE_PID" 2>/dev/null || break
  venue_orders | grep "^$resting " | grep -qE " (FILLED|CANCELED)$" && break
  sleep 0.05
done
for _ in $(seq 300); do
  kill -0 "$NODE_PID" 2>/dev/null || break
  journal_orders "$run" | grep "^$resting " | grep -q "$final_re" && break
  sleep 0.1
done
kill -TERM "$NODE_PID"; wait "$NODE_PID"; rc=$?; NODE_PID=""
expect_eq "the resumed node exits 0" 0 "$rc"
[ "$rc" -eq 0 ] || tail -40 "$SCRATCH/node2.log"
line=$(grep -o "venue binance: clock offset.*" "$SCRATCH/node2.log")
grep -q "[1-9][0-9]* open order(s) from the journal found, 0 not at the venue; 0 unknown open order(s); 0 balance difference(s)" <<<"$line" \
  && ok "the restart looked the resting order up: $line" || bad "reconciliation: $line $(tail -3 "$SCRATCH/node2.log")"

"$TOOLS" dump "$run" --json > "$SCRATCH/dump.jsonl"
grep -o 'user-data event not sent: .*' "$SCRATCH/sim.log" | sed 's/^user-data event not sent: //' > "$SCRATCH/lost.jsonl"
python3 - "$SCRATCH/dump.jsonl" "$resting" "$(grep -c 'POST /api/v3/order -> 200' "$SCRATCH/sim.log")" "$posted_before" <<'PY' \
  && ok "the resting order was adopted, not resent; its end is journaled; every limit order was sent once, on the tick" \
  || bad "limit order journal"
import json, sys
from decimal import Decimal as D
rows = [json.loads(l) for l in open(sys.argv[1])]
resting, posted, posted_before = sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
requests = [r for r in rows if r["type"] == "order_request" and not r["body"]["cancel"]]
cancels = [r for r in rows if r["type"] == "order_request" and r["body"]["cancel"]]
events = [r for r in rows if r["type"] == "order_event"]
ids = [r["body"]["client_order_id"] for r in requests]
assert len(ids) == len(set(ids)), "a client order id was used twice"
accepted = [e for e in events if e["body"]["kind"] == "accepted"]
assert len(accepted) == posted, (len(accepted), posted)  # each order reached the venue once
assert len({e["body"]["client_order_id"] for e in accepted}) == len(accepted)
limits = [r for r in requests if r["body"]["type"] == "limit"]
assert limits and all(D(r["body"]["limit_price"]) % D("0.01") == 0 for r in limits), "limit prices on the tick"
# the adopted order: requested once, accepted once (before the crash), ended after the restart
mine = [e["body"]["kind"] for e in events if e["body"]["client_order_id"] == resting]
assert [r["body"]["client_order_id"] for r in requests].count(resting) == 1
assert mine.count("accepted") == 1 and mine[-1] in ("filled", "canceled"), mine
# a cancel per expired order, never two for one order
cids = [c["body"]["client_order_id"] for c in cancels]
assert len(cids) == len(set(cids)), "a cancel was sent twice"
partial_then_canceled = [cid for cid in ids
    if [e["body"]["kind"] for e in events if e["body"]["client_order_id"] == cid][-1:] == ["canceled"]
    and any(e["body"]["kind"] == "partially_filled" for e in events if e["body"]["client_order_id"] == cid)]
# every fill is booked, and the money adds up in every portfolio state
fills = [e for e in events if e["body"]["kind"] in ("filled", "partially_filled")]
# no trade booked twice (a restart must not report again what was journaled before it)
tids = [f["body"]["trade_id"] for f in fills]
assert len(tids) == len(set(tids)), "a trade was booked twice"
# a limit order's fills are the maker's, a market order's the taker's, before a restart and after
kind = {r["body"]["client_order_id"]: r["body"]["type"] for r in requests}
wrong = [(f["body"]["client_order_id"], f["body"].get("liquidity")) for f in fills
         if f["body"].get("liquidity") != ("maker" if kind[f["body"]["client_order_id"]] == "limit" else "taker")]
assert not wrong, f"{len(wrong)} fills labelled with the wrong side of the book, e.g. {wrong[:3]}"
states = [r for r in rows if r["type"] == "portfolio_state"]
assert states[-1]["body"]["fills"] == len(fills), (states[-1]["body"]["fills"], len(fills))
for r in states:
    b = r["body"]
    assert D(b["equity"]) - D(b["starting_cash"]) == D(b["realized_pnl"]) + D(b["unrealized_pnl"]) - D(b["fees"]), r
# fills arrive through the user-data stream; REST reports first what it answers at once
# and what the stream lost (the sim leaves out every 9th event). A lost trade report is
# found by the order's next report (user_stream_gap, then a lookup) or by the poll, and
# the cross-check names each order whose fills the stream missed; REST never lacks a fill.
# (That every lost trade is journaled is checked after the next start, below.)
from collections import Counter
by_path = Counter(f["body"]["reason"] for f in fills)
assert by_path["user stream"] >= 1, by_path
codes = Counter(r["body"]["code"] for r in rows if r["type"] == "error")
assert codes["rest_missed_fill"] == 0 and codes["user_stream_refused"] == 0, codes
print(f"  lost stream reports found as {codes['user_stream_gap']} gaps, "
      f"{codes['user_stream_missed_fill']} orders missing fills on the stream")
subscribed = [r for r in rows if r["type"] == "feed_status" and r["body"]["stream"] == "userData" and r["body"]["kind"] == "connected"]
assert len(subscribed) == 2, subscribed  # one subscription per session
print(f"  fills by path: {dict(by_path)}; user stream subscriptions: {len(subscribed)}")
print(f"  {len(requests)} orders ({len(limits)} limit), {len(cancels)} cancels, {len(fills)} fills, "
      f"{len(partial_then_canceled)} partly filled then canceled; the sim took {posted} orders, {posted_before} before the crash; "
      f"{resting}: {mine}")
PY
"$TOOLS" replay "$run" --verify > "$SCRATCH/replay.txt" && ok "crashed and resumed with a resting order: $(head -1 "$SCRATCH/replay.txt")" \
  || bad "replay: $(cat "$SCRATCH/replay.txt")"
# One more start: what the venue holds now is what the journal booked, to the unit.
"$NODE" "${node_args[@]}" --set journal.if_exists=resume > /dev/null 2> "$SCRATCH/node3.log" &
NODE_PID=$!
for _ in $(seq 300); do grep -q "venue binance: clock offset" "$SCRATCH/node3.log" && break; sleep 0.1; done
kill -TERM "$NODE_PID"; wait "$NODE_PID"; NODE_PID=""
line=$(grep -o "venue binance: clock offset.*" "$SCRATCH/node3.log")
grep -q "0 not at the venue; 0 unknown open order(s); 0 balance difference(s)" <<<"$line" \
  && ok "the venue's balances are the journal's, after the crash and all the fills since: $line" \
  || bad "balances after the session: $line $(tail -3 "$SCRATCH/node3.log")"
# Every trade report the sim left out up to the second session's end is in the journal: the
# session found it (gap, poll), or, when it was stopped first, the next start's lookup of
# the orders it left open did.
"$TOOLS" dump "$run" --json > "$SCRATCH/dump3.jsonl"
python3 - "$SCRATCH/dump.jsonl" "$SCRATCH/dump3.jsonl" "$SCRATCH/lost.jsonl" <<'PY' \
  && ok "every trade report the user stream lost is journaled" || bad "a trade report the user stream lost is not in the journal"
import json, sys
def trade_ids(path):
    return {r["body"]["trade_id"] for r in map(json.loads, open(path))
            if r["type"] == "order_event" and r["body"]["kind"] in ("filled", "partially_filled")}
by_session_end, after_restart = trade_ids(sys.argv[1]), trade_ids(sys.argv[2])
lost = [json.loads(l) for l in open(sys.argv[3])]
trades = [e["t"] for e in lost if e["x"] == "TRADE"]
missing = [t for t in trades if t not in after_restart]
assert trades and not missing, (trades, missing)
late = [t for t in trades if t not in by_session_end]
print(f"  the sim left out {len(lost)} stream events ({len(trades)} trades): every trade is journaled, "
      f"{len(late)} of them ({late}) by the next start's lookup of the orders left open")
PY

# The node's tick must be whole ticks of the venue's PRICE_FILTER, checked before the start.
expect_fail "market.tick_size finer than the venue's PRICE_FILTER" 1 \
  "market.tick_size = 0.001: BTCUSDT takes prices in steps of 0.01 (PRICE_FILTER)" \
  "$NODE" "${node_args[@]}" --set journal.path="$SCRATCH/ticks" --set 'market.tick_size="0.001"'
[ ! -e "$SCRATCH/ticks" ] && ok "nothing was journaled for the refused start" || bad "a journal was created for a refused start"
cat "$SCRATCH"/*.log "$SCRATCH"/*.jsonl | grep -q -e "$BINANCE_API_SECRET" && bad "a secret appears in the journal or a log" \
  || ok "no secret in the journal or the logs"
finish
