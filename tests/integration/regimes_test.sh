#!/usr/bin/env bash
# Regimes on the main job's data (the bundled week of BTCUSDC 1-minute klines): each
# symbol's regime read from its 5-minute candles, the rule trading only in an up trend,
# risk halving entries in high volatility. Checked from the journal, independently of the
# node's code:
#  - every regime message is what an exact integer recomputation from the journal's own
#    5-minute candles reads (trend from the slope's t, volatility from the variance's
#    rank), and one is journaled exactly when the trend or the volatility changes;
#  - every entry was made in an up trend, and an exit follows the regime out of it;
#  - every entry decided in high volatility is half its intent, rounded down to the lot;
#  - the session verifies (its snapshots hold the regimes), and a what-if trading only in
#    a range decides otherwise.
source "$(dirname "$0")/lib.sh"
NODE=${TRADER_NODE:?set TRADER_NODE}
CONFIG=${TRADER_CONFIG:?set TRADER_CONFIG to config/paper.toml}
cd "$(dirname "$CONFIG")/.." || exit 1
regime=(--set 'candles.intervals=["1m", "5m"]' --set 'regime.interval="5m"' --set 'strategy.regimes=["up"]'
  --set risk.regime_size_factor.high_vol=0.5 --set journal.snapshot_every=5000)

"$NODE" --config "$CONFIG" "${regime[@]}" --set journal.path="$SCRATCH/run" > "$SCRATCH/node.out" 2> "$SCRATCH/node.log"
expect_eq "the node with [regime] exits" 0 "$?"
"$TRADER_TOOLS" dump --json "$SCRATCH/run" > "$SCRATCH/run.jsonl" || bad "dump"

python3 - "$SCRATCH/run.jsonl" <<'PY' && ok "regimes as recomputed from the journal's candles, journaled on change; entries in up trends only, exits on leaving them; high volatility halves an entry" || bad "regimes in the journal"
import json, math, sys
from decimal import Decimal
rows = [json.loads(l) for l in open(sys.argv[1])]
units = lambda s: int(Decimal(s) * 100_000_000)

# [regime] defaults: 24 returns in the slope and in the variance, ranked among 168.
TW, VW, VH, T_CENTI, HIGH, LOW = 24, 24, 168, 500, 800_000, 200_000
def trunc_div(a, b):
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b > 0) else -q
returns, variances, prev, last, expected = [], [], None, None, []
for r in rows:
    if r["type"] != "candle" or r["body"]["interval_s"] != 300:
        continue
    close = units(r["body"]["close"])
    if prev is None:
        prev = close
        continue
    returns.append(max(-10**6, min(10**6, trunc_div((close - prev) * 10**6, prev))))
    prev = close
    returns = returns[-max(TW, VW):]
    if len(returns) < VW:
        continue
    w = returns[-VW:]
    var = VW * sum(x * x for x in w) - sum(w) ** 2
    ranked = len(variances) == VH
    rank = sum(1 for v in variances if v < var) * 10**6 // len(variances) if ranked else 0
    variances = (variances + [var])[-VH:]
    if not ranked or len(returns) < TW:
        continue
    ys = [0]
    for x in returns[-TW:]:
        ys.append(ys[-1] + x)
    m = len(ys)
    sx, sy = sum(range(m)), sum(ys)
    sxx, syy, sxy = sum(i * i for i in range(m)), sum(y * y for y in ys), sum(i * y for i, y in enumerate(ys))
    Sxx, Syy, Sxy = m * sxx - sx * sx, m * syy - sy * sy, m * sxy - sx * sy
    num, den = (m - 2) * Sxy * Sxy * 10_000, Sxx * Syy - Sxy * Sxy
    trending = Sxy != 0 and (den == 0 or num >= T_CENTI * T_CENTI * den)
    t = 0 if den == 0 and Sxy == 0 else (2**31 - 1) if den == 0 else min(math.isqrt(num // den), 2**31 - 1)
    reading = ("range" if not trending else "up" if Sxy > 0 else "down",
               "high" if rank >= HIGH else "low" if rank <= LOW else "normal", t if Sxy >= 0 else -t, rank,
               r["body"]["close_time_ms"])
    if last is None or reading[:2] != last[:2]:
        expected.append(reading)
    last = reading
got = [(g["trend"], g["volatility"], g["trend_t_centi"], g["vol_rank_ppm"], g["ts_ms"])
       for g in (r["body"] for r in rows if r["type"] == "regime")]
assert len(got) > 20 and got == expected, (len(got), len(expected), [p for p in zip(got, expected) if p[0] != p[1]][:2])
seen = {(g[0], g[1]) for g in got}
assert {g[0] for g in got} == {"up", "down", "range"} and {g[1] for g in got} == {"low", "normal", "high"}, seen

# Entries only in an up trend; the regime then is the last one journaled before the intent.
now, entries, regime_exits, halved = None, 0, 0, 0
decisions = {r["body"]["intent_id"]: r["body"] for r in rows if r["type"] == "risk_decision"}
lot = units("0.00001")
for r in rows:
    if r["type"] == "regime":
        now = r["body"]
    elif r["type"] == "order_intent":
        i = r["body"]
        if i["is_exit"]:
            if i["reason"].startswith("exit: outside its regimes (trend "):
                assert now["trend"] != "up", (r["seq"], now)
                regime_exits += 1
            continue
        assert now is not None and now["trend"] == "up", (r["seq"], now)
        entries += 1
        d = decisions[i["intent_id"]]
        if now["volatility"] == "high" and d["approved"]:
            assert units(d["approved_qty"]) <= units(i["qty"]) // 2 // lot * lot, (i, d)
            assert "size x 0.5 (risk.regime_size_factor: BTCUSDC: trend up, volatility high)" in d["reason"], d
            halved += 1
        else:
            assert "regime_size_factor" not in d["reason"], d
assert entries > 5 and regime_exits > 0 and halved > 0, (entries, regime_exits, halved)
print(f"  {len(got)} regime changes over the week (every trend and volatility), {entries} entries in up trends, "
      f"{regime_exits} exits on leaving one, {halved} entries halved in high volatility")
PY

hash=$(grep -o "decision hash [0-9a-f]*" "$SCRATCH/node.out" | cut -d' ' -f3)
snapshots=$(grep -o "[0-9]* snapshots" "$SCRATCH/node.out" | cut -d' ' -f1)
"$TRADER_TOOLS" replay "$SCRATCH/run" --verify > "$SCRATCH/verify.out" 2>&1
rc=$?
[ "$rc" -eq 0 ] && grep -q "identical: .* decision hash $hash" "$SCRATCH/verify.out" && [ "${snapshots:-0}" -gt 0 ] \
  && ok "it verifies, its $snapshots snapshots (regimes in them) included: $(head -1 "$SCRATCH/verify.out" | cut -c1-70)..." \
  || bad "verify (exit $rc): $(cat "$SCRATCH/verify.out")"

"$TRADER_TOOLS" replay "$SCRATCH/run" --what-if --config "$CONFIG" "${regime[@]}" --set 'strategy.regimes=["range"]' \
  --out "$SCRATCH/range" > "$SCRATCH/whatif.out" 2>&1 || bad "what-if: $(tail -2 "$SCRATCH/whatif.out")"
"$TRADER_TOOLS" diff "$SCRATCH/run" "$SCRATCH/range" --limit 1 > "$SCRATCH/diff.out" 2>&1 || bad "diff: $(tail -2 "$SCRATCH/diff.out")"
grep -q "^decisions: same [0-9]*, only A [1-9][0-9]*, only B [1-9][0-9]*, different [1-9]" "$SCRATCH/diff.out" \
  && ok "trading only in a range decides otherwise: $(grep -m1 '^decisions:' "$SCRATCH/diff.out")" \
  || bad "diff: $(head -5 "$SCRATCH/diff.out")"
finish
