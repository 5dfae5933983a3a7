#!/usr/bin/env bash
# Spot and its perpetual in one session (issue 20): BTCUSDT on Binance spot and
# BTCUSDT@binance_usdm, each streamed live by an exchange-sim of its own over real TLS on
# loopback (the bundled real prints of the same minutes, 2024-08-08 23:54 UTC; the USDⓈ-M
# sim publishes its marks and funding), paper-traded long and short by the rule strategy
# into one journal, with risk's per-asset net exposure limit (longs less shorts of BTC,
# across spot and the perpetual) at 25 % of equity. Checked from the journal: both venues'
# trades, the perpetual marked by its venue only; every entry decision holds the net check,
# and where no earlier entry was still working its value is BTC's net in the entry's
# direction recomputed from the portfolio state risk had (python, exact integers) and its
# bound 25 % of that equity; the limit binds at least once; the books add up; replay
# --verify is identical.
source "$(dirname "$0")/lib.sh"
node_with_sim_setup spot-perp-key-4a4a spot-perp-secret-never-shown-6b6b

start_named_sim spot --capture "$DATA/btcusdt_20240808_head20k.gz" --speed 10
start_named_sim perp --venue binance_usdm --capture "$DATA/btcusdt_usdm_20240808_trades_book.gz" --speed 10 \
  --funding-rate 0.0001 --funding-interval 1m --key-env BINANCE_API_KEY --secret-env BINANCE_API_SECRET

run="$SCRATCH/hedge"
"$NODE" --config config/futures-paper.toml --set journal.path="$run" --set history.warmup=false \
  --set feed.source=binance --set "feed.url=wss://127.0.0.1:$spot_PORT/stream" --set 'feed.symbols=["BTCUSDT"]' \
  --set 'feed.channels=["trade"]' --set "feed.ca_file=$SCRATCH/spot.pem" \
  --set "feed.binance_usdm.url=wss://127.0.0.1:$perp_PORT/stream" --set 'feed.binance_usdm.symbols=["BTCUSDT@binance_usdm"]' \
  --set "feed.binance_usdm.ca_file=$SCRATCH/perp.pem" \
  --set strategy.position_fraction=0.2 --set risk.max_asset_net_exposure=0.25 \
  > "$SCRATCH/node.out" 2> "$SCRATCH/node.log" &
NODE_PID=$!
# Hang guards only: the waits end on events (both captures handed over, their trades journaled).
for _ in $(seq 1200); do
  kill -0 "$NODE_PID" 2> /dev/null || break
  grep -q "capture replayed\|every frame handed to a client" "$SCRATCH/spot.log" \
    && grep -q "every frame handed to a client" "$SCRATCH/perp.log" && break
  sleep 0.1
done
grep -q "every frame handed to a client" "$SCRATCH/perp.log" && grep -q "capture replayed\|every frame handed" "$SCRATCH/spot.log" \
  && ok "both simulators handed their captures to the one node" \
  || bad "sims: $(tail -2 "$SCRATCH/spot.log" "$SCRATCH/perp.log") node: $(tail -3 "$SCRATCH/node.log")"
TRADES=$(( $(zcat "$DATA/btcusdt_20240808_head20k.gz" | grep -c '@trade"') + $(zcat "$DATA/btcusdt_usdm_20240808_trades_book.gz" | grep -c '@trade"') ))
stop_live_node "$run" "$TRADES"

"$TOOLS" dump "$run" --json > "$SCRATCH/dump.jsonl" || bad "dump failed"
if out=$(python3 - "$SCRATCH/dump.jsonl" "$TRADES" <<'PY' 2>&1
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
SPOT, PERP = "BTCUSDT", "BTCUSDT@binance_usdm"
trades = {}
for r in rows:
    if r["type"] == "trade":
        trades[r["body"]["symbol"]] = trades.get(r["body"]["symbol"], 0) + 1
assert sorted(trades) == [SPOT, PERP] and sum(trades.values()) == int(sys.argv[2]), trades
marks = {r["body"]["symbol"] for r in rows if r["type"] == "mark_price"}
assert marks == {PERP} and all(r["body"]["source"] == "venue" for r in rows if r["type"] == "mark_price"), marks

def units(t):
    whole, _, frac = t.lstrip("-").partition(".")
    v = int(whole) * 10**8 + int((frac + "00000000")[:8])
    return -v if t.startswith("-") else v

state, intents, working = None, {}, {}
checked = binds = entries = 0
held_both = False
for r in rows:
    t, b = r["type"], r["body"]
    if t == "portfolio_state":
        state = b
        qty = {p["symbol"]: units(p["qty"]) for p in b["positions"]}
        held_both = held_both or (qty.get(SPOT, 0) != 0 and qty.get(PERP, 0) != 0)
    elif t == "order_intent":
        intents[b["intent_id"]] = (r["seq"], state)
    elif t == "order_event" and b["kind"] in ("filled", "canceled", "rejected", "expired"):
        working.pop(b["intent_id"], None)
    elif t == "risk_decision" and not b["is_exit"] and b["intent_id"] in intents:
        net = [c for c in b["checks"] if c["limit"] == "max_asset_net_exposure"]
        if not b["approved"] and not net:
            continue  # refused before the size limits (halted, cooldown, no short on spot...)
        entries += 1
        assert len(net) == 1, (r["seq"], b)
        c = net[0]
        value, bound = c["value"], c["bound"]  # quote units (1e-8)
        if "max_asset_net_exposure" in b["reason"] or b["reason_code"] == "max_asset_net_exposure":
            binds += 1
        _, seen = intents[b["intent_id"]]
        if not working and seen is not None:
            longs_less_shorts = sum((1 if units(p["qty"]) > 0 else -1) * (abs(units(p["qty"])) * units(p["last_price"]) // 10**8)
                                    for p in seen["positions"] if p["symbol"] in (SPOT, PERP))
            along = longs_less_shorts if b["side"] == "buy" else -longs_less_shorts
            assert value == along, (r["seq"], value, along)
            assert bound == units(seen["equity"]) * 250_000 // 1_000_000, (r["seq"], bound, seen["equity"])
            checked += 1
        if b["approved"]:
            working[b["intent_id"]] = True
assert entries > 0 and checked > 0, (entries, checked)
assert binds > 0, "the net limit never bound"
print(f"{trades[SPOT]} spot and {trades[PERP]} perpetual trades; {entries} entry decisions, {checked} recomputed, "
      f"{binds} bound by the net limit; spot and perpetual held at once: {held_both}")
PY
); then ok "$out"; else bad "journal: $out"; fi
books=$(python3 "$HERE/perp_books.py" "$SCRATCH/dump.jsonl" 2>&1) && ok "the books add up ($books)" || bad "books: $books"
"$TOOLS" replay "$run" --verify > "$SCRATCH/verify.txt" 2>&1 && grep -q "^identical" "$SCRATCH/verify.txt" \
  && ok "replay --verify: identical" || bad "verify: $(tail -2 "$SCRATCH/verify.txt")"
finish
