#!/usr/bin/env bash
# Several strategies in one node (config/multi-strategy.toml): the baseline rule and two
# XGBoost models trained here on the main job's journal, on 1- and 5-minute candles,
# combined by k_of_n 2, sized by Kelly, with a correlation cap. Checked from the journal,
# independently of the node's own rules:
#  - every signal names one of the three strategies, and each of them signals;
#  - every entry intent had at least 2 of 3 long votes, every exit fewer; each entry is
#    sized by Kelly;
#  - the strategies' net PnL in the summary adds up to the session's to the unit;
#  - the journal verifies; what-if and diff show each strategy's part; the SQL history
#    holds each signal's strategy and each intent's votes.
# Then correlation on the real BTCUSDT and ETHUSDT trades of one evening: an entry in one
# while the other is held is refused, and its rho is the one computed here from the
# journal's candles (exact integer Pearson).
source "$(dirname "$0")/lib.sh"
main_job_setup
MULTI=config/multi-strategy.toml
mkdir -p "$SCRATCH/models"
# The walk-through's two models (docs/strategies.md), trained on the first four days.
"$TRADER_TOOLS" train "$SCRATCH/run" --config config/paper.toml --out "$SCRATCH/models/m15.json" --horizon 15m \
  --until 2023-03-05 > "$SCRATCH/train1.out" 2>&1 || bad "train m15: $(tail -2 "$SCRATCH/train1.out")"
"$TRADER_TOOLS" train "$SCRATCH/run" --config config/paper.toml --set strategy.interval=5m \
  --out "$SCRATCH/models/m5-1h.json" --horizon 1h --until 2023-03-05 > "$SCRATCH/train2.out" 2>&1 \
  || bad "train m5-1h: $(tail -2 "$SCRATCH/train2.out")"
models=(--set "strategies[1].model=$SCRATCH/models/m15.json" --set "strategies[2].model=$SCRATCH/models/m5-1h.json")

"$NODE" --config "$MULTI" "${models[@]}" --set journal.path="$SCRATCH/multi" > "$SCRATCH/multi.out" 2> "$SCRATCH/multi.log"
expect_eq "the three-strategy node exits" 0 "$?"
grep -q "strategies ema-1m (rule, 60s), xgb-1m (xgboost $SCRATCH/models/m15.json, 60s), xgb-5m (xgboost $SCRATCH/models/m5-1h.json, 300s); combined by k_of_n 2" "$SCRATCH/multi.log" \
  && ok "the start log names the strategies and how they combine" || bad "start log: $(grep starting "$SCRATCH/multi.log")"
"$TRADER_TOOLS" dump --json "$SCRATCH/multi" > "$SCRATCH/multi.jsonl" || bad "dump"

python3 - "$SCRATCH/multi.jsonl" "$SCRATCH/multi.out" <<'PY' && ok "signals name their strategy; entries had 2 of 3 long votes, exits fewer; Kelly sized them; the strategies' PnL adds up" || bad "multi-strategy journal"
import json, re, sys
from decimal import Decimal
records = [json.loads(l) for l in open(sys.argv[1])]
summary = open(sys.argv[2]).read()
names = {"ema-1m", "xgb-1m", "xgb-5m"}
signals = [r["body"] for r in records if r["type"] == "signal"]
assert signals and {s["strategy_id"] for s in signals} == names, {s.get("strategy_id") for s in signals}
intents = [r["body"] for r in records if r["type"] == "order_intent"]
entries = [i for i in intents if not i["is_exit"]]
exits = [i for i in intents if i["is_exit"]]
assert entries and exits, (len(entries), len(exits))
longs = lambda i: sum(1 for v in i["votes"] if v["direction"] == "long")
assert all(longs(i) >= 2 for i in entries), [i["votes"] for i in entries if longs(i) < 2][:2]
assert all(longs(i) < 2 for i in exits), [i["votes"] for i in exits if longs(i) >= 2][:2]
assert all({v["strategy_id"] for v in i["votes"]} <= names for i in intents)
assert all("sizing kelly" in i["reason"] for i in entries), [i["reason"] for i in entries][:2]
net = Decimal(re.search(r"pnl +(-?[0-9.]+) \w+ net", summary).group(1))
parts = re.findall(r"^ +(?:by strategy +)?([a-z0-9-]+|risk \(stops, take-profits, flatten\)): \d+ signals, \d+ intents, \d+ fills, net PnL (-?[0-9.]+)", summary, re.M)
assert {p[0] for p in parts} >= names and sum(Decimal(p[1]) for p in parts) == net, (parts, net)
print(f"{len(signals)} signals, {len(entries)} entries, {len(exits)} exits; net {net} = {' + '.join(p[1] for p in parts)}")
PY

hash=$(grep -o "decision hash [0-9a-f]*" "$SCRATCH/multi.out" | cut -d' ' -f3)
"$TRADER_TOOLS" replay "$SCRATCH/multi" --verify > "$SCRATCH/verify.out" 2>&1
rc=$?
[ "$rc" -eq 0 ] && grep -q "identical: .* decision hash $hash" "$SCRATCH/verify.out" \
  && ok "it verifies: $(head -1 "$SCRATCH/verify.out" | cut -c1-60)..." || bad "verify (exit $rc): $(cat "$SCRATCH/verify.out")"

"$TRADER_TOOLS" replay "$SCRATCH/multi" --what-if --config "$MULTI" "${models[@]}" --set combine.policy=any \
  --out "$SCRATCH/any" > "$SCRATCH/whatif.out" 2>&1 || bad "what-if: $(tail -2 "$SCRATCH/whatif.out")"
"$TRADER_TOOLS" diff "$SCRATCH/multi" "$SCRATCH/any" --limit 1 > "$SCRATCH/diff.out" 2>&1 || bad "diff: $(tail -2 "$SCRATCH/diff.out")"
"$TRADER_TOOLS" report "$SCRATCH/any" > "$SCRATCH/report.out" 2>&1 || bad "report: $(tail -2 "$SCRATCH/report.out")"
python3 - "$SCRATCH/diff.out" "$SCRATCH/report.out" "$SCRATCH/multi.out" <<'PY' && ok "diff and report show each strategy's part; any trades more than k_of_n" || bad "diff/report: $(cat "$SCRATCH/diff.out")"
import re, sys
from decimal import Decimal
diff, report, summary = (open(p).read() for p in sys.argv[1:4])
table = diff[diff.index("by strategy: net PnL of the positions it opened"):]
rows = {m[0]: (Decimal(m[1]), Decimal(m[2])) for m in re.findall(r"^  ([a-z0-9-]+) +(-?[0-9.]+) \(\d+, \d+\) +(-?[0-9.]+) \(\d+, \d+\)", table, re.M)}
assert set(rows) == {"ema-1m", "xgb-1m", "xgb-5m"}, table
# A: the node's own run, so its column is the summary's parts.
for name, (a, _) in rows.items():
    assert re.search(r"%s: \d+ signals, \d+ intents, \d+ fills, net PnL %s " % (re.escape(name), re.escape(str(a))), summary), (name, a)
fills_a, fills_b = map(int, re.search(r"  fills +(\d+) +(\d+)", diff).groups())
assert fills_b > fills_a, (fills_a, fills_b)
net = Decimal(re.search(r"net PnL +(-?[0-9.]+) USDC", report).group(1))
parts = re.findall(r"^  .+: \d+ signals, .*; net PnL (-?[0-9.]+) \(realized", report, re.M)
assert len(parts) >= 3 and sum(Decimal(p) for p in parts) == net, (parts, net)
PY

# A walk-forward trains one model for strategy.model: refused for [[strategies]], nothing written.
"$TRADER_TOOLS" sweep "$SCRATCH/multi" --config "$MULTI" "${models[@]}" --grid 'combine.k=[1, 2]' \
  --walk-forward 3d:1d:1d --out "$SCRATCH/wf" > "$SCRATCH/wf.out" 2>&1
rc=$?
[ "$rc" -eq 2 ] && grep -q "has 3 \[\[strategies\]\]: not supported yet" "$SCRATCH/wf.out" && [ ! -e "$SCRATCH/wf" ] \
  && ok "a walk-forward of several strategies is refused before anything is written (exit 2)" || bad "walk-forward (exit $rc): $(cat "$SCRATCH/wf.out")"

# The SQL history: each signal's strategy, each intent's votes, as the journal has them.
"$TRADER_TOOLS" project "$SCRATCH/multi" --db "sqlite:$SCRATCH/multi.db" > "$SCRATCH/project.out" 2>&1 \
  || bad "project: $(tail -2 "$SCRATCH/project.out")"
python3 - "$SCRATCH/multi.db" "$SCRATCH/multi.jsonl" <<'PY' && ok "SQL: signals.strategy_id and intents.votes are the journal's" || bad "sql"
import json, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
records = [json.loads(l) for l in open(sys.argv[2])]
want = {}
for r in records:
    if r["type"] == "signal":
        want[r["body"]["strategy_id"]] = want.get(r["body"]["strategy_id"], 0) + 1
got = dict(db.execute("SELECT strategy_id, count(*) FROM signals GROUP BY strategy_id"))
assert got == want, (got, want)
votes = {r["seq"]: r["body"]["votes"] for r in records if r["type"] == "order_intent"}
rows = {seq: json.loads(v) for seq, v in db.execute("SELECT seq, votes FROM intents")}
assert rows == votes, [s for s in votes if rows.get(s) != votes[s]][:3]
print(f"signals by strategy {got}; {len(rows)} intents with their votes")
PY

# Correlation on real data: BTCUSDT and ETHUSDT trades, 10-second candles.
cat > "$SCRATCH/corr.toml" <<EOF
[journal]
path = "$SCRATCH/corr"
[feed]
files = ["tests/data/btcusdt_trades_20240808.gz", "tests/data/ethusdt_trades_20240808.gz"]
[candles]
intervals = ["1s", "10s"]
[portfolio]
quote_asset = "USDT"
[market]
lot_step = "0.0001"
[strategy]
interval = "10s"
fast_ema = 2
slow_ema = 5
momentum_candles = 2
entry_momentum_bps = 0.0
reentry_cooldown_candles = 0
[risk]
correlation_window = 20
max_correlation = 0.5
EOF
"$NODE" --config "$SCRATCH/corr.toml" > "$SCRATCH/corr.out" 2> "$SCRATCH/corr.log" || bad "correlation run: $(tail -2 "$SCRATCH/corr.log")"
"$TRADER_TOOLS" dump --json "$SCRATCH/corr" > "$SCRATCH/corr.jsonl" || bad "dump corr"
python3 - "$SCRATCH/corr.jsonl" <<'PY' && ok "a correlated entry is refused; its rho is the exact Pearson of the journal's 10 s returns" || bad "correlation"
import json, math, sys
from decimal import Decimal
records = [json.loads(l) for l in open(sys.argv[1])]
fixed = lambda s: int(Decimal(s) * 100000000)
WINDOW = 20
closes, held, refused = {}, {}, []
for r in records:
    b = r["body"]
    if r["type"] == "candle" and b["interval_s"] == 10:
        closes.setdefault(b["symbol"], []).append((b["close_time_ms"], fixed(b["close"])))
    elif r["type"] == "portfolio_state":
        held = {p["symbol"]: fixed(p["qty"]) for p in b["positions"]}
    elif r["type"] == "risk_decision" and b["reason_code"] == "max_correlation":
        refused.append((b, dict(held), {s: list(c) for s, c in closes.items()}))
assert refused, "no entry was refused"
def trunc_div(a, b):
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b > 0) else -q
def returns(series):
    out = {}
    for (t0, c0), (t1, c1) in zip(series, series[1:]):
        out[t1] = max(-10**6, min(10**6, trunc_div((c1 - c0) * 10**6, c0)))
    return out
for decision, positions, seen in refused:
    symbol = decision["symbol"]
    others = [s for s, q in positions.items() if s != symbol and q > 0]
    assert others, (symbol, positions)
    check = next(c for c in decision["checks"] if c["limit"] == "max_correlation")
    ra, rb = returns(seen[symbol]), returns(seen[others[0]])
    common = sorted(set(ra) & set(rb))[-WINDOW:]
    assert len(common) == WINDOW
    xs, ys = [ra[t] for t in common], [rb[t] for t in common]
    n = len(xs)
    cov = n * sum(x * y for x, y in zip(xs, ys)) - sum(xs) * sum(ys)
    va = n * sum(x * x for x in xs) - sum(xs) ** 2
    vb = n * sum(y * y for y in ys) - sum(ys) ** 2
    rho = trunc_div(cov * 10**6, math.isqrt(va * vb))
    assert check["value"] == abs(rho) and check["bound"] == 500000 and not check["within"], (check, rho)
    assert f"{symbol} moves with {others[0]} (rho {rho / 1e6:.3f}) over 20 candles" in decision["reason"], decision["reason"]
print(f"{len(refused)} refused, e.g. {refused[0][0]['reason']}")
PY
"$TRADER_TOOLS" replay "$SCRATCH/corr" --verify > "$SCRATCH/corr.verify" 2>&1 \
  && ok "the correlation run verifies (risk's returns are in its snapshots)" || bad "verify corr: $(cat "$SCRATCH/corr.verify")"
finish
