#!/usr/bin/env bash
# KuCoin market data: the bundled capture (Binance's real prints in KuCoin spot frames,
# tests/data/README.md) imports into a journal whose counts equal an independent reading
# of the file (python3's JSON parser), instruments named "BTC-USDT@kucoin"; a lost level2
# frame is a journaled depth gap, a damaged frame an error record, and the rest goes on;
# the node builds candles equal to an independent aggregation of the file's trades; a
# session trades on it, verifies, replays, what-ifs and diffs.
source "$(dirname "$0")/lib.sh"
NODE=${TRADER_NODE:?set TRADER_NODE}
CONFIG=${TRADER_CONFIG:?set TRADER_CONFIG to config/paper.toml}
cd "$(dirname "$CONFIG")/.."
CAP="$DATA/kucoin_btcusdt_20240808.gz"

# What the file holds, read independently of the decoder.
python3 - "$CAP" > "$SCRATCH/expected.json" <<'PY'
import gzip, json, sys
subjects = {"trade.l3match": "trade", "trade.ticker": "book_ticker", "trade.l2update": "depth_update"}
n = {"trade": 0, "book_ticker": 0, "depth_update": 0, "depth_snapshot": 0}
lines = 0
for line in gzip.open(sys.argv[1], "rt"):
    lines += 1
    f = json.loads(line.split(" ", 1)[1])
    if f.get("type") == "message": n[subjects[f["subject"]]] += 1
    elif f.get("code") == "200000": n["depth_snapshot"] += 1
n["records"] = sum(n.values())
n["lines"] = lines
print(json.dumps(n))
PY
want() { python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['$1'])" "$SCRATCH/expected.json"; }

j="$SCRATCH/imported"
"$TOOLS" import kucoin-capture "$CAP" --journal "$j" > "$SCRATCH/import.txt" 2>&1 || bad "import failed: $(cat "$SCRATCH/import.txt")"
grep -q "^imported $(want records) records from $(want lines) lines" "$SCRATCH/import.txt" \
  && ok "import: $(want records) records from $(want lines) lines (welcome, acks and pongs say nothing)" \
  || bad "import said: $(head -1 "$SCRATCH/import.txt")"
"$TOOLS" stats "$j" --json > "$SCRATCH/stats.json"
for type in trade book_ticker depth_update depth_snapshot; do
  expect_eq "$type records = the file's" "$(want $type)" \
    "$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['by_type'].get('$type',0))" "$SCRATCH/stats.json")"
done
"$TOOLS" verify "$j" > /dev/null && ok "imported journal verifies" || bad "verify of the import"

# Every trade of the file exactly once, in ascending id, on BTC-USDT@kucoin, its price and
# size to the unit, its time from the nanoseconds.
"$TOOLS" dump "$j" --json --type trade | python3 -c '
import gzip, json, sys
from decimal import Decimal
want = {}
for line in gzip.open(sys.argv[1], "rt"):
    f = json.loads(line.split(" ", 1)[1])
    if f.get("subject") == "trade.l3match":
        d = f["data"]
        want[int(d["tradeId"])] = (Decimal(d["price"]), Decimal(d["size"]), d["side"] == "sell", int(d["time"]) // 1000000)
got = [json.loads(l)["body"] for l in sys.stdin]
ids = [b["trade_id"] for b in got]
assert ids == sorted(want), "ids differ or out of order"
for b in got:
    assert b["symbol"] == "BTC-USDT@kucoin", b
    assert (Decimal(b["price"]), Decimal(b["qty"]), b["buyer_maker"], b["trade_ts_ms"]) == want[b["trade_id"]], b
print(len(got))
' "$CAP" > "$SCRATCH/trades.n" && ok "every trade once, ascending, exact ($(cat "$SCRATCH/trades.n"))" || bad "trades differ from the file"

# A lost level2 frame and a damaged match frame.
zcat "$CAP" > "$SCRATCH/damaged.txt"
python3 - "$SCRATCH/damaged.txt" <<'PY'
import json, sys
lines = open(sys.argv[1]).read().splitlines()
l2 = [i for i, l in enumerate(lines) if '"subject":"trade.l2update"' in l]
matches = [i for i, l in enumerate(lines) if '"subject":"trade.l3match"' in l]
drop, cut = l2[len(l2) // 2], matches[len(matches) // 3]
d = json.loads(lines[drop].split(" ", 1)[1])["data"]
lines[cut] = lines[cut][:120]
del lines[drop]
open(sys.argv[1], "w").write("\n".join(lines) + "\n")
open(sys.argv[1] + ".dropped", "w").write("%d %d" % (d["sequenceStart"], d["sequenceEnd"] + 1))
PY
read -r lost_from next_from < "$SCRATCH/damaged.txt.dropped"
cfg=(--config "$CONFIG" --set feed.capture_venue=kucoin --set portfolio.quote_asset=USDT --set 'candles.intervals=["1m"]'
     --set strategy.interval=1m)
"$NODE" "${cfg[@]}" --set journal.path="$SCRATCH/damaged" --set "feed.files=[\"$SCRATCH/damaged.txt\"]" \
  > "$SCRATCH/damaged.out" 2> "$SCRATCH/damaged.log" && ok "node runs through a lost and a damaged frame" \
  || bad "node on the damaged capture: $(tail -3 "$SCRATCH/damaged.log")"
"$TOOLS" dump "$SCRATCH/damaged" --json > "$SCRATCH/damaged.jsonl"
python3 - "$SCRATCH/damaged.jsonl" "$lost_from" <<'PY' && ok "the lost level2 frame is a journaled depth gap, the damaged frame an error record" || bad "gap records"
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
lost = int(sys.argv[2])
gaps = [r["body"] for r in recs if r["type"] == "feed_status" and r["body"]["kind"] == "gap"]
assert [(g["stream"], g["symbol"], g["expected_id"]) for g in gaps] == [("depth", "BTC-USDT@kucoin", lost)], gaps
errors = [r["body"] for r in recs if r["type"] == "error" and r["body"]["code"] == "malformed_frame"]
assert len(errors) == 1 and errors[0]["message"].startswith("not JSON"), errors
PY
"$TOOLS" replay "$SCRATCH/damaged" --verify > "$SCRATCH/verify.txt" 2>&1 && ok "replay --verify re-derives the gap" \
  || bad "replay --verify: $(tail -3 "$SCRATCH/verify.txt")"

# A paper session on the whole capture: 1-minute candles equal an independent aggregation
# of the file's trades (by trade time), and the session verifies and replays.
"$NODE" "${cfg[@]}" --set journal.path="$SCRATCH/paper" --set "feed.files=[\"$CAP\"]" > "$SCRATCH/paper.out" 2>&1 \
  || bad "paper session failed: $(tail -3 "$SCRATCH/paper.out")"
"$TOOLS" dump "$SCRATCH/paper" --json --type candle | python3 -c '
import gzip, json, sys
from decimal import Decimal
agg = {}
for line in gzip.open(sys.argv[1], "rt"):
    f = json.loads(line.split(" ", 1)[1])
    if f.get("subject") != "trade.l3match": continue
    d = f["data"]
    m = int(d["time"]) // 1000000 // 60000 * 60000
    p, q = Decimal(d["price"]), Decimal(d["size"])
    a = agg.setdefault(m, {"open": p, "high": p, "low": p, "close": p, "volume": Decimal(0), "trades": 0})
    a["high"] = max(a["high"], p); a["low"] = min(a["low"], p); a["close"] = p
    a["volume"] += q; a["trades"] += 1
candles = [json.loads(l)["body"] for l in sys.stdin]
candles = [c for c in candles if c["interval_s"] == 60]
assert len(candles) >= 2 and len(candles) == len(agg) - 1, (len(candles), len(agg))
for c in candles:
    a = agg[c["open_time_ms"]]
    assert c["symbol"] == "BTC-USDT@kucoin"
    for k in ("open", "high", "low", "close", "volume"):
        assert Decimal(c[k]) == a[k], (c["open_time_ms"], k, c[k], a[k])
    assert c["trades"] == a["trades"]
print(len(candles))
' "$CAP" > "$SCRATCH/candles.n" && ok "1m candles of BTC-USDT@kucoin equal an independent aggregation ($(cat "$SCRATCH/candles.n") minutes)" \
  || bad "candles differ from the file's trades"
"$TOOLS" verify "$SCRATCH/paper" > /dev/null && ok "the session's journal verifies" || bad "verify of the session"
"$TOOLS" replay "$SCRATCH/paper" --verify > /dev/null 2>&1 && ok "the session replays identical" || bad "replay --verify of the session"

# A session that trades on the capture: what-if and diff (lib.sh).
what_if_checks KuCoin "${cfg[@]}" --set "feed.files=[\"$CAP\"]"

expect_fail "feed.symbols of another venue" 2 'is a binance instrument; this feed reads kucoin' \
  "$NODE" "${cfg[@]}" --set journal.path="$SCRATCH/x" --set "feed.files=[\"$CAP\"]" --set 'feed.symbols=["BTCUSDT"]'
[ ! -e "$SCRATCH/x" ] && ok "no journal made by a refused config" || bad "a refused config made a journal"

finish
