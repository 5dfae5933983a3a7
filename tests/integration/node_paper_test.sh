#!/usr/bin/env bash
# Runs trader-node on the bundled real data and checks the journal it leaves: messages
# from all six actors, every intent answered by a risk decision, every fill reflected in
# the portfolio, the session closed, verify ok, a second run identical, export of fills,
# shutdown on SIGTERM, and candles equal to an independent aggregation of the trades.
source "$(dirname "$0")/lib.sh"
NODE=${TRADER_NODE:?set TRADER_NODE}
CONFIG=${TRADER_CONFIG:?set TRADER_CONFIG to config/paper.toml}
ROOT=$(cd "$(dirname "$CONFIG")/.." && pwd)
cd "$ROOT"

run="$SCRATCH/paper"
if "$NODE" --config "$CONFIG" --set journal.path="$run" > "$SCRATCH/summary.txt" 2> "$SCRATCH/node.log"; then
  ok "trader-node exits 0 on config/paper.toml"
else
  bad "trader-node failed: $(cat "$SCRATCH/node.log")"
fi
grep -q "^session 1 completed" "$SCRATCH/summary.txt" && ok "summary printed" || bad "summary: $(cat "$SCRATCH/summary.txt")"
for field in "fills" "win rate" "fees" "max drawdown" "final equity"; do
  grep -q "$field" "$SCRATCH/summary.txt" && ok "summary shows $field" || bad "summary lacks $field"
done

"$TOOLS" verify "$run" > /dev/null && ok "journal verifies" || bad "verify failed"
"$TOOLS" dump "$run" --json > "$SCRATCH/dump.jsonl"
"$TOOLS" stats "$run" --json > "$SCRATCH/stats.json"
python3 - "$SCRATCH/dump.jsonl" "$SCRATCH/stats.json" <<'PY' && ok "journal structure: six actors, every intent decided, every fill in the portfolio, session closed" || bad "journal structure"
import json, sys
records = [json.loads(l) for l in open(sys.argv[1])]
stats = json.load(open(sys.argv[2]))
sources = {r["source"] for r in records}
for actor in ("market_feed", "candle_builder", "strategy", "risk", "portfolio", "order"):
    assert actor in sources, f"no message from {actor}"
intents = [r["body"]["intent_id"] for r in records if r["type"] == "order_intent"]
decided = {r["body"]["intent_id"] for r in records if r["type"] == "risk_decision"}
assert intents, "no intents at all"
missing = [i for i in intents if i not in decided]
assert not missing, f"intents without a risk decision: {missing[:5]}"
# each decision follows its intent
pos = {}
for n, r in enumerate(records):
    if r["type"] == "order_intent": pos[r["body"]["intent_id"]] = n
for n, r in enumerate(records):
    if r["type"] == "risk_decision" and r["body"]["intent_id"] in pos:
        assert pos[r["body"]["intent_id"]] < n
# every fill k is followed by a portfolio state counting k fills, and no state counts a
# fill that has not happened (states from marks may come in between: FIFO order)
fills = 0
counted = set()
for r in records:
    if r["type"] == "order_event" and r["body"]["fill_qty"] != "0":
        fills += 1
    elif r["type"] == "portfolio_state":
        k = r["body"]["fills"]
        assert k <= fills, f"a portfolio state counts {k} fills after only {fills}"
        counted.add(k)
assert fills > 0, "no fills"
assert all(k in counted for k in range(1, fills + 1)), "a fill never reached the portfolio"
# every approved decision became an order request
approved = sum(1 for r in records if r["type"] == "risk_decision" and r["body"]["approved"])
requests = sum(1 for r in records if r["type"] == "order_request" and not r["body"]["cancel"])
assert approved == requests, (approved, requests)
sessions = stats["sessions"]
assert len(sessions) == 1 and sessions[0]["end_reason"] == "completed", sessions
assert sessions[0]["end_seq"] == stats["last_seq"]
# a candle has the documented fields
c = next(r["body"] for r in records if r["type"] == "candle")
for k in ("symbol", "interval_s", "open_time_ms", "open", "high", "low", "close", "volume", "trades"):
    assert k in c, k
print(f"{len(records)} records, {len(intents)} intents, {fills} fills")
PY

# Determinism: the same config and data give the same journal, record for record.
"$NODE" --config "$CONFIG" --set journal.path="$SCRATCH/paper2" > /dev/null 2>&1
if cmp -s <("$TOOLS" dump "$run" --json) <("$TOOLS" dump "$SCRATCH/paper2" --json); then
  ok "a second run writes an identical journal"
else
  bad "two runs differ"
fi

# An existing journal is refused unless told to replace it.
expect_fail "existing journal refused" 1 "already holds" "$NODE" --config "$CONFIG" --set journal.path="$run" --set journal.if_exists=error

# export trades: one row per fill.
"$TOOLS" export trades "$run" --csv "$SCRATCH/trades.csv" > /dev/null || bad "export failed"
rows=$(($(wc -l < "$SCRATCH/trades.csv") - 1))
fills=$(python3 -c 'import json,sys; print(sum(1 for l in open(sys.argv[1]) if (r:=json.loads(l))["type"]=="order_event" and r["body"]["fill_qty"]!="0"))' "$SCRATCH/dump.jsonl")
expect_eq "export trades: one row per fill" "$fills" "$rows"
head -1 "$SCRATCH/trades.csv" | grep -q "time,seq,symbol,side,qty,price,fee,fee_asset,liquidity,realized_pnl,client_order_id,reason,signal_seq,signal" \
  && ok "export header" || bad "export header: $(head -1 "$SCRATCH/trades.csv")"

# SIGTERM: a paced run stops cleanly, closes its session and verifies.
"$NODE" --config "$CONFIG" --set journal.path="$SCRATCH/term" --set feed.speed=600 > "$SCRATCH/term.txt" 2>&1 &
pid=$!
sleep 2
kill -TERM $pid
wait $pid; rc=$?
expect_eq "SIGTERM: exit 0" 0 "$rc"
grep -q "stopped by signal" "$SCRATCH/term.txt" && ok "SIGTERM: session stopped by signal" || bad "SIGTERM summary: $(cat "$SCRATCH/term.txt")"
"$TOOLS" verify "$SCRATCH/term" > /dev/null && ok "SIGTERM: journal verifies" || bad "SIGTERM journal"

# Candles from real trades equal an independent aggregation of each minute's trades.
"$NODE" --config "$CONFIG" --set journal.path="$SCRATCH/btc" \
  --set 'feed.files=["tests/data/btcusdt_20240808_head20k.gz"]' --set portfolio.quote_asset=USDT > /dev/null 2>&1 \
  || bad "node on the BTCUSDT capture failed"
"$TOOLS" dump "$SCRATCH/btc" --json | python3 -c '
import json, sys
from decimal import Decimal
agg, candles = {}, []
for line in sys.stdin:
    r = json.loads(line); b = r["body"]
    if r["type"] == "trade":
        m = b["trade_ts_ms"] // 60000 * 60000
        p, q = Decimal(b["price"]), Decimal(b["qty"])
        a = agg.setdefault(m, {"open": p, "high": p, "low": p, "close": p, "volume": Decimal(0), "trades": 0})
        a["high"] = max(a["high"], p); a["low"] = min(a["low"], p); a["close"] = p
        a["volume"] += q; a["trades"] += 1
    elif r["type"] == "candle" and b["interval_s"] == 60:
        candles.append(b)
assert len(candles) == len(agg) - 1, (len(candles), len(agg))
for c in candles:
    a = agg[c["open_time_ms"]]
    for k in ("open", "high", "low", "close", "volume"):
        assert Decimal(c[k]) == a[k], (c["open_time_ms"], k, c[k], a[k])
    assert c["trades"] == a["trades"]
print(len(candles), "minutes")
' && ok "BTCUSDT 1m candles equal an independent aggregation of the trades" || bad "candles differ from the trades"

# A trade whose exchange time is garbled (a far-future year) in the middle of real data:
# the node reports it as an error record, keeps its candles where the data is, and the
# session replays identical. (Let in, it would have opened candles 63 years away.)
zcat "$DATA/btcusdt_20240808_head20k.gz" | head -12000 > "$SCRATCH/garbled.txt"
python3 - "$SCRATCH/garbled.txt" <<'PY'
import json, sys
lines = open(sys.argv[1]).read().splitlines()
for i in range(6000, len(lines)):
    ts, frame = lines[i].split(" ", 1)
    if '"e":"trade"' in frame:
        lines[i] = ts + " " + frame.replace('"T":1', '"T":3', 1)  # 2024 -> 2087
        break
open(sys.argv[1], "w").write("\n".join(lines) + "\n")
PY
"$NODE" --config "$CONFIG" --set journal.path="$SCRATCH/garbled" --set 'feed.files=["'"$SCRATCH/garbled.txt"'"]' \
  --set portfolio.quote_asset=USDT > "$SCRATCH/garbled.out" 2> "$SCRATCH/garbled.log" || bad "node on a garbled trade time failed: $(cat "$SCRATCH/garbled.log")"
grep -q "0 gaps, 1 implausible times" "$SCRATCH/garbled.out" && ok "a garbled trade time is counted, not let in" \
  || bad "garbled summary: $(grep feed "$SCRATCH/garbled.out")"
grep -q "trade time 3[0-9]* ms is more than feed.max_time_skew_ms = 3600000 from its receive time" "$SCRATCH/garbled.log" \
  && ok "the first implausible time is logged" || bad "log: $(cat "$SCRATCH/garbled.log")"
"$TOOLS" dump "$SCRATCH/garbled" --json | python3 -c '
import json, sys
records = [json.loads(l) for l in sys.stdin]
errors = [r["body"] for r in records if r["type"] == "error" and r["body"]["code"] == "implausible_exchange_time"]
assert len(errors) == 1, errors
late = [r for r in records if r["type"] == "error" and r["body"]["code"] in ("late_trade", "candle_gap")]
assert not late, late
last_candle = max(r["body"]["open_time_ms"] for r in records if r["type"] == "candle")
assert last_candle < 1723161253937 + 86400000, last_candle
' && ok "journal: one implausible_exchange_time error, no late trades, candles stay in the data's day" || bad "garbled journal"
grep -q "^identical" <<<"$("$TOOLS" replay "$SCRATCH/garbled" --verify)" && ok "the session with the garbled trade replays identical" \
  || bad "garbled replay"

# Limit entries on paper: the summary counts orders and cancels (a limit order's expiry) apart,
# as the journal has them, and the session replays identical.
"$NODE" --config "$CONFIG" --set journal.path="$SCRATCH/limits" --set 'strategy.entry_order="limit"' \
  --set strategy.limit_offset_bps=5 --set order.limit_ttl_ms=120000 > "$SCRATCH/limits.txt" 2>&1
line=$(grep "^  decisions" "$SCRATCH/limits.txt")
"$TOOLS" dump "$SCRATCH/limits" --type order_request --json | python3 -c '
import json, re, sys
rows = [json.loads(l)["body"] for l in sys.stdin]
cancels = sum(r["cancel"] for r in rows)
orders, said = len(rows) - cancels, re.search(r"(\d+) orders, (\d+) cancels", sys.argv[1])
assert said and (int(said[1]), int(said[2])) == (orders, cancels) and cancels > 0, (sys.argv[1], orders, cancels)
assert all(r["limit_price"] != "0" for r in rows if r["type"] == "limit" and not r["cancel"])
' "$line" && ok "limit entries on paper: $line" || bad "limit summary: $line"
grep -q "^identical" <<<"$("$TOOLS" replay "$SCRATCH/limits" --verify)" && ok "the limit-entry session replays identical" \
  || bad "limit replay"

# One portfolio, one cash asset: XRPETH (quoted in ETH) from a capture that names no symbols,
# with a USDT portfolio, is refused at every entry (it traded ETH as USDT before); with an
# ETH portfolio it trades.
xrp=(--config "$CONFIG" --set 'feed.files=["tests/data/xrpeth_aggtrade_20191011_head3k.gz"]' --set candles.source=agg_trade
     --set 'candles.intervals=["1s","1m"]' --set strategy.interval=1s)
for quote in USDT ETH; do
  "$NODE" "${xrp[@]}" --set portfolio.quote_asset=$quote --set journal.path="$SCRATCH/xrp-$quote" > "$SCRATCH/xrp-$quote.out" 2>&1 \
    || bad "the XRPETH session in $quote failed: $(tail -2 "$SCRATCH/xrp-$quote.out")"
  "$TOOLS" dump "$SCRATCH/xrp-$quote" --type risk_decision --json > "$SCRATCH/xrp-$quote.jsonl"
done
codes=$(python3 -c 'import json,sys; print(" ".join(sorted({json.loads(l)["body"]["reason_code"] for l in open(sys.argv[1])})))' "$SCRATCH/xrp-USDT.jsonl")
expect_eq "XRPETH with a USDT portfolio: every entry refused as quoted in another asset" "other_quote_asset" "$codes"
expect_eq "...and no order sent" "0 orders" "$(grep -o '[0-9]\+ orders' "$SCRATCH/xrp-USDT.out")"
orders=$(grep -o '[0-9]\+ orders' "$SCRATCH/xrp-ETH.out" | cut -d' ' -f1)
[ "${orders:-0}" -gt 0 ] && grep -q "pnl .* ETH net" "$SCRATCH/xrp-ETH.out" && ok "XRPETH with an ETH portfolio trades: $orders orders, PnL in ETH" \
  || bad "XRPETH in ETH: $(grep -E 'decisions|pnl' "$SCRATCH/xrp-ETH.out")"

# A book the portfolio cannot keep (a start at the fixed-point range's edge: its value
# leaves the range as soon as it is stated) halts trading and fails the run. It ran on,
# exit 0, approving every entry against its last state, then against a book that had lost
# a fill, and saying nothing of it.
"$NODE" --config "$CONFIG" --set portfolio.starting_cash='"92233720368"' --set journal.path="$SCRATCH/edge" \
  > "$SCRATCH/edge.out" 2>&1
expect_eq "a book not kept fails the run" 1 "$?"
grep -q "error: the portfolio's book can no longer be trusted .*the first: seq [0-9]*: portfolio value overflows" "$SCRATCH/edge.out" \
  && ok "...and says so: $(grep -o 'the first: .*' "$SCRATCH/edge.out")" || bad "not-booked output: $(tail -3 "$SCRATCH/edge.out")"
state=$("$TOOLS" dump "$SCRATCH/edge" --type risk_state --json | tail -1 | python3 -c 'import json,sys; print(json.load(sys.stdin)["body"]["state"])')
expect_eq "...risk halted on it" halted "$state"
grep -q "^identical" <<<"$("$TOOLS" replay "$SCRATCH/edge" --verify)" && ok "...and the session replays identical" \
  || bad "the halted session does not replay"
"$TOOLS" replay "$SCRATCH/edge" --what-if --config "$CONFIG" --set portfolio.starting_cash='"92233720368"' \
  --out "$SCRATCH/edge-whatif" > "$SCRATCH/edge-whatif.out" 2>&1
expect_eq "a what-if that cannot keep its book fails too (it printed its figures, exit 0)" 1 "$?"
grep -q "error: the portfolio's book can no longer be trusted .*the first: seq [0-9]*: portfolio value overflows" "$SCRATCH/edge-whatif.out" && ok "...and says so" \
  || bad "what-if not-booked output: $(tail -2 "$SCRATCH/edge-whatif.out")"
finish
