#!/usr/bin/env bash
# explain: why an order was sent, read from the journal's cause links alone. The node's
# paper journal journals each record's cause (the delivery it answers); the test checks
# those links independently of explain (an order request answers a risk decision on its
# intent, a decision answers that intent, inputs (market data, clock ticks) answer
# nothing), then that explain's chain
# follows them from the input to the order, and on to its fills and the portfolio after
# them; a what-if journal carries the same links; bad use and a journal written before
# causes were recorded are clear errors.
source "$(dirname "$0")/lib.sh"
NODE=${TRADER_NODE:?set TRADER_NODE to the trader-node binary}
CONFIG=${TRADER_CONFIG:?set TRADER_CONFIG to config/paper.toml}
run="$SCRATCH/paper"
(cd "$(dirname "$CONFIG")/.." && "$NODE" --config "$CONFIG" --set "journal.path=$run" > "$SCRATCH/node.out" 2>&1) \
  && ok "the paper node ran" || bad "node: $(tail -3 "$SCRATCH/node.out")"
"$TOOLS" dump "$run" --json > "$SCRATCH/dump.jsonl"

python3 - "$SCRATCH/dump.jsonl" <<'PY' && ok "every record's journaled cause is the delivery it answers" || bad "cause links"
import json, sys
rows = {r["seq"]: r for r in map(json.loads, open(sys.argv[1]))}
inputs = outputs = 0
for seq, r in rows.items():
    c = r["cause_seq"]
    if r["source"] in ("market_feed", "timer", "operator"):  # inputs (a paper run has no venue answers)
        assert c == 0, r
        inputs += 1
        continue
    assert 0 < c < seq, r
    outputs += 1
    cause, body = rows[c], r["body"]
    if r["type"] == "order_request" and not body["cancel"]:
        assert cause["type"] == "risk_decision" and cause["body"]["intent_id"] == body["intent_id"], (r, cause)
    if r["type"] == "risk_decision":
        assert cause["type"] == "order_intent" and cause["body"]["intent_id"] == body["intent_id"], (r, cause)
    if r["type"] in ("order_intent", "signal"):
        assert cause["type"] == "candle" and cause["body"]["symbol"] == body["symbol"], (r, cause)
print(f"  {inputs} inputs with no cause, {outputs} outputs each naming an earlier record")
PY

# the first order that was filled
cid=$(python3 -c '
import json, sys
for l in open(sys.argv[1]):
    r = json.loads(l)
    if r["type"] == "order_event" and r["body"]["kind"] in ("filled", "partially_filled"):
        print(r["body"]["client_order_id"]); break' "$SCRATCH/dump.jsonl")
"$TOOLS" explain "$run" --order "$cid" > "$SCRATCH/explain.txt" \
  && ok "explain --order $cid" || bad "explain: $(cat "$SCRATCH/explain.txt")"
python3 - "$SCRATCH/explain.txt" <<'PY' && ok "the text names each step, from the input to the order, then its fills" || bad "text: $(head -12 "$SCRATCH/explain.txt" | cut -c1-80)"
import sys
lines = open(sys.argv[1]).read().splitlines()
steps = [l[21:38].strip() for l in lines if l[:10].strip().isdigit()]  # "  seq cause  step  type  body"
assert steps[:6] == ["market data", "candle", "signal", "intent", "risk decision", "order request"], steps
assert "fill" in steps and "position and PnL" in steps, steps
print("  " + ", ".join(dict.fromkeys(steps)))
PY

"$TOOLS" explain "$run" --order "$cid" --json > "$SCRATCH/explain.json"
python3 - "$SCRATCH/explain.json" "$SCRATCH/dump.jsonl" "$cid" <<'PY' && ok "explain --json follows the journal's links: input, candle, signal, intent, decision, request; then the fills and the state each caused" || bad "explain --json"
import json, sys
e = json.load(open(sys.argv[1]))
rows = {r["seq"]: r for r in map(json.loads, open(sys.argv[2]))}
cid = sys.argv[3]
chain = e["chain"]
assert [c["step"] for c in chain] == ["market data", "candle", "signal", "intent", "risk decision", "order request"], \
    [c["step"] for c in chain]
assert chain[0]["cause_seq"] == 0 and e["target_seq"] == chain[-1]["seq"]
for prev, cur in zip(chain, chain[1:]):
    if cur["step"] == "intent":  # the signal is the intent's sibling: both answer the candle
        assert cur["cause_seq"] == prev["cause_seq"] == chain[1]["seq"], (prev, cur)
    elif cur["step"] != "signal":
        assert cur["cause_seq"] == prev["seq"], (prev, cur)
for c in chain + e["after"]:  # every record as journaled
    r = rows[c["seq"]]
    assert r["body"] == c["body"] and r["cause_seq"] == c["cause_seq"] and r["type"] == c["type"], (r, c)
assert chain[-1]["body"]["client_order_id"] == cid
fills = [a for a in e["after"] if a["step"] == "fill"]
journal_fills = [s for s, r in rows.items() if r["type"] == "order_event" and r["body"]["client_order_id"] == cid
                 and r["body"]["fill_qty"] != "0"]
assert [f["seq"] for f in fills] == journal_fills, (fills, journal_fills)
states = [a for a in e["after"] if a["step"] == "position and PnL"]
assert states and {s["cause_seq"] for s in states} <= {f["seq"] for f in fills}, states
print(f"  order {cid}: input seq {chain[0]['seq']}, request seq {chain[-1]['seq']}, {len(fills)} fill(s), "
      f"{len(states)} portfolio state(s) after them")
PY

# Steps 3 and 6 as the chain shows them, then for every decision of the session: the values
# a signal and its intent carry agree with the reason the strategy wrote from them, and each
# risk check's numbers are re-derived here from the config and the journal's own records.
python3 - "$SCRATCH/explain.json" "$SCRATCH/dump.jsonl" "$CONFIG" <<'PY' && ok "steps 3 and 6: what the view was computed from, and every limit checked with its headroom, re-derived for every decision" || bad "steps 3 and 6"
import json, re, sys, tomllib
from decimal import Decimal
e = json.load(open(sys.argv[1]))
rows = [json.loads(l) for l in open(sys.argv[2])]
risk = tomllib.load(open(sys.argv[3], "rb"))["risk"]
FIX = Decimal(10) ** 8
signal, intent, decision = (next(c for c in e["chain"] if c["step"] == s) for s in ("signal", "intent", "risk decision"))
names = [v["name"] for v in signal["body"]["values"]]
assert names == ["spread", "momentum", "vol", "z"], names
assert intent["body"]["values"] == signal["body"]["values"], "the intent answers the same candle as its signal"
limits = [l["limit"] for l in decision["limits"]]
assert limits == ["max_drawdown", "max_daily_loss", "min_confidence", "max_orders_per_minute", "max_trades_per_day",
                  "max_open_positions", "max_position_notional", "max_position_equity"], limits
for l in decision["limits"]:  # headroom in the limit's unit: decimals for amounts, integers otherwise
    if l["unit"] == "quote":
        assert Decimal(l["headroom"]) == Decimal(l["bound"]) - Decimal(l["value"]), l
    else:
        assert l["headroom"] == (l["value"] - l["bound"] if l["floor"] else l["bound"] - l["value"]), l

def bp(x):  # as the strategy's reason prints a value: basis points, two decimals
    return f"{x * 1e4:.2f}"
last_portfolio, day_start, approvals, entries_by_day = None, {}, [], {}
checked = signals = 0
for r in rows:
    b = r["body"]
    if r["type"] in ("signal", "order_intent") and r["source"] == "strategy":
        v = {x["name"]: x["value"] for x in b["values"]}
        m = re.search(r"spread (-?[\d.]+) bp, momentum (-?[\d.]+) bp, vol (-?[\d.]+) bp", b["reason"])
        assert m and m.groups() == (bp(v["spread"]), bp(v["momentum"]), bp(v["vol"])), (b["reason"], v)
        signals += r["type"] == "signal"
    if r["type"] == "portfolio_state":
        last_portfolio = b
        day_start.setdefault(b["ts_ms"] // 86_400_000, Decimal(b["equity"]))
    if r["type"] != "risk_decision" or b["intent_id"] >> 56 != 1:
        continue
    # A strategy intent's decision: each check, re-derived.
    ts, day = b["ts_ms"], b["ts_ms"] // 86_400_000
    c = {x["limit"]: x for x in b["checks"]}
    recent = [t for t in approvals if t > ts - 60_000]
    if not b["is_exit"] and b["state"] == "active":
        equity = Decimal(last_portfolio["equity"])
        assert c["max_drawdown"]["value"] == last_portfolio["drawdown_ppm"]
        assert c["max_drawdown"]["bound"] == round(risk["max_drawdown"] * 1e6)
        assert Decimal(c["max_daily_loss"]["value"]) / FIX == day_start[day] - equity, (r, day_start[day], equity)
        assert Decimal(c["max_daily_loss"]["bound"]) / FIX == Decimal(risk["max_daily_loss"])
        if "max_orders_per_minute" in c:
            assert c["max_orders_per_minute"]["value"] == len(recent), (r, recent)
        if "max_trades_per_day" in c:
            assert c["max_trades_per_day"]["value"] == entries_by_day.get(day, 0), r
        if "max_open_positions" in c:
            assert c["max_open_positions"]["value"] == len(last_portfolio["positions"]), r
        if "max_position_equity" in c:
            cap = int(equity * FIX * Decimal(str(risk["max_position_equity"]))) 
            assert c["max_position_equity"]["bound"] == cap, (c["max_position_equity"], cap)
            assert Decimal(c["max_position_notional"]["bound"]) / FIX == Decimal(risk["max_position_notional"])
        assert all(x["within"] for x in b["checks"]) == (b["approved"] and b["reason_code"] == "ok"), r
        checked += 1
    if b["approved"]:
        approvals.append(ts)
        if not b["is_exit"]:
            entries_by_day[day] = entries_by_day.get(day, 0) + 1
assert checked > 100 and signals > 100, (checked, signals)
print(f"  {signals} signals' values agree with their reasons; {checked} entry decisions' checks re-derived")
PY

# --seq of a fill explains its order; --seq of an input lists what it caused
fill_seq=$(python3 -c 'import json,sys; print(next(a["seq"] for a in json.load(open(sys.argv[1]))["after"] if a["step"] == "fill"))' "$SCRATCH/explain.json")
[ "$("$TOOLS" explain "$run" --seq "$fill_seq" --json | python3 -c 'import json,sys; e=json.load(sys.stdin); print(e["client_order_id"], e["chain"][-1]["step"])')" = "$cid order request" ] \
  && ok "explain --seq of a fill (seq $fill_seq) shows its order's chain" || bad "explain --seq $fill_seq"
grep -q "what it caused" <<<"$("$TOOLS" explain "$run" --seq 1)" && ok "explain --seq of an input lists what it caused" \
  || bad "explain --seq 1: $("$TOOLS" explain "$run" --seq 1 | head -5)"

# a what-if journal carries the same links
"$TOOLS" replay "$run" --what-if --config "$CONFIG" --out "$SCRATCH/whatif" > /dev/null 2>&1 \
  && cmp -s <("$TOOLS" explain "$run" --order "$cid" --json) <("$TOOLS" explain "$SCRATCH/whatif" --order "$cid" --json) \
  && ok "a what-if with the same config explains the order identically" || bad "what-if explain differs"

expect_fail "explain without a target" 2 "takes one of --order" "$TOOLS" explain "$run"
expect_fail "explain with two targets" 2 "excludes" "$TOOLS" explain "$run" --seq 3 --order "$cid"
expect_fail "explain of an unknown order" 2 "no order request with client order id nope" "$TOOLS" explain "$run" --order nope
expect_fail "explain of a seq past the end" 2 "no record at seq 99999999" "$TOOLS" explain "$run" --seq 99999999
expect_fail "explain --fill 0" 2 "1 or more" "$TOOLS" explain "$run" --fill 0
# A damaged record met on the way is the journal's fault, not the argument's: exit 1 and
# its seq, as dump, stats and verify say (it was exit 2, as for an unknown order).
if [ -n "$FAULT" ]; then
  cp -r "$run" "$SCRATCH/damaged"
  "$FAULT" flip "$SCRATCH/damaged" 3 > /dev/null || bad "journal-fault could not damage seq 3"
  expect_fail "explain of an order behind a damaged record" 1 "seq 3: checksum mismatch" \
    "$TOOLS" explain "$SCRATCH/damaged" --order "$cid"
  expect_fail "explain of the damaged record itself" 1 "seq 3: checksum mismatch" "$TOOLS" explain "$SCRATCH/damaged" --seq 3
  expect_fail "...while a seq past the end is still a wrong argument" 2 "no record at seq 99999999" \
    "$TOOLS" explain "$SCRATCH/damaged" --seq 99999999
fi
mkdir -p "$SCRATCH/golden"
gzip -dc "$DATA/golden/paper_20230301.mdb.gz" > "$SCRATCH/golden/data.mdb"
old=$("$TOOLS" dump "$SCRATCH/golden" --type order_request --limit 1 --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["body"]["client_order_id"])')
expect_fail "explain on a journal written before causes were recorded" 1 "written before causes were recorded" \
  "$TOOLS" explain "$SCRATCH/golden" --order "$old"
finish
