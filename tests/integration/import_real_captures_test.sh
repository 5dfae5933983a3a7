#!/usr/bin/env bash
# Imports each bundled real capture and checks the journal against independent counts of
# the file's lines (zcat | grep), JSON validity of every dump line (python3's parser),
# verify, and that a flipped byte makes verify fail naming that seq.
source "$(dirname "$0")/lib.sh"

count_lines() { zcat -f "$1" | grep -c -- "$2" || true; }

for file in "$DATA"/*.gz; do
  name=$(basename "$file" .gz)
  [[ $name == coinbase_* || $name == kucoin_* ]] && continue  # other venues' frames: their own *_capture_test.sh
  j="$SCRATCH/$name"
  if ! "$TOOLS" import binance-capture "$file" --journal "$j" > "$SCRATCH/$name.import" 2>&1; then
    bad "$name: import failed: $(cat "$SCRATCH/$name.import")"; continue
  fi
  "$TOOLS" stats "$j" --json > "$SCRATCH/$name.stats" || { bad "$name: stats failed"; continue; }
  stat() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(d$2)" "$SCRATCH/$name.stats"; }

  expect_eq "$name trade records = @trade lines"             "$(count_lines "$file" '"stream":"[a-z]*@trade"')"      "$(stat "" "['by_type'].get('trade',0)")"
  expect_eq "$name agg_trade records = @aggTrade lines"      "$(count_lines "$file" '"stream":"[a-z]*@aggTrade"')"   "$(stat "" "['by_type'].get('agg_trade',0)")"
  expect_eq "$name book_ticker records = @bookTicker lines"  "$(count_lines "$file" '"stream":"[a-z]*@bookTicker"')" "$(stat "" "['by_type'].get('book_ticker',0)")"
  expect_eq "$name depth_update records = @depth lines"      "$(count_lines "$file" '"stream":"[a-z]*@depth@')"      "$(stat "" "['by_type'].get('depth_update',0)")"
  expect_eq "$name kline records = @kline lines"             "$(count_lines "$file" '"stream":"[a-z]*@kline_')"      "$(stat "" "['by_type'].get('kline',0)")"
  expect_eq "$name depth_snapshot records = lastUpdateId lines" "$(count_lines "$file" '^[0-9]* {"lastUpdateId"')"   "$(stat "" "['by_type'].get('depth_snapshot',0)")"
  expect_eq "$name all lines became records"                 "$(zcat -f "$file" | grep -c .)"                        "$(stat "" "['records']")"
  expect_eq "$name no error records"                         "0"                                                     "$(stat "" "['by_type'].get('error',0)")"
  expect_eq "$name first receive time = first line's"        "$(zcat -f "$file" | head -1 | cut -d' ' -f1)"          "$(stat "" "['first_recv_ts_ns']")"

  # Every dump --json line is valid JSON with the documented keys; trades carry their fields.
  if "$TOOLS" dump "$j" --json | python3 -c '
import json, sys
n = 0
for line in sys.stdin:
    r = json.loads(line)
    for k in ("seq", "recv_ts_ns", "source", "destination", "type", "body"):
        assert k in r, (k, line)
    if r["type"] == "trade":
        b = r["body"]
        for k in ("symbol", "price", "qty", "trade_id", "exchange_ts_ms", "buyer_maker"):
            assert k in b, (k, line)
        assert isinstance(b["price"], str) and float(b["price"]) > 0
    n += 1
    assert r["seq"] == n, (r["seq"], n)
print(n)
' > "$SCRATCH/$name.dumpcount"; then
    expect_eq "$name dump --json: one valid JSON line per record" "$(stat "" "['records']")" "$(cat "$SCRATCH/$name.dumpcount")"
  else
    bad "$name dump --json produced invalid JSON"
  fi

  out=$("$TOOLS" verify "$j" 2>&1)
  expect_eq "$name verify" "ok: $(stat "" "['records']") records" "$(head -1 <<<"$out" | cut -d' ' -f1-3)"

  # Flip one byte in the body of a record in the middle: verify must name that seq.
  if [ -n "$FAULT" ]; then
    seq=$(( $(stat "" "['records']") / 2 + 1 ))
    "$FAULT" flip "$j" "$seq"
    expect_fail "$name flipped byte in seq $seq" 1 "seq $seq:" "$TOOLS" verify "$j"
    expect_fail "$name dump stops at the damaged seq $seq" 1 "seq $seq:" "$TOOLS" dump "$j" --json
  fi
done

# Two captures import merged by receive time into one journal.
"$TOOLS" import binance-capture "$DATA/btcusdt_20240808_head20k.gz" "$DATA/ethusdt_20240808_head8k.gz" \
  --journal "$SCRATCH/merged" > /dev/null || bad "merged import failed"
"$TOOLS" dump "$SCRATCH/merged" --json | python3 -c '
import json, sys
prev = None
syms = set()
for line in sys.stdin:
    r = json.loads(line)
    if prev is not None: assert r["recv_ts_ns"] >= prev, (prev, r["recv_ts_ns"])
    prev = r["recv_ts_ns"]
    syms.add(r["body"].get("symbol"))
assert syms == {"BTCUSDT", "ETHUSDT"}, syms
' && ok "merged import is in receive-time order with both symbols" || bad "merged import order"

# Filters on the CLI: type and seq range.
n=$("$TOOLS" dump "$SCRATCH/merged" --type trade --from 100 --to 2000 | awk '$4 != "trade" || $1 < 100 || $1 > 2000 {bad=1} END {print bad ? "bad" : NR}')
expect_eq "dump --type trade --from 100 --to 2000 prints only such records" "$(
  "$TOOLS" dump "$SCRATCH/merged" --json --from 100 --to 2000 | grep -c '"type":"trade"')" "$n"
finish
