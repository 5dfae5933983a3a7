#!/usr/bin/env bash
# A live session's warm-up against exchange-sim over real TLS on loopback. The sim holds a
# real day of BTCUSDC 1-minute klines; its first 21 hours are history (served by REST
# /api/v3/klines, not streamed), the rest is the live stream. The node fetches the history
# page by page, journals it as history klines ahead of the stream, and:
#  - its candles run on without a gap from the history into the stream;
#  - nobody trades on the history: no intent on a history candle, no equity mark before the
#    first live one;
#  - its strategy's signals are, value for value, those of a paper run over the whole day
#    read from the file: its features were ready at the first live candle (a cold start
#    would need 48 live candles first, and the paper run signals at 21:22, the 22nd);
#  - the journal replays --verify identical, and a what-if from it gives the node's hash;
#  - a second session reads the history from the disk cache instead of the venue.
# Then USDⓈ-M: exchange-sim's binance_usdm personality (whose capture holds trades, no
# klines: it rolls them up into 1-minute klines) holds the first 3 of its 6 minutes as
# history; a node on config/futures-paper.toml fetches them from /fapi/v1/klines (not
# spot's), and journals them as history klines equal, field by field, to the 1-minute
# roll-up of the capture's trades computed here in python; its journal replays identical.
source "$(dirname "$0")/lib.sh"
node_with_sim_setup warmup-test-key-31 warmup-test-secret-never-shown-64
CAPTURE="$DATA/btcusdc_kline1m_20230301.gz"
HISTORY_KLINES=1261  # 00:00 to 21:00: the capture's first line is received at 00:01, so its history ends at 21:01
LIVE_KLINES=45       # the stream's first 45 minutes

"$TOOLS" exchange-sim --capture "$CAPTURE" --history 21h --speed 600 --cert-out "$SCRATCH/sim.pem" \
  --port-file "$SCRATCH/sim.port" > "$SCRATCH/sim.out" 2> "$SCRATCH/sim.log" &
SIM=$!
wait_for_file "$SCRATCH/sim.port"
PORT=$(cat "$SCRATCH/sim.port")
LIVE=(--set feed.source=binance --set "feed.url=wss://127.0.0.1:$PORT/stream" --set 'feed.symbols=["BTCUSDC"]'
      --set 'feed.channels=["kline_1m"]' --set "feed.ca_file=$SCRATCH/sim.pem" --set history.days=1
      --set "history.cache_dir=$SCRATCH/cache" --set feed.max_time_skew_ms=0)  # at speed 600 the day runs ahead of the clock

# run_live DIR KLINES: a node on the sim until its journal holds KLINES klines, then SIGTERM.
run_live() {
  "$NODE" --config "$CONFIG" --set journal.path="$1" "${LIVE[@]}" > "$1.out" 2> "$1.log" &
  NODE_PID=$!
  for _ in $(seq 600); do  # a hang guard only: the wait ends when the klines are there
    n=$("$TOOLS" stats "$1" --json 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["by_type"].get("kline",0))' 2>/dev/null)
    [ "${n:-0}" -ge "$2" ] && break
    kill -0 "$NODE_PID" 2>/dev/null || break
    sleep 0.1
  done
  kill -TERM "$NODE_PID"
  wait "$NODE_PID"
  expect_eq "the node exits 0 on SIGTERM" 0 "$?"
  NODE_PID=""
}

run_live "$SCRATCH/warm" $((HISTORY_KLINES + LIVE_KLINES))
grep -q "warm-up BTCUSDC: $HISTORY_KLINES kline_1m klines" "$SCRATCH/warm.log" && ok "the log says what the warm-up fetched" \
  || bad "warm-up log: $(grep -i warm "$SCRATCH/warm.log")"
"$TOOLS" dump "$SCRATCH/warm" --json > "$SCRATCH/warm.jsonl"

# The same config over the same day, read from the file: what the node should have seen.
"$NODE" --config "$CONFIG" --set journal.path="$SCRATCH/paper" --set "feed.files=[\"$CAPTURE\"]" > /dev/null 2>&1 \
  || bad "the paper run over the capture failed"
"$TOOLS" dump "$SCRATCH/paper" --json > "$SCRATCH/paper.jsonl"

HISTORY_KLINES=$HISTORY_KLINES python3 - "$SCRATCH/warm.jsonl" "$SCRATCH/paper.jsonl" <<'PY' \
  && ok "history journaled ahead of the stream; candles without a gap; nothing traded on history; signals as the paper run's" \
  || bad "warm-up journal"
import json, os, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
paper = [json.loads(l) for l in open(sys.argv[2])]
n = int(os.environ["HISTORY_KLINES"])
by_type = lambda rs, t: [r for r in rs if r["type"] == t]

# One history status, ahead of every kline: what came from where.
status = [r for r in by_type(rows, "feed_status") if r["body"]["kind"] == "history"]
assert len(status) == 1, status
s = status[0]
klines = by_type(rows, "kline")
assert s["seq"] < klines[0]["seq"]
assert (s["body"]["symbol"], s["body"]["stream"]) == ("BTCUSDC", "kline_1m"), s
assert (s["body"]["expected_id"], s["body"]["received_id"]) == (0, n), s  # none from the cache, n from the venue
connected = [r for r in by_type(rows, "feed_status") if r["body"]["kind"] == "connected"]
history, live = klines[:n], klines[n:]
assert all(k["body"]["history"] and k["body"]["closed"] for k in history)
assert live and not any(k["body"]["history"] for k in live)
assert connected[0]["seq"] > history[-1]["seq"], "the stream connects after the history"
opens = [k["body"]["open_time_ms"] for k in klines]
assert all(b - a == 60000 for a, b in zip(opens, opens[1:])), "a gap or an overlap between history and stream"
errors = [r["body"]["code"] for r in by_type(rows, "error")]
assert not any(c in ("late_kline", "candle_gap", "implausible_exchange_time") for c in errors), errors

# 1-minute candles: the history's are marked, the live ones follow without a gap.
candles = [r for r in by_type(rows, "candle") if r["body"]["interval_s"] == 60]
hc = [c for c in candles if c["body"]["history"]]
lc = [c for c in candles if not c["body"]["history"]]
assert len(hc) == n and lc and lc[0]["body"]["open_time_ms"] == hc[-1]["body"]["open_time_ms"] + 60000
assert all(c["seq"] < lc[0]["seq"] for c in hc)

# Nobody trades on history: intents answer live candles only; equity is marked from the first live one.
seq_of = {r["seq"]: r for r in rows}
intents = by_type(rows, "order_intent")
assert all(not seq_of[i["body"]["signal_seq"]]["body"].get("history", False) for i in intents)
marks = by_type(rows, "portfolio_state")
assert marks and all(m["seq"] > lc[0]["seq"] for m in marks)

# Signals: value for value the paper run's over the same minutes. The sim moved the day to
# today by a whole number of minutes (candles open on minute boundaries).
shift = hc[0]["body"]["open_time_ms"] - 1677628800000
assert shift % 60000 == 0
last = lc[-1]["body"]["open_time_ms"] - shift
key = lambda b, d: (b["candle_open_time_ms"] - d, b["direction"], b["confidence_ppm"], b["reason"], json.dumps(b["values"]))
got = [key(r["body"], shift) for r in by_type(rows, "signal")]
want = [key(r["body"], 0) for r in by_type(paper, "signal") if r["body"]["candle_open_time_ms"] <= last]
assert got == want, (len(got), len(want), [g for g, w in zip(got, want) if g != w][:2])
first_live = lc[0]["body"]["open_time_ms"] - shift
early = [g for g in got if first_live <= g[0] < first_live + 48 * 60000]
assert early, "no signal in the first 48 live minutes: the data does not show the warm-up"
print(f"  {n} history klines, {len(live)} live; {len(got)} signals as the paper run's, {len(early)} in the first 48 live minutes; {len(intents)} intents")
PY

"$TOOLS" replay "$SCRATCH/warm" --verify > "$SCRATCH/verify.out" 2>&1 && grep -q "identical" "$SCRATCH/verify.out" \
  && ok "the warmed-up journal replays --verify identical" || bad "verify: $(tail -3 "$SCRATCH/verify.out")"
node_hash=$(grep -o "decision hash [0-9a-f]*" "$SCRATCH/warm.out" | cut -d' ' -f3)
"$TOOLS" replay "$SCRATCH/warm" --what-if --config "$CONFIG" "${LIVE[@]}" --out "$SCRATCH/whatif" > /dev/null 2>&1 \
  || bad "what-if of the warmed-up journal"
whatif_hash=$("$TOOLS" stats --json "$SCRATCH/whatif" | python3 -c "import json,sys; print(json.load(sys.stdin)['decision_hash'])")
expect_eq "a what-if from its journal alone gives the node's decision hash" "$node_hash" "$whatif_hash"

# A second session: the history comes from the disk cache.
run_live "$SCRATCH/again" $((HISTORY_KLINES + 1))
"$TOOLS" dump "$SCRATCH/again" --json > "$SCRATCH/again.jsonl"
HISTORY_KLINES=$HISTORY_KLINES python3 - "$SCRATCH/again.jsonl" "$SCRATCH/warm.jsonl" <<'PY' \
  && ok "a second session takes the history from the cache, the same klines" || bad "cache: $(grep -i warm "$SCRATCH/again.log")"
import json, os, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
first = [json.loads(l) for l in open(sys.argv[2])]
n = int(os.environ["HISTORY_KLINES"])
s = [r["body"] for r in rows if r["type"] == "feed_status" and r["body"]["kind"] == "history"][0]
assert s["expected_id"] == n, s  # all of the first session's history, from the cache
h = [r["body"] for r in rows if r["type"] == "kline" and r["body"]["history"]]
h1 = [r["body"] for r in first if r["type"] == "kline" and r["body"]["history"]]
assert h[:n] == h1, "the cached history differs from the fetched one"
print(f"  {s['expected_id']} from the cache, {s['received_id']} from the venue")
PY

# USDⓈ-M: the history is USDⓈ-M's klines, from /fapi/v1/klines.
export BINANCE_USDM_API_KEY=$BINANCE_API_KEY BINANCE_USDM_API_SECRET=$BINANCE_API_SECRET
USDM="$DATA/btcusdt_usdm_20240808_trades_book.gz"
kill "$SIM" 2>/dev/null
"$TOOLS" exchange-sim --venue binance_usdm --capture "$USDM" --history 3m --speed 20 --funding-interval 1m \
  --cert-out "$SCRATCH/usdm.pem" --port-file "$SCRATCH/usdm.port" > "$SCRATCH/usdm.out" 2> "$SCRATCH/usdm.log" &
SIM=$!
wait_for_file "$SCRATCH/usdm.port"
"$NODE" --config config/futures-paper.toml --set journal.path="$SCRATCH/usdm-run" --set feed.source=binance_usdm \
  --set "feed.url=wss://127.0.0.1:$(cat "$SCRATCH/usdm.port")/stream" --set 'feed.symbols=["BTCUSDT@binance_usdm"]' \
  --set "feed.ca_file=$SCRATCH/usdm.pem" --set "history.cache_dir=$SCRATCH/usdm-cache" --set 'candles.intervals=["1m"]' \
  --set strategy.interval=1m --set feed.max_time_skew_ms=0 > "$SCRATCH/usdm-run.out" 2> "$SCRATCH/usdm-run.log" &
NODE_PID=$!
for _ in $(seq 1200); do grep -q "every frame handed to a client" "$SCRATCH/usdm.log" && break; sleep 0.1; done
# The trades after the history: the stream's part of the capture (a hang guard of 60 s).
STREAMED=$(zcat "$USDM" | python3 -c '
import json, sys
lines = [l.split(" ", 1) for l in sys.stdin]
start = int(lines[0][0]) // 1_000_000 + 180_000  # the history: the first 3 minutes of receive time
print(sum(1 for ts, f in lines if "@trade\"" in f and int(ts) // 1_000_000 > start))')
stop_live_node "$SCRATCH/usdm-run" "$STREAMED"
grep -q "warm-up BTCUSDT@binance_usdm: 3 kline_1m klines" "$SCRATCH/usdm-run.log" && ok "the USDⓈ-M warm-up fetched 3 klines" \
  || bad "USDⓈ-M warm-up: $(grep -i warm "$SCRATCH/usdm-run.log")"
grep -q "GET /fapi/v1/klines -> 200" "$SCRATCH/usdm.log" && ! grep -q "/api/v3/klines" "$SCRATCH/usdm.log" \
  && ok "from /fapi/v1/klines, not spot's" || bad "klines asked: $(grep klines "$SCRATCH/usdm.log" | head -3)"
"$TOOLS" dump "$SCRATCH/usdm-run" --type kline --json > "$SCRATCH/usdm-klines.jsonl"
python3 - "$SCRATCH/usdm-klines.jsonl" "$USDM" <<'PY' && ok "the history klines are the capture's trades rolled up by minute, to the unit" \
  || bad "USDⓈ-M history klines"
import gzip, json, sys
from decimal import Decimal as D
got = [json.loads(l)["body"] for l in open(sys.argv[1])]
assert got and all(k["history"] and k["symbol"] == "BTCUSDT@binance_usdm" and k["interval_s"] == 60 for k in got), got[:1]
minutes = {}
for line in gzip.open(sys.argv[2], "rt"):
    ts, frame = line.split(" ", 1)
    if '@trade"' not in frame:
        continue
    t = json.loads(frame)["data"]
    minutes.setdefault(t["T"] // 60000, []).append(t)
want = []
for m in sorted(minutes)[:len(got)]:
    ts = minutes[m]
    p = [D(t["p"]) for t in ts]
    want.append({"open": p[0], "high": max(p), "low": min(p), "close": p[-1], "volume": sum(D(t["q"]) for t in ts),
                 "trades": len(ts), "taker_buy_volume": sum(D(t["q"]) for t in ts if not t["m"])})
have = [{"open": D(k["open"]), "high": D(k["high"]), "low": D(k["low"]), "close": D(k["close"]), "volume": D(k["volume"]),
         "trades": k["trades"], "taker_buy_volume": D(k["taker_buy_volume"])} for k in got]
assert have == want, (have, want)
print(f"  {len(got)} history klines, {sum(k['trades'] for k in have)} trades rolled up")
PY
"$TOOLS" replay "$SCRATCH/usdm-run" --verify > "$SCRATCH/usdm-verify.out" 2>&1 && grep -q "identical" "$SCRATCH/usdm-verify.out" \
  && ok "the USDⓈ-M warmed-up journal replays --verify identical" || bad "verify: $(tail -3 "$SCRATCH/usdm-verify.out")"
finish
