#!/usr/bin/env bash
# Perpetuals in the feed (issue 20, first steps): the bundled Binance USDⓈ-M capture imports
# with its instruments named "BTCUSDT@binance_usdm"; a node session on it journals, as the
# feed's inputs, a mark price for every best bid/ask that moves the mid and a funding
# record at each funding time the data crosses (a 1-minute schedule here: the capture is six
# minutes), each equal to an independent reading of the file (python3, exact integers);
# replay --verify re-derives every one of them; and with config/paper.toml, which names no
# perpetual contract, every intent on the perpetual is refused with its reason (no_contract),
# so no order leaves (futures_paper_test trades them with config/futures-paper.toml).
source "$(dirname "$0")/lib.sh"
NODE=${TRADER_NODE:?set TRADER_NODE}
CONFIG=${TRADER_CONFIG:?set TRADER_CONFIG to config/paper.toml}
cd "$(dirname "$CONFIG")/.."
CAP="$DATA/btcusdt_usdm_20240808_trades_book.gz"
PERP="BTCUSDT@binance_usdm"

# ---- import: the file's counts, the futures venue's names
"$TOOLS" import binance-usdm-capture "$CAP" --journal "$SCRATCH/imported" > "$SCRATCH/import.txt" 2>&1 \
  || bad "import failed: $(cat "$SCRATCH/import.txt")"
read -r trades books < <(python3 -c '
import gzip, sys
t = b = 0
for line in gzip.open(sys.argv[1], "rt"):
    t += "@trade\"" in line
    b += "@bookTicker\"" in line
print(t, b)' "$CAP")
grep -q "^imported $((trades + books)) records" "$SCRATCH/import.txt" && ok "import: $((trades + books)) records" \
  || bad "import said: $(head -1 "$SCRATCH/import.txt")"
expect_eq "every trade is the perpetual's" "$trades" "$("$TOOLS" dump "$SCRATCH/imported" --type trade | grep -c "\"symbol\":\"$PERP\"")"

# ---- a session: marks and funding journaled as the feed's inputs
session=(--config "$CONFIG" --set journal.path="$SCRATCH/j" --set feed.capture_venue=binance_usdm
         --set "feed.files=[\"$CAP\"]" --set portfolio.quote_asset=USDT --set futures.funding_interval=1m
         --set 'futures.funding_rate="0.0001"' --set 'candles.intervals=["5s"]' --set strategy.interval=5s
         --set strategy.fast_ema=3 --set strategy.slow_ema=8 --set strategy.momentum_candles=3
         --set strategy.entry_momentum_bps=0.5)
"$NODE" "${session[@]}" > "$SCRATCH/node.out" 2>&1 || bad "the session failed: $(tail -3 "$SCRATCH/node.out")"

# What the file says, independently: the mid of each best bid/ask (toward zero, in 1e-8
# units) when it moves, and at each minute after the first mark the last mid before it.
python3 - "$CAP" > "$SCRATCH/expected.txt" <<'PY'
import gzip, json, sys
from decimal import Decimal
units = lambda s: int(Decimal(s) * 100_000_000)
marks, funding = [], []
last = None
next_funding = None
for line in gzip.open(sys.argv[1], "rt"):
    ts, frame = line.split(" ", 1)
    ms = int(ts) // 1_000_000
    f = json.loads(frame)
    while next_funding is not None and ms >= next_funding:  # a funding time crossed, at the mark then
        funding.append(f"{next_funding} {last}")
        next_funding += 60_000
    if f["stream"].endswith("@bookTicker"):
        mid = (units(f["data"]["b"]) + units(f["data"]["a"])) // 2
        if mid != last:
            marks.append(str(mid))
            last = mid
            if next_funding is None: next_funding = ms - ms % 60_000 + 60_000
print("marks", " ".join(marks))
print("funding", ";".join(funding))
PY
"$TOOLS" dump "$SCRATCH/j" --json > "$SCRATCH/dump.jsonl" || bad "dump failed"
python3 - "$SCRATCH/dump.jsonl" > "$SCRATCH/journal.txt" <<'PY' 2>&1
import json, sys
from decimal import Decimal
units = lambda s: int(Decimal(s) * 100_000_000)
marks, funding = [], []
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r["type"] == "mark_price":
        assert r["source"] == "market_feed" and r["body"]["source"] == "book_mid", r
        assert r["body"]["symbol"] == "BTCUSDT@binance_usdm", r
        marks.append(str(units(r["body"]["price"])))
    elif r["type"] == "funding":
        b = r["body"]
        assert b["rate"] == "0.0001" and b["source"] == "schedule", r
        funding.append(f'{b["funding_time_ms"]} {units(b["mark_price"])}')
print("marks", " ".join(marks))
print("funding", ";".join(funding))
PY
want_marks=$(grep '^marks' "$SCRATCH/expected.txt" | wc -w); want_funding=$(grep '^funding' "$SCRATCH/expected.txt" | tr ';' '\n' | wc -l)
if cmp -s "$SCRATCH/expected.txt" "$SCRATCH/journal.txt"; then
  ok "marks and funding = an independent reading of the file: $((want_marks - 1)) marks, $want_funding funding times"
else
  bad "marks or funding differ from the file: $(diff <(tr ' ;' '\n\n' < "$SCRATCH/expected.txt") <(tr ' ;' '\n\n' < "$SCRATCH/journal.txt") | head -5)"
fi
[ "$want_funding" -ge 4 ] && ok "the six minutes cross $want_funding funding times" || bad "only $want_funding funding times"

# ---- no order on a perpetual: every intent refused, with its reason
decisions=$("$TOOLS" dump "$SCRATCH/j" --type risk_decision)
n=$(grep -c . <<<"$decisions")
[ "$n" -gt 0 ] && ok "the strategy asked $n time(s)" || bad "no intents: the test's strategy never asked"
expect_eq "every intent refused as no_contract" "$n" "$(grep -c '"reason_code":"no_contract"' <<<"$decisions")"
expect_eq "no order request" 0 "$("$TOOLS" dump "$SCRATCH/j" --type order_request | grep -c .)"

# ---- replay re-derives every mark and funding record
"$TOOLS" replay "$SCRATCH/j" --verify > "$SCRATCH/verify.txt" 2>&1 && grep -q "^identical" "$SCRATCH/verify.txt" \
  && ok "replay --verify: $(head -1 "$SCRATCH/verify.txt" | cut -c1-60)..." || bad "verify: $(tail -2 "$SCRATCH/verify.txt")"
# A what-if with the session's config: the same inputs, the same (refused) decisions.
hash=$(grep -o "decision hash [0-9a-f]*" "$SCRATCH/node.out" | cut -d' ' -f3)
"$TOOLS" replay "$SCRATCH/j" --what-if "${session[@]}" --out "$SCRATCH/wi" > "$SCRATCH/wi.txt" 2>&1 \
  || bad "what-if failed: $(tail -2 "$SCRATCH/wi.txt")"
grep -q "decision hash $hash" "$SCRATCH/wi.txt" && [ -n "$hash" ] && ok "what-if: the same decision hash" \
  || bad "what-if: $(tail -2 "$SCRATCH/wi.txt")"
funding=$("$TOOLS" dump "$SCRATCH/wi" --type funding | cut -d' ' -f3-)
if [ -z "$funding" ]; then bad "the what-if journal holds no funding"
elif [ "$funding" = "$("$TOOLS" dump "$SCRATCH/j" --type funding | cut -d' ' -f3-)" ]; then
  ok "what-if journals the recorded funding ($(grep -c . <<<"$funding") records)"
else bad "what-if funding differs: $funding"; fi
finish
