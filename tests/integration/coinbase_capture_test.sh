#!/usr/bin/env bash
# Coinbase market data: the bundled capture (Binance's real prints in Coinbase Advanced
# Trade frames, tests/data/README.md) imports into a journal whose counts equal an
# independent reading of the file (python3's JSON parser), instruments named
# "BTC-USD@coinbase"; a dropped frame is a journaled gap that replay takes as an input; a
# damaged frame is an error record and the rest goes on; the node builds candles equal to
# an independent aggregation of the file's trades, and its session verifies and replays.
source "$(dirname "$0")/lib.sh"
NODE=${TRADER_NODE:?set TRADER_NODE}
CONFIG=${TRADER_CONFIG:?set TRADER_CONFIG to config/paper.toml}
cd "$(dirname "$CONFIG")/.."
CAP="$DATA/coinbase_btcusd_20240808.gz"

# What the file holds, read independently of the decoder.
python3 - "$CAP" > "$SCRATCH/expected.json" <<'PY'
import gzip, json, sys
n = {"trade": 0, "book_ticker": 0, "depth_update": 0, "depth_snapshot": 0, "kline": 0}
lines = 0
for line in gzip.open(sys.argv[1], "rt"):
    lines += 1
    f = json.loads(line.split(" ", 1)[1])
    for e in f["events"]:
        if f["channel"] == "market_trades": n["trade"] += len(e["trades"])
        elif f["channel"] == "ticker": n["book_ticker"] += len(e["tickers"])
        elif f["channel"] == "l2_data": n["depth_snapshot" if e["type"] == "snapshot" else "depth_update"] += 1
        elif f["channel"] == "candles": n["kline"] += len(e["candles"])
n["records"] = sum(n.values())
n["lines"] = lines
print(json.dumps(n))
PY
want() { python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['$1'])" "$SCRATCH/expected.json"; }

j="$SCRATCH/imported"
"$TOOLS" import coinbase-capture "$CAP" --journal "$j" > "$SCRATCH/import.txt" 2>&1 || bad "import failed: $(cat "$SCRATCH/import.txt")"
grep -q "^imported $(want records) records from $(want lines) lines" "$SCRATCH/import.txt" \
  && ok "import: $(want records) records from $(want lines) lines" || bad "import said: $(head -1 "$SCRATCH/import.txt")"
"$TOOLS" stats "$j" --json > "$SCRATCH/stats.json"
for type in trade book_ticker depth_update depth_snapshot kline; do
  expect_eq "$type records = the file's" "$(want $type)" \
    "$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['by_type'].get('$type',0))" "$SCRATCH/stats.json")"
done
"$TOOLS" verify "$j" > /dev/null && ok "imported journal verifies" || bad "verify of the import"

# Every trade of the file exactly once, in ascending id, on the instrument BTC-USD@coinbase,
# its price and size to the unit.
"$TOOLS" dump "$j" --json --type trade | python3 -c '
import gzip, json, sys
from decimal import Decimal
want = {}
for line in gzip.open(sys.argv[1], "rt"):
    f = json.loads(line.split(" ", 1)[1])
    if f["channel"] == "market_trades":
        for e in f["events"]:
            for t in e["trades"]: want[int(t["trade_id"])] = (Decimal(t["price"]), Decimal(t["size"]), t["side"] == "SELL")
got = [json.loads(l)["body"] for l in sys.stdin]
ids = [b["trade_id"] for b in got]
assert ids == sorted(want), "ids differ or out of order"
for b in got:
    assert b["symbol"] == "BTC-USD@coinbase", b
    assert (Decimal(b["price"]), Decimal(b["qty"]), b["buyer_maker"]) == want[b["trade_id"]], b
print(len(got))
' "$CAP" > "$SCRATCH/trades.n" && ok "every trade once, ascending, exact ($(cat "$SCRATCH/trades.n"))" || bad "trades differ from the file"

# A dropped frame (a lost market_trades frame mid-file) and a damaged one.
zcat "$CAP" > "$SCRATCH/damaged.txt"
python3 - "$SCRATCH/damaged.txt" <<'PY'
import json, sys
lines = open(sys.argv[1]).read().splitlines()
trades = [i for i, l in enumerate(lines) if '"channel":"market_trades"' in l]
drop, cut = trades[len(trades) // 2], trades[len(trades) // 3]
dropped = json.loads(lines[drop].split(" ", 1)[1])
cut_frame = json.loads(lines[cut].split(" ", 1)[1])
lines[cut] = lines[cut][:150]
del lines[drop]
open(sys.argv[1], "w").write("\n".join(lines) + "\n")
open(sys.argv[1] + ".dropped", "w").write("%d %d %d %d" % (dropped["sequence_num"], len(dropped["events"][0]["trades"]), cut_frame["sequence_num"], len(cut_frame["events"][0]["trades"])))
PY
read -r dropped_seq dropped_trades cut_seq cut_trades < "$SCRATCH/damaged.txt.dropped"
cfg=(--config "$CONFIG" --set feed.capture_venue=coinbase --set portfolio.quote_asset=USD --set 'candles.intervals=["1m"]'
     --set strategy.interval=1m)
"$NODE" "${cfg[@]}" --set journal.path="$SCRATCH/damaged" --set "feed.files=[\"$SCRATCH/damaged.txt\"]" \
  > "$SCRATCH/damaged.out" 2> "$SCRATCH/damaged.log" && ok "node runs through a dropped and a damaged frame" \
  || bad "node on the damaged capture: $(tail -3 "$SCRATCH/damaged.log")"
"$TOOLS" dump "$SCRATCH/damaged" --json > "$SCRATCH/damaged.jsonl"
# The damaged frame's number is unreadable, so it is a missing frame too.
python3 - "$SCRATCH/damaged.jsonl" "$dropped_seq" "$dropped_trades" "$cut_seq" "$cut_trades" <<'PY' && ok "the lost and the damaged frame are journaled sequence_num gaps, their trades trade-id gaps" || bad "gap records"
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
seq, n, cut, cut_n = (int(a) for a in sys.argv[2:6])
gaps = [r["body"] for r in recs if r["type"] == "feed_status" and r["body"]["kind"] == "gap"]
conn = [g for g in gaps if g["stream"] == "sequence_num"]
assert [(g["expected_id"], g["received_id"]) for g in conn] == [(cut, cut + 1), (seq, seq + 1)], conn
trade = [g for g in gaps if g["stream"] == "trade"]
assert [g["received_id"] - g["expected_id"] for g in trade] == [cut_n, n], (trade, cut_n, n)
errors = [r["body"] for r in recs if r["type"] == "error" and r["body"]["code"] == "malformed_frame"]
assert len(errors) == 1 and errors[0]["message"].startswith("not JSON"), errors
PY
"$TOOLS" replay "$SCRATCH/damaged" --verify > "$SCRATCH/verify.txt" 2>&1 && ok "replay --verify takes the connection's gap as an input" \
  || bad "replay --verify: $(tail -3 "$SCRATCH/verify.txt")"

# A paper session on the whole capture: 1-minute candles equal an independent aggregation
# of the file's trades (by trade time), and the session verifies and replays.
"$NODE" "${cfg[@]}" --set journal.path="$SCRATCH/paper" --set "feed.files=[\"$CAP\"]" > "$SCRATCH/paper.out" 2>&1 \
  || bad "paper session failed: $(tail -3 "$SCRATCH/paper.out")"
"$TOOLS" dump "$SCRATCH/paper" --json --type candle | python3 -c '
import gzip, json, sys
from datetime import datetime
from decimal import Decimal
agg = {}
for line in gzip.open(sys.argv[1], "rt"):
    f = json.loads(line.split(" ", 1)[1])
    if f["channel"] != "market_trades": continue
    for e in f["events"]:
        for t in e["trades"]:
            ms = round(datetime.fromisoformat(t["time"].replace("Z", "+00:00")).timestamp() * 1000)
            m = ms // 60000 * 60000
            p, q = Decimal(t["price"]), Decimal(t["size"])
            a = agg.setdefault(m, {"open": p, "high": p, "low": p, "close": p, "volume": Decimal(0), "trades": 0, "first": int(t["trade_id"])})
            if int(t["trade_id"]) < a["first"]: a["open"], a["first"] = p, int(t["trade_id"])
            a["high"] = max(a["high"], p); a["low"] = min(a["low"], p); a["close"] = p
            a["volume"] += q; a["trades"] += 1
candles = [json.loads(l)["body"] for l in sys.stdin]
candles = [c for c in candles if c["interval_s"] == 60]
assert len(candles) >= 2 and len(candles) == len(agg) - 1, (len(candles), len(agg))
for c in candles:
    a = agg[c["open_time_ms"]]
    assert c["symbol"] == "BTC-USD@coinbase"
    for k in ("open", "high", "low", "close", "volume"):
        assert Decimal(c[k]) == a[k], (c["open_time_ms"], k, c[k], a[k])
    assert c["trades"] == a["trades"]
print(len(candles))
' "$CAP" > "$SCRATCH/candles.n" && ok "1m candles of BTC-USD@coinbase equal an independent aggregation ($(cat "$SCRATCH/candles.n") minutes)" \
  || bad "candles differ from the file's trades"
"$TOOLS" verify "$SCRATCH/paper" > /dev/null && ok "the session's journal verifies" || bad "verify of the session"
"$TOOLS" replay "$SCRATCH/paper" --verify > /dev/null 2>&1 && ok "the session replays identical" || bad "replay --verify of the session"

# A session that trades on the capture: what-if and diff (lib.sh).
what_if_checks Coinbase "${cfg[@]}" --set "feed.files=[\"$CAP\"]"
# With no fee set, paper fills pay Coinbase's first tier (they paid Binance spot's 10 bps),
# and the session replays so: its journaled config names the rates.
"$TOOLS" dump "$SCRATCH/fast" --json --type order_event > "$SCRATCH/fast.jsonl"
fees=$(python3 "$HERE/paper_fees.py" "$SCRATCH/fast.jsonl" coinbase=60/40 2>&1) \
  && ok "paper fills on Coinbase pay its first tier, 60 and 40 bps ($fees)" || bad "Coinbase paper fees: $fees"

# Symbols name instruments of the feed's venue: a bare Coinbase symbol would filter out
# every message without a word, so it is refused, naming the key.
expect_fail "feed.symbols without its venue" 2 'feed.symbols' \
  "$NODE" "${cfg[@]}" --set journal.path="$SCRATCH/x" --set "feed.files=[\"$CAP\"]" --set 'feed.symbols=["BTC-USD"]'
expect_fail "feed.symbols of another venue" 2 'is a binance instrument; this feed reads coinbase' \
  "$NODE" "${cfg[@]}" --set journal.path="$SCRATCH/x" --set "feed.files=[\"$CAP\"]" --set 'feed.symbols=["BTCUSDT"]'
[ ! -e "$SCRATCH/x" ] && ok "no journal made by a refused config" || bad "a refused config made a journal"

finish
