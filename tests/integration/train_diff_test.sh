#!/usr/bin/env bash
# train -> what-if -> verify -> diff on the bundled week of real klines: training is
# reproducible to the byte, an xgboost session verifies, a journal diffed against its own
# what-if has no differences, two models' diff has differences whose counts add up, and
# the HTML report is well-formed and self-contained. A multi-timeframe model's session
# verifies. Bad models stop the node at start.
source "$(dirname "$0")/lib.sh"
NODE=${TRADER_NODE:?set TRADER_NODE}
CONFIG=${TRADER_CONFIG:?set TRADER_CONFIG}
cd "$(dirname "$CONFIG")/.."

run="$SCRATCH/paper"
"$NODE" --config "$CONFIG" --set journal.path="$run" > /dev/null 2>&1 || bad "node run failed"

"$TOOLS" train "$run" --config "$CONFIG" --out "$SCRATCH/m15.json" --horizon 15m --rounds 60 > "$SCRATCH/train.txt" \
  && ok "train --horizon 15m" || bad "train failed: $(cat "$SCRATCH/train.txt")"
grep -q "validation: accuracy [0-9.]*, AUC [0-9.]*, log loss [0-9.]*" "$SCRATCH/train.txt" \
  && ok "train prints validation accuracy, AUC and log loss" || bad "train output: $(cat "$SCRATCH/train.txt")"
"$TOOLS" train "$run" --config "$CONFIG" --out "$SCRATCH/m15-again.json" --horizon 15m --rounds 60 > /dev/null
cmp -s "$SCRATCH/m15.json" "$SCRATCH/m15-again.json" && ok "training twice gives byte-identical models" || bad "models differ"
python3 - "$SCRATCH/m15.json.meta.json" <<'PY' && ok "model metadata: features, horizon, journal range and hash, params" || bad "metadata"
import json, sys
m = json.load(open(sys.argv[1]))
assert len(m["features"]) == 15 and m["features"][0] == "ret_1"
assert m["horizon"] == "15m" and m["horizon_candles"] == 15
assert len(m["journal"]["chain_head"]) == 64 and m["journal"]["last_seq"] > m["journal"]["first_seq"]
assert m["params"]["seed"] == 7 and m["params"]["nthread"] == 1
assert 0 <= m["validation"]["auc"] <= 1
PY
"$TOOLS" train "$run" --config "$CONFIG" --out "$SCRATCH/m1h.json" --horizon 1h --rounds 60 > /dev/null || bad "train 1h"
# The labels net out what a round trip costs on the config's venue: Binance spot's 10 bps a
# side plus 2 of slippage by default, Coinbase's first tier (60) for a Coinbase config, which
# was labelled at Binance's.
for venue_cost in "binance 0.0024" "coinbase 0.0124"; do
  read -r venue cost <<<"$venue_cost"
  "$TOOLS" train "$run" --config "$CONFIG" --set feed.capture_venue="$venue" --out "$SCRATCH/cost-$venue.json" \
    --horizon 15m --rounds 5 > "$SCRATCH/cost-$venue.txt" 2>&1
  expect_eq "a model for $venue nets out its round trip" "$cost" \
    "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["round_trip_cost"])' "$SCRATCH/cost-$venue.json.meta.json" 2>&1)"
done

# A node session with the model verifies, and journals the model id on every signal.
"$NODE" --config "$CONFIG" --set journal.path="$SCRATCH/xgb" --set strategy.kind=xgboost \
  --set strategy.model="$SCRATCH/m15.json" --set strategy.entry_probability=0.3 --set strategy.exit_probability=0.2 \
  > "$SCRATCH/xgb.txt" 2>&1 || bad "xgboost node run failed: $(cat "$SCRATCH/xgb.txt")"
grep -q "^identical" <<<"$("$TOOLS" replay "$SCRATCH/xgb" --verify)" && ok "an xgboost session verifies identical" || bad "xgb verify"
grep -q "native tree walk (60 trees; identical to the C API on [0-9]* probe rows)" "$SCRATCH/xgb.txt" \
  && ok "the node walks the model's trees natively after they matched the C API" || bad "predictor: $(grep 'strategy model' "$SCRATCH/xgb.txt")"
model_id=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["model_id"])' "$SCRATCH/m15.json.meta.json")
ids=$("$TOOLS" dump "$SCRATCH/xgb" --type signal --json | python3 -c 'import json,sys; print(" ".join(sorted({json.loads(l)["body"]["model_id"] for l in sys.stdin})))')
expect_eq "every signal carries the model id (SHA-256 of the file)" "$model_id" "$ids"

# A journal diffed against its own what-if: no differences.
"$TOOLS" replay "$run" --what-if --config "$CONFIG" --out "$SCRATCH/self" > /dev/null
out=$("$TOOLS" diff "$run" "$SCRATCH/self")
grep -q "only A 0, only B 0, different 0" <<<"$out" && ok "diff against its own what-if: zero differences" || bad "self diff: $out"

# Two models over one journal.
out=$("$TOOLS" diff "$run" --model-a "$SCRATCH/m15.json" --model-b "$SCRATCH/m1h.json" \
  --set strategy.entry_probability=0.3 --set strategy.exit_probability=0.2 --html "$SCRATCH/diff.html" --limit 0)
python3 - <<PY && ok "two models: differences found and the counts add up" || bad "model diff: $out"
import re
out = """$out"""
m = re.search(r"same (\d+), only A (\d+), only B (\d+), different (\d+) \(of (\d+) decision points\)", out)
same, a, b, d, total = map(int, m.groups())
assert a + b + d > 0
assert same + a + b + d == total
listed = len(re.findall(r"^  \d{4}-\d\d-\d\dT\d\d:\d\d ", out, re.M))
assert listed == a + b + d, (listed, a + b + d)
for k in ("fills", "win rate", "gross PnL", "fees", "net PnL", "max drawdown", "Sharpe", "exposure"):
    assert k in out, k
PY
python3 - "$SCRATCH/diff.html" <<'PY' && ok "HTML report: well-formed, self-contained, two curves" || bad "HTML report"
import sys, xml.etree.ElementTree as ET
text = open(sys.argv[1]).read()
root = ET.fromstring(text.split("\n", 1)[1])  # after the doctype
ns = {"svg": "http://www.w3.org/2000/svg"}
assert len(root.findall(".//svg:polyline", ns)) == 2
for ref in ("src=", "href=", "<script", "<link", "url(", "http://", "https://"):
    assert ref not in text.replace('xmlns="http://www.w3.org/2000/svg"', ""), ref
PY
renders_in_chromium "$SCRATCH/diff.html" 20000 1100,900

# Multi-timeframe features: a model on columns of the 1m, 5m and 1h candles. The node
# journals each signal's columns by name, its first row waits for 61 hourly candles, and
# the session verifies. The same model with the default columns is refused at start.
features='strategy.features=["ret_1","ret_15","vol_60","rsi_14@5m","macd@1h","vol_15@1h"]'
"$TOOLS" train "$run" --config "$CONFIG" --set "$features" --out "$SCRATCH/mtf.json" --horizon 15m --rounds 60 \
  > /dev/null || bad "train with multi-timeframe features"
"$NODE" --config "$CONFIG" --set journal.path="$SCRATCH/mtf" --set strategy.kind=xgboost --set strategy.model="$SCRATCH/mtf.json" \
  --set "$features" --set strategy.entry_probability=0.3 --set strategy.exit_probability=0.2 > "$SCRATCH/mtf.txt" 2>&1 \
  || bad "multi-timeframe node run failed: $(cat "$SCRATCH/mtf.txt")"
grep -q "^identical" <<<"$("$TOOLS" replay "$SCRATCH/mtf" --verify)" && ok "a multi-timeframe session verifies identical" || bad "mtf verify"
"$TOOLS" dump "$SCRATCH/mtf" --type signal --json > "$SCRATCH/mtf-signals.json"
python3 - "$SCRATCH/mtf.json.meta.json" "$SCRATCH/mtf-signals.json" <<'PY' \
  && ok "multi-timeframe: trained and journaled on the same named columns; the first row after 61 hourly candles" || bad "mtf signals"
import json, sys
columns = ["ret_1", "ret_15", "vol_60", "rsi_14@5m", "macd@1h", "vol_15@1h"]
assert json.load(open(sys.argv[1]))["features"] == columns
signals = [json.loads(l)["body"] for l in open(sys.argv[2])]
assert len(signals) > 5, len(signals)
for s in signals:
    assert [v["name"] for v in s["values"]] == columns + ["p"], s["values"]
# The week starts 2023-03-01T00:00Z; the 61st hourly candle closes at 13:00 on the 3rd and
# comes after the minute closing with it: the first row is the minute closing at 13:01.
assert min(s["ts_ms"] for s in signals) >= 1677628800000 + 61 * 3600000 + 60000 - 1, min(s["ts_ms"] for s in signals)
PY
# Two versions that read different columns: diff gives each the columns its metadata names.
out=$("$TOOLS" diff "$run" --model-a "$SCRATCH/m15.json" --model-b "$SCRATCH/mtf.json" --limit 0 \
  --set strategy.entry_probability=0.3 --set strategy.exit_probability=0.2 2>&1) \
  && grep -q "decisions: same [0-9]*, only A [0-9]*, only B [0-9]*, different [0-9]*" <<<"$out" \
  && ok "diff of a 15-feature model and a multi-timeframe one: each runs on its own columns" || bad "mtf diff: $out"
expect_fail "a model trained on other features than the strategy reads" 1 \
  "the model was trained on features .ret_1, ret_15, vol_60, rsi_14@5m, macd@1h, vol_15@1h. (.*), the strategy reads .ret_1, ret_5," \
  "$NODE" --config "$CONFIG" --set journal.path="$SCRATCH/bad0" --set strategy.kind=xgboost --set strategy.model="$SCRATCH/mtf.json"

# Bad models stop the node before it runs anything.
printf 'not a model' > "$SCRATCH/junk.json"
expect_fail "invalid model file" 1 "not a valid XGBoost model" \
  "$NODE" --config "$CONFIG" --set journal.path="$SCRATCH/bad1" --set strategy.kind=xgboost --set strategy.model="$SCRATCH/junk.json"
expect_fail "missing model file" 2 "strategy.model: model file $SCRATCH/none.json does not exist" \
  "$NODE" --config "$CONFIG" --set journal.path="$SCRATCH/bad2" --set strategy.kind=xgboost --set strategy.model="$SCRATCH/none.json"
expect_fail "xgboost without a model" 2 "needs strategy.model" \
  "$NODE" --config "$CONFIG" --set journal.path="$SCRATCH/bad3" --set strategy.kind=xgboost
expect_fail "train with a horizon that is not a multiple of the interval" 2 "multiple of strategy.interval" \
  "$TOOLS" train "$run" --config "$CONFIG" --out "$SCRATCH/x.json" --horizon 90s
expect_fail "diff with one journal and no models" 2 "expected a second journal" "$TOOLS" diff "$run"
# An output that cannot be written is refused before training, never half of the pair.
cp "$SCRATCH/m1h.json" "$SCRATCH/pair.json"
mkdir -p "$SCRATCH/pair.json.meta.json"
expect_fail "train whose metadata path is a directory" 2 "--out: cannot write $SCRATCH/pair.json.meta.json: it is a directory" \
  "$TOOLS" train "$run" --config "$CONFIG" --out "$SCRATCH/pair.json" --rounds 5
cmp -s "$SCRATCH/m1h.json" "$SCRATCH/pair.json" && ok "...and the model file there is untouched" \
  || bad "the refused train replaced the model file"
# A model is never overwritten by accident: the journals recorded with it hold its id, and
# replay them only with its bytes.
cp "$SCRATCH/m1h.json" "$SCRATCH/kept.json"
expect_fail "train onto an existing model" 2 \
  "--out $SCRATCH/kept.json holds a model already (id $(sha256sum "$SCRATCH/m1h.json" | cut -d' ' -f1)): a session recorded with it replays only with those bytes" \
  "$TOOLS" train "$run" --config "$CONFIG" --out "$SCRATCH/kept.json" --rounds 5
cmp -s "$SCRATCH/m1h.json" "$SCRATCH/kept.json" && ok "...and it is untouched" || bad "the refused train replaced the model"
"$TOOLS" train "$run" --config "$CONFIG" --out "$SCRATCH/kept.json" --rounds 5 --replace > /dev/null \
  && ! cmp -s "$SCRATCH/m1h.json" "$SCRATCH/kept.json" && ok "--replace overwrites it" || bad "--replace did not write the model"
# A model file replaced without its metadata: the metadata describes the model it was
# written with, so the pair is refused before either is used (node and replay).
m15_id=$(sha256sum "$SCRATCH/m15.json" | cut -c1-64)
cp "$SCRATCH/m1h.json" "$SCRATCH/m15.json"
m1h_id=$(sha256sum "$SCRATCH/m1h.json" | cut -c1-64)
expect_fail "replay with a model whose metadata describes another" 1 \
  "m15.json.meta.json describes model $m15_id, but $SCRATCH/m15.json is model $m1h_id" \
  "$TOOLS" replay "$SCRATCH/xgb" --verify
expect_fail "a node with a model whose metadata describes another" 1 "m15.json.meta.json describes model $m15_id" \
  "$NODE" --config "$CONFIG" --set journal.path="$SCRATCH/mismatched" --set strategy.kind=xgboost \
  --set strategy.model="$SCRATCH/m15.json"
# The model must be the one the session ran: a pair replaced whole is caught by replay.
cp "$SCRATCH/m1h.json.meta.json" "$SCRATCH/m15.json.meta.json"
expect_fail "replay refuses a changed model file" 1 "replay needs the original model file" "$TOOLS" replay "$SCRATCH/xgb" --verify
finish
