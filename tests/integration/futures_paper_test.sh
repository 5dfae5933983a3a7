#!/usr/bin/env bash
# Perpetual futures in paper (issue 20), on the bundled six minutes of real Binance USDⓈ-M
# BTCUSDT trades and best bid/ask:
#  1. config/futures-paper.toml as shipped: the rule goes short (a sell entry approved, a
#     negative position booked), funding is paid or received, and every portfolio state
#     adds up to the unit: equity - starting cash == realized + unrealized - fees + funding;
#     the funding booked equals, record by record, -(position x mark) x rate read from the
#     journal independently (python, exact integers); each fill's fee is USDⓈ-M's regular
#     tier ([order] fees.binance_usdm); verify and what-if reproduce it.
#  2. The same with leverage 125 on a contract whose maintenance rate (0.75 %) sits just
#     below the initial margin (0.8 %), stops off: the venue liquidates on purpose. The
#     liquidation record holds the numbers it was decided on, checked here against each
#     other and against the marks before it (no earlier mark reached the liquidation
#     price); the portfolio loses exactly the margin; verify, what-if and explain show it.
#  3. The same prints as KuCoin Futures frames (sizes in lots): the same candles, books that
#     add up, fees at KuCoin Futures' own rates, replay identical.
#  4. Cross margin, liquidated on purpose: the position is the whole equity and a funding
#     rate no venue charges (20 % a minute, paid by shorts) drains the wallet behind it. The
#     liquidation takes the wallet whole, at the first mark where the wallet plus the
#     unrealized PnL is at or below the maintenance margin (checked here from the journal,
#     mark by mark); the books add up, verify and what-if reproduce it, and a what-if in
#     isolated margin of the same data loses only the position's margin.
#  5. Two rule strategies combined (k_of_n, k = 2), both allowed to short: an entry, long
#     or short, is taken only where both views say its side (read from each intent's
#     votes), a position is exited where they no longer do; books add up, verify identical.
source "$(dirname "$0")/lib.sh"
NODE=${TRADER_NODE:?set TRADER_NODE}
CONFIG=${TRADER_CONFIG:?set TRADER_CONFIG to config/paper.toml}
cd "$(dirname "$CONFIG")/.."
FUTURES=config/futures-paper.toml
PERP="BTCUSDT@binance_usdm"

# The checks every session shares: the identity on every state, funding recomputed.
check_books() { python3 "$HERE/perp_books.py" "$1"; }  # JOURNAL_JSONL -> "shorts N funding F states S"
# A session of the futures config with more settings: journal $SCRATCH/NAME, its output
# NAME.out, its dump NAME.jsonl.
session() {
  local name=$1 what=$2
  shift 2
  "$NODE" --config "$FUTURES" --set journal.path="$SCRATCH/$name" "$@" > "$SCRATCH/$name.out" 2>&1 \
    || bad "the $what session failed: $(tail -3 "$SCRATCH/$name.out")"
  "$TOOLS" dump "$SCRATCH/$name" --json > "$SCRATCH/$name.jsonl" || bad "the $what session's dump failed"
}

# ---- 1. the shipped config
"$NODE" --config "$FUTURES" --set journal.path="$SCRATCH/j" > "$SCRATCH/node.out" 2>&1 \
  || bad "the futures session failed: $(tail -3 "$SCRATCH/node.out")"
"$TOOLS" dump "$SCRATCH/j" --json > "$SCRATCH/j.jsonl" || bad "dump failed"
if books=$(check_books "$SCRATCH/j.jsonl" 2>&1); then
  read -r _ shorts _ funding _ states <<<"$books"
  [ "$shorts" -gt 0 ] && ok "it goes short: $shorts sell entries approved" || bad "no short entry: $books"
  [ "$funding" != 0 ] && ok "funding booked ($funding units), equal to each funding record x the position then" \
    || bad "no funding paid or received"
  ok "every one of $states portfolio states adds up: equity - start == realized + unrealized - fees + funding"
else
  bad "the books: $books"
fi
fees=$(python3 "$HERE/paper_fees.py" "$SCRATCH/j.jsonl" binance_usdm=5/2 2>&1) \
  && ok "every fill paid USDⓈ-M's regular tier ([order] fees.binance_usdm, 5 bps taker), recomputed: $fees" \
  || bad "fees: $fees"
expect_eq "a short position was held" yes "$(grep -q '"qty":"-' <(grep '"type":"portfolio_state"' "$SCRATCH/j.jsonl") && echo yes)"
grep -q "funding $(grep -o 'funding [-0-9.]*' "$SCRATCH/node.out" | cut -d' ' -f2)" "$SCRATCH/node.out" \
  && grep -q ", funding " "$SCRATCH/node.out" && ok "the summary names the funding: $(grep -o 'funding [-0-9.]*' "$SCRATCH/node.out")" \
  || bad "the summary does not name the funding: $(grep pnl "$SCRATCH/node.out")"
"$TOOLS" replay "$SCRATCH/j" --verify > "$SCRATCH/verify.txt" 2>&1 && grep -q "^identical" "$SCRATCH/verify.txt" \
  && ok "replay --verify: identical" || bad "verify: $(tail -2 "$SCRATCH/verify.txt")"
# The SQL read model holds each perpetual position's margin, liquidation price and leverage
# and the portfolio's funding, as the journal's portfolio states say (python's sqlite3).
"$TOOLS" project "$SCRATCH/j" --db "sqlite:$SCRATCH/j.db" > "$SCRATCH/project.txt" 2>&1 || bad "project: $(tail -2 "$SCRATCH/project.txt")"
if sql=$(python3 - "$SCRATCH/j.jsonl" "$SCRATCH/j.db" <<'PY' 2>&1
import json, sqlite3, sys
from decimal import Decimal as D
states = {r["seq"]: r["body"] for r in map(json.loads, open(sys.argv[1])) if r["type"] == "portfolio_state"}
db = sqlite3.connect(sys.argv[2])
rows = db.execute("SELECT seq, qty, margin, liquidation_price, leverage FROM positions").fetchall()
assert rows, "no position rows"
for seq, qty, margin, liq, lev in rows:
    p = states[seq]["positions"][0]
    assert D(str(qty)) == D(p["qty"]) and D(str(margin)) == D(p["margin"]) and D(str(liq)) == D(p["liquidation_price"]) \
        and lev == p["leverage"], (seq, qty, margin, liq, lev, p)
funding = dict(db.execute("SELECT seq, funding FROM portfolio").fetchall())
assert len(funding) == len(states) and all(D(str(funding[s])) == D(b.get("funding", "0")) for s, b in states.items())
print(f"{len(rows)} position rows with margin, liquidation price and leverage, {len(funding)} portfolio rows with funding")
PY
); then ok "SQL: $sql"; else bad "SQL read model: $sql"; fi
hash=$(grep -o "decision hash [0-9a-f]*" "$SCRATCH/node.out" | cut -d' ' -f3)
"$TOOLS" replay "$SCRATCH/j" --what-if --config "$FUTURES" --out "$SCRATCH/wi" > "$SCRATCH/wi.txt" 2>&1 \
  && grep -q "decision hash $hash" "$SCRATCH/wi.txt" && [ -n "$hash" ] && ok "what-if with the same config: the same decisions" \
  || bad "what-if: $(tail -2 "$SCRATCH/wi.txt")"

# ---- 2. liquidated on purpose
liq=(--set futures.leverage=125 --set risk.max_leverage=125 --set risk.min_liquidation_distance=0
     --set 'risk.stop_loss="off"' --set 'risk.take_profit="off"'
     --set 'futures.contracts[0].brackets=[{floor = "0", mmr = "0.0075", max_leverage = 125}]')
session l leveraged "${liq[@]}"
books=$(check_books "$SCRATCH/l.jsonl" 2>&1) && ok "the leveraged session's books add up too ($books)" || bad "the books: $books"
if why=$(python3 - "$SCRATCH/l.jsonl" <<'PY' 2>&1
import json, sys
from decimal import Decimal
u = lambda s: int(Decimal(s) * 100_000_000)
recs = [json.loads(l) for l in open(sys.argv[1])]
liqs = [r for r in recs if r["type"] == "liquidation"]
assert liqs, "no liquidation"
for L in liqs:
    b = L["body"]; q = u(b["qty"]); mark = u(b["mark_price"]); notional = abs(q) * mark // 100_000_000
    # maintenance: the one bracket's rate of the notional, rounded up
    assert u(b["maintenance"]) == -((-notional * u(b["maintenance_rate"])) // 100_000_000), b
    assert u(b["maintenance_rate"]) == 750_000, b
    assert u(b["margin_balance"]) <= u(b["maintenance"]), f"not below maintenance: {b}"
    assert u(b["loss"]) == u(b["margin"]) > 0, b
    assert b["leverage"] == 125, b
    lp = u(b["liquidation_price"])
    assert (mark <= lp) if q > 0 else (mark >= lp), f"mark {mark} not past the liquidation price {lp}"
    # it is the first mark past that price since the position opened (the last fill before it)
    i = recs.index(L)
    opened = max(k for k in range(i) if recs[k]["type"] == "order_event" and u(recs[k]["body"]["fill_qty"]) > 0)
    trigger = recs[i - 1]  # the mark it answers
    assert trigger["type"] == "mark_price" and u(trigger["body"]["price"]) == mark and L["cause_seq"] == trigger["seq"], trigger
    for r in recs[opened:i - 1]:
        if r["type"] == "mark_price":
            m = u(r["body"]["price"])
            assert (m > lp) if q > 0 else (m < lp), f"an earlier mark {m} at seq {r['seq']} had reached {lp}"
    # the portfolio right after it: the position gone, realized down by the margin
    before = next(r for r in reversed(recs[:i]) if r["type"] == "portfolio_state")["body"]
    after = next(r for r in recs[i:] if r["type"] == "portfolio_state")["body"]
    assert not any(p["symbol"] == b["symbol"] for p in after["positions"]), after
    assert u(after["realized_pnl"]) - u(before["realized_pnl"]) == -u(b["margin"]), (before, after)
print(f'{len(liqs)} liquidation(s): mark {liqs[0]["body"]["mark_price"]} past {liqs[0]["body"]["liquidation_price"]}, '
      f'margin balance {liqs[0]["body"]["margin_balance"]} <= maintenance {liqs[0]["body"]["maintenance"]}')
PY
); then ok "liquidated where the venue would: $why"; else bad "the liquidation: $why"; fi
seq=$("$TOOLS" dump "$SCRATCH/l" --type liquidation | head -1 | cut -d' ' -f1)
"$TOOLS" explain "$SCRATCH/l" --seq "$seq" > "$SCRATCH/explain.txt" 2>&1 \
  && grep -q "mark_price" "$SCRATCH/explain.txt" && grep -q '"maintenance":' "$SCRATCH/explain.txt" \
  && grep -q "portfolio_state" "$SCRATCH/explain.txt" \
  && ok "explain --seq $seq: the mark that triggered it, the numbers, the portfolio after" \
  || bad "explain: $(head -5 "$SCRATCH/explain.txt")"
"$TOOLS" replay "$SCRATCH/l" --verify > "$SCRATCH/lverify.txt" 2>&1 && grep -q "^identical" "$SCRATCH/lverify.txt" \
  && ok "replay --verify of the liquidated session: identical" || bad "verify: $(tail -2 "$SCRATCH/lverify.txt")"
# What the journal's own summaries say agrees with the node: stats' decision hash (the
# liquidation is a decision), and report's rows by strategy add up to the session's net PnL
# to the unit (funding and the liquidation's loss belong to the position's strategy).
for s in j:node l:l; do
  dir=${s%%:*} out="$SCRATCH/${s#*:}.out"
  node_hash=$(grep -o "decision hash [0-9a-f]* ([0-9]* decisions" "$out" | awk '{print $3, $4}' | tr -d '(')
  expect_eq "stats of $dir: the node's decision hash and count" "$node_hash" \
    "$("$TOOLS" stats "$SCRATCH/$dir" | awk '/^decisions/ {print $5, $2}' | tr -d ',')"
  "$TOOLS" report "$SCRATCH/$dir" > "$SCRATCH/$dir.report" 2>&1 || bad "report of $dir failed: $(tail -2 "$SCRATCH/$dir.report")"
  if why=$(python3 - "$SCRATCH/$dir.report" <<'PY' 2>&1
import re, sys
from decimal import Decimal
text = open(sys.argv[1]).read()
net = Decimal(re.search(r"^  net PnL +(-?[0-9.]+) ", text, re.M).group(1))
rows = re.findall(r"^  (.+): .* net PnL (-?[0-9.]+) \(", text, re.M)
assert rows, "no rows by strategy"
assert all(name != "(unattributed)" for name, _ in rows), rows
total = sum(Decimal(v) for _, v in rows)
assert total == net, f"rows {rows} add up to {total}, the session's net PnL is {net}"
print(f"{len(rows)} row(s), {total}")
PY
  ); then ok "report of $dir: the rows by strategy add up to the net PnL ($why)"; else bad "report of $dir: $why"; fi
done
# The SQL read model says why the position left: one liquidations row, the record's numbers
# to the unit, and the loss the portfolio booked with it.
"$TOOLS" project "$SCRATCH/l" --db "sqlite:$SCRATCH/l.db" > "$SCRATCH/lproject.txt" 2>&1 || bad "project: $(tail -2 "$SCRATCH/lproject.txt")"
if sql=$(python3 - "$SCRATCH/l.jsonl" "$SCRATCH/l.db" <<'PY' 2>&1
import json, sqlite3, sys
from decimal import Decimal as D
records = list(map(json.loads, open(sys.argv[1])))
liqs = [r for r in records if r["type"] == "liquidation"]
assert len(liqs) == 1, liqs
l = liqs[0]
db = sqlite3.connect(sys.argv[2])
db.row_factory = sqlite3.Row
rows = db.execute("SELECT * FROM liquidations").fetchall()
assert len(rows) == 1, [dict(r) for r in rows]
row = dict(rows[0])
assert row["seq"] == l["seq"] and row["cause_seq"] == l["cause_seq"] and row["symbol"] == l["body"]["symbol"], row
for k in ("qty", "entry_price", "mark_price", "margin", "margin_balance", "maintenance", "maintenance_rate",
          "liquidation_price", "bankruptcy_price", "loss"):
    assert D(str(row[k])) == D(l["body"][k]), (k, row[k], l["body"][k])
assert row["leverage"] == l["body"]["leverage"] and bool(row["cross_margin"]) == l["body"]["cross"], row
before = db.execute("SELECT realized_pnl FROM portfolio WHERE seq < ? ORDER BY seq DESC LIMIT 1", (l["seq"],)).fetchone()[0]
after = db.execute("SELECT realized_pnl FROM portfolio WHERE cause_seq = ?", (l["seq"],)).fetchone()[0]
assert D(str(before)) - D(str(after)) == D(l["body"]["loss"]), (before, after, l["body"]["loss"])
alerts = db.execute("SELECT seq, severity, text FROM alerts WHERE kind = 'liquidated'").fetchall()
assert [(a[0], a[1]) for a in alerts] == [(l["seq"], "critical")], [tuple(a) for a in alerts]
assert l["body"]["loss"].rstrip("0").rstrip(".") in alerts[0][2], alerts[0][2]
print(f"seq {row['seq']}, loss {row['loss']} = the realized PnL the portfolio lost with it; alert: {alerts[0][2]}")
PY
); then ok "SQL: the liquidation has its row: $sql"; else bad "SQL liquidations: $sql"; fi
# export trades: the liquidation is a row of its own (at its seq, its loss as realized PnL,
# at the bankruptcy price), so no fill's row carries it, and the rows add up to the
# session's realized PnL.
"$TOOLS" export trades "$SCRATCH/l" --csv "$SCRATCH/l.csv" > "$SCRATCH/lexport.txt" 2>&1 || bad "export: $(cat "$SCRATCH/lexport.txt")"
if csv=$(python3 - "$SCRATCH/l.jsonl" "$SCRATCH/l.csv" <<'PY' 2>&1
import csv, json, sys
from decimal import Decimal as D
records = list(map(json.loads, open(sys.argv[1])))
liq = next(r for r in records if r["type"] == "liquidation")
states = [r["body"] for r in records if r["type"] == "portfolio_state"]
rows = list(csv.DictReader(open(sys.argv[2])))
liq_rows = [r for r in rows if r["reason"].startswith("liquidation:")]
assert len(liq_rows) == 1, liq_rows
row = liq_rows[0]
assert int(row["seq"]) == liq["seq"] and D(row["realized_pnl"]) == -D(liq["body"]["loss"]), row
assert D(row["qty"]) == abs(D(liq["body"]["qty"])) and D(row["price"]) == D(liq["body"]["bankruptcy_price"]), row
fills = [r for r in rows if r is not row]
assert all(D(r["realized_pnl"]) > -D(liq["body"]["loss"]) for r in fills), "a fill's row carries the loss"
total = sum(D(r["realized_pnl"]) for r in rows)
assert total == D(states[-1]["realized_pnl"]), (total, states[-1]["realized_pnl"])
print(f"{len(fills)} fills and the liquidation at seq {row['seq']} ({row['realized_pnl']}), realized {total} in all")
PY
); then ok "export trades: $csv"; else bad "export trades: $csv"; fi
hash=$(grep -o "decision hash [0-9a-f]*" "$SCRATCH/l.out" | cut -d' ' -f3)
"$TOOLS" replay "$SCRATCH/l" --what-if --config "$FUTURES" "${liq[@]}" --out "$SCRATCH/lwi" > "$SCRATCH/lwi.txt" 2>&1 \
  && grep -q "decision hash $hash" "$SCRATCH/lwi.txt" && ok "what-if with its config: the same decisions and liquidation" \
  || bad "what-if: $(tail -2 "$SCRATCH/lwi.txt")"
# And what-if asks the question: at 5x (the shipped leverage) the same data liquidates nothing.
"$TOOLS" replay "$SCRATCH/l" --what-if --config "$FUTURES" --out "$SCRATCH/lwi5" > "$SCRATCH/lwi5.txt" 2>&1 \
  || bad "what-if at 5x failed: $(tail -2 "$SCRATCH/lwi5.txt")"
expect_eq "what-if at 5x: no liquidation" 0 "$("$TOOLS" dump "$SCRATCH/lwi5" --type liquidation | grep -c .)"
# The decision diff of the two shows it: the liquidation is a difference, in A only.
"$TOOLS" diff "$SCRATCH/l" "$SCRATCH/lwi5" > "$SCRATCH/ldiff.txt" 2>&1
liq_loss=$("$TOOLS" dump "$SCRATCH/l" --type liquidation --json | python3 -c 'import json,sys; print(json.loads(sys.stdin.readline())["body"]["loss"])')
expect_eq "diff at 125x against 5x: the liquidation, in A only" \
  "A: liquidated 0.032 at mark 61649.85, loss $liq_loss B: -" \
  "$(grep -o 'A: liquidated.*' "$SCRATCH/ldiff.txt" | tr -s ' ')"

# ---- 3. the same prints as KuCoin Futures frames (XBTUSDTM, sizes in lots of 0.001 XBT):
# the shipped config on its first three minutes. The lots become the same base quantities,
# so every candle equals the Binance session's candle of the same window, to the unit.
kucoin=(--set 'feed.files=["tests/data/kucoin_futures_xbtusdtm_20240808.gz"]' --set feed.capture_venue=kucoin_futures
        --set 'futures.contracts[0].symbol="XBTUSDTM@kucoin_futures"' --set 'futures.contracts[0].multiplier="0.001"')
session k "KuCoin Futures" "${kucoin[@]}"
grep -q "0 malformed, 0 of unknown streams" "$SCRATCH/k.out" && ok "every KuCoin Futures frame read: $(grep -o '[0-9]* items' "$SCRATCH/k.out")" \
  || bad "feed: $(grep feed "$SCRATCH/k.out")"
books=$(check_books "$SCRATCH/k.jsonl" 2>&1) && ok "its books add up ($books)" || bad "the books: $books"
fees=$(python3 "$HERE/paper_fees.py" "$SCRATCH/k.jsonl" kucoin_futures=6/2 2>&1) \
  && ok "every fill paid KuCoin Futures' own rates (6 bps taker), not USDⓈ-M's: $fees" || bad "fees: $fees"
if same=$(python3 - "$SCRATCH/j.jsonl" "$SCRATCH/k.jsonl" <<'PY' 2>&1
import json, sys
def candles(path):
    out = {}
    for l in open(path):
        r = json.loads(l)
        if r["type"] == "candle":
            b = dict(r["body"]); b.pop("symbol")
            out[(b["interval_s"], b["open_time_ms"])] = b
    return out
binance, kucoin = candles(sys.argv[1]), candles(sys.argv[2])
assert len(kucoin) > 20, len(kucoin)
last = max(kucoin)  # the capture's last candle may be cut short by its end
differ = [k for k in kucoin if k != last and kucoin[k] != binance.get(k)]
assert not differ, (differ[:3], [kucoin[k] for k in differ[:1]], [binance.get(k) for k in differ[:1]])
print(f"{len(kucoin) - 1} candles")
PY
); then ok "the KuCoin session's candles equal the Binance session's: $same"; else bad "candles differ: $same"; fi
"$TOOLS" replay "$SCRATCH/k" --verify > "$SCRATCH/kverify.txt" 2>&1 && grep -q "^identical" "$SCRATCH/kverify.txt" \
  && ok "replay --verify of the KuCoin Futures session: identical" || bad "verify: $(tail -2 "$SCRATCH/kverify.txt")"
# ---- 4. cross margin, liquidated on purpose
cross=("${liq[@]}" --set futures.margin_mode='"cross"' --set futures.funding_rate='"-0.2"'
       --set risk.max_margin_use=1 --set strategy.position_fraction=1 --set risk.max_position_equity=1
       --set 'risk.max_position_notional="100000"')
session x cross-margin "${cross[@]}"
books=$(check_books "$SCRATCH/x.jsonl" 2>&1) && ok "the cross-margin session's books add up ($books)" || bad "the books: $books"
if why=$(python3 - "$SCRATCH/x.jsonl" <<'PY' 2>&1
import json, sys
from decimal import Decimal
u = lambda s: int(Decimal(s) * 100_000_000)
def trunc_div(a, b): return -((-a) // b) if (a < 0) != (b < 0) else a // b
recs = [json.loads(l) for l in open(sys.argv[1])]
liqs = [r for r in recs if r["type"] == "liquidation"]
assert len(liqs) == 1, f"{len(liqs)} liquidations"
L = liqs[0]; b = L["body"]; i = recs.index(L)
assert b["cross"] is True, b
q, mark = u(b["qty"]), u(b["mark_price"])
# The books as the journal has them just before: the wallet is the cash, the position's
# cost its value at its last mark less its unrealized PnL.
before = next(r for r in reversed(recs[:i]) if r["type"] == "portfolio_state")["body"]
wallet = u(before["cash"])
(pos,) = before["positions"]
cost = trunc_div(u(pos["qty"]) * u(pos["last_price"]), 10**8) - u(pos["unrealized_pnl"])
assert u(pos["qty"]) == q, (pos, b)
def account(m, wallet=wallet):  # the margin balance and the maintenance at a mark, one bracket of 0.75 %
    value = trunc_div(q * m, 10**8)
    return wallet + value - cost, -((-abs(value) * 750_000) // 10**8)
balance, maintenance = account(mark)
assert u(b["margin"]) == wallet, (b, wallet)
assert u(b["margin_balance"]) == balance and u(b["maintenance"]) == maintenance, (b, balance, maintenance)
assert balance <= maintenance, b
assert u(b["loss"]) == wallet > 0, b  # the wallet, whole
trigger = recs[i - 1]
assert trigger["type"] == "mark_price" and u(trigger["body"]["price"]) == mark and L["cause_seq"] == trigger["seq"], trigger
lp = u(b["liquidation_price"])
assert (mark <= lp) if q > 0 else (mark >= lp), (mark, lp)
# No earlier mark since the position last changed had reached it, with the wallet funding
# had left at each (the cash of the portfolio state before the mark).
last_fill = max(k for k in range(i) if recs[k]["type"] == "order_event" and u(recs[k]["body"]["fill_qty"]) > 0)
since, w = [], None
for r in recs[last_fill:i - 1]:
    if r["type"] == "portfolio_state":
        w = u(r["body"]["cash"])
    elif r["type"] == "mark_price" and w is not None:
        bal, mm = account(u(r["body"]["price"]), w)
        assert bal > mm, f"an earlier mark at seq {r['seq']} had reached maintenance: {bal} <= {mm}"
        since.append(r)
assert since, "no mark between the last fill and the liquidation"
after = next(r for r in recs[i:] if r["type"] == "portfolio_state")["body"]
assert u(after["cash"]) == 0 and u(after["equity"]) == 0 and not after["positions"], after
assert u(after["realized_pnl"]) - u(before["realized_pnl"]) == -wallet, (before, after)
print(f'the wallet {b["margin"]} lost whole at mark {b["mark_price"]}: balance {b["margin_balance"]} <= '
      f'maintenance {b["maintenance"]}, {len(since)} earlier marks above it')
PY
); then ok "cross margin: $why"; else bad "the cross liquidation: $why"; fi
"$TOOLS" replay "$SCRATCH/x" --verify > "$SCRATCH/xverify.txt" 2>&1 && grep -q "^identical" "$SCRATCH/xverify.txt" \
  && ok "replay --verify of the cross-margin session: identical" || bad "verify: $(tail -2 "$SCRATCH/xverify.txt")"
hash=$(grep -o "decision hash [0-9a-f]*" "$SCRATCH/x.out" | cut -d' ' -f3)
"$TOOLS" replay "$SCRATCH/x" --what-if --config "$FUTURES" "${cross[@]}" --out "$SCRATCH/xwi" > "$SCRATCH/xwi.txt" 2>&1 \
  && grep -q "decision hash $hash" "$SCRATCH/xwi.txt" && [ -n "$hash" ] && ok "what-if with its config: the same decisions and liquidation" \
  || bad "what-if: $(tail -2 "$SCRATCH/xwi.txt")"
# The same data in isolated margin: the venue takes the position's margin, not the wallet.
"$TOOLS" replay "$SCRATCH/x" --what-if --config "$FUTURES" "${cross[@]}" --set futures.margin_mode='"isolated"' \
  --out "$SCRATCH/xiso" > "$SCRATCH/xiso.txt" 2>&1 || bad "what-if isolated failed: $(tail -2 "$SCRATCH/xiso.txt")"
iso=$("$TOOLS" dump "$SCRATCH/xiso" --type liquidation --json | head -1)
python3 -c 'import json,sys; from decimal import Decimal as D; i=json.loads(sys.argv[1]); c=json.loads(sys.argv[2]); b=i["body"]
assert not b.get("cross") and D(b["loss"]) == max(D(b["margin"]), 0) and i["seq"] < c["seq"], (i, c)
print("the position alone backs itself, liquidated at seq", i["seq"], "losing its margin left,", b["loss"],
      "(funding had taken it); cross held until seq", c["seq"], "and lost the wallet,", c["body"]["loss"])' "$iso" \
  "$("$TOOLS" dump "$SCRATCH/x" --type liquidation --json | head -1)" > "$SCRATCH/xcmp.txt" 2>&1 \
  && ok "what-if in isolated margin: $(cat "$SCRATCH/xcmp.txt")" || bad "isolated vs cross: $(tail -2 "$SCRATCH/xcmp.txt")"

# ---- 5. two strategies' short views combined: the shipped config with its [strategy]
# made two [[strategies]] entries (the same rule at two speeds), k_of_n with k = 2.
python3 - "$FUTURES" > "$SCRATCH/two.toml" <<'PY'
import sys
s = open(sys.argv[1]).read()
a, b = s.index("[strategy]"), s.index("[risk]")
rule = 'kind = "rule"\ninterval = "5s"\nentry_momentum_bps = 0.5\n'
print(s[:a] + '[strategy]\nreentry_cooldown_candles = 2\nallow_short = true\n\n[combine]\npolicy = "k_of_n"\nk = 2\n\n'
      + '[[strategies]]\nid = "ema-3-8"\n' + rule + 'fast_ema = 3\nslow_ema = 8\nmomentum_candles = 3\n\n'
      + '[[strategies]]\nid = "ema-2-5"\n' + rule + 'fast_ema = 2\nslow_ema = 5\nmomentum_candles = 2\n\n' + s[b:])
PY
"$NODE" --config "$SCRATCH/two.toml" --set journal.path="$SCRATCH/two" > "$SCRATCH/two.out" 2>&1 \
  || bad "the two-strategy session failed: $(tail -3 "$SCRATCH/two.out")"
"$TOOLS" dump "$SCRATCH/two" --json > "$SCRATCH/two.jsonl" || bad "the two-strategy dump failed"
if why=$(python3 - "$SCRATCH/two.jsonl" <<'PY' 2>&1
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
count = {"long": 0, "short": 0, "exit": 0}
for r in rows:
    b = r["body"]
    if r["type"] != "order_intent":
        continue
    votes = [v["direction"] for v in b["votes"]]
    assert len(votes) == 2, b
    if b["reason"].startswith("enter"):
        side = "long" if b["side"] == "buy" else "short"
        assert votes == [side, side], (r["seq"], votes, b["reason"])
        count[side] += 1
    else:
        wanted = "long" if b["side"] == "sell" else "short"  # the side the exit leaves
        assert votes.count(wanted) < 2, (r["seq"], votes, b["reason"])
        count["exit"] += 1
assert count["short"] > 0 and count["long"] > 0, count
print(f'{count["short"]} short and {count["long"]} long entries, each with both views on its side; {count["exit"]} exits where they were not')
PY
); then ok "two strategies combined: $why"; else bad "two strategies: $why"; fi
books=$(check_books "$SCRATCH/two.jsonl" 2>&1) && ok "their books add up ($books)" || bad "the books: $books"
"$TOOLS" replay "$SCRATCH/two" --verify > "$SCRATCH/twoverify.txt" 2>&1 && grep -q "^identical" "$SCRATCH/twoverify.txt" \
  && ok "replay --verify of the two-strategy session: identical" || bad "verify: $(tail -2 "$SCRATCH/twoverify.txt")"
# Each strategy's part, funding included, as the node's summary, report and diff give it:
# the same numbers, adding up to the session's net PnL.
"$TOOLS" report "$SCRATCH/two" > "$SCRATCH/two.report" 2>&1 || bad "report of two failed"
"$TOOLS" diff "$SCRATCH/two" "$SCRATCH/two" > "$SCRATCH/two.diff" 2>&1
if why=$(python3 - "$SCRATCH/two.out" "$SCRATCH/two.report" "$SCRATCH/two.diff" <<'PY' 2>&1
import re, sys
from decimal import Decimal as D
node, report, diff = (open(f).read() for f in sys.argv[1:4])
net = D(re.search(r"^  net PnL +(-?[0-9.]+) ", report, re.M).group(1))
assert D(re.search(r"^  pnl +(-?[0-9.]+) ", node, re.M).group(1)) == net
assert D(re.search(r"funding (-?[0-9.]+)", report).group(1)) != 0, "no funding in the session"
parts = {
    "node": dict(re.findall(r"(ema-[0-9-]+): .* net PnL (-?[0-9.]+) \(fees", node)),
    "report": dict(re.findall(r"^  (ema-[0-9-]+): .* net PnL (-?[0-9.]+) \(", report, re.M)),
    "diff": {n: a for n, a, b in re.findall(r"^  (ema-[0-9-]+) +(-?[0-9.]+) \(\d+, \d+\) +(-?[0-9.]+)", diff, re.M)},
}
assert all(len(p) == 2 for p in parts.values()), parts
assert parts["node"] == parts["report"] == parts["diff"], parts
assert "(unattributed)" not in node + report + diff
total = sum(D(v) for v in parts["report"].values())
assert total == net, (parts["report"], net)
print(f"{parts['report']} add up to {net}")
PY
); then ok "two strategies' parts with funding, the same in the summary, report and diff: $why"; else bad "the parts: $why"; fi
finish
