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
# --verify is identical. Then the same in testnet: each simulator takes its venue's signed
# orders (spot /api/v3, USDⓈ-M /fapi with the margin type and leverage set at the start),
# both accounts are adopted into one portfolio, every order goes to its own venue only,
# the books add up and the journal verifies.
source "$(dirname "$0")/lib.sh"
node_with_sim_setup spot-perp-key-4a4a spot-perp-secret-never-shown-6b6b
export BINANCE_USDM_API_KEY=spot-perp-usdm-key-8c8c BINANCE_USDM_API_SECRET=spot-perp-usdm-secret-never-shown-9d9d

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

# ---- testnet: both simulators take the orders (fresh ones, replaying the same minutes)
start_named_sim spot2 --capture "$DATA/btcusdt_20240808_head20k.gz" --speed 10 --balance USDT=5000 --balance BTC=0
start_named_sim perp2 --venue binance_usdm --capture "$DATA/btcusdt_usdm_20240808_trades_book.gz" --speed 10 \
  --funding-rate 0.0001 --funding-interval 1m --hold-while-away --key-env BINANCE_USDM_API_KEY \
  --secret-env BINANCE_USDM_API_SECRET
run="$SCRATCH/testnet"
"$NODE" --config config/futures-paper.toml --set journal.path="$run" --set history.warmup=false \
  --set order.mode=testnet --set journal.durability=sync \
  --set feed.source=binance --set "feed.url=wss://127.0.0.1:$spot2_PORT/stream" --set 'feed.symbols=["BTCUSDT"]' \
  --set 'feed.channels=["trade"]' --set "feed.ca_file=$SCRATCH/spot2.pem" \
  --set "venue.rest_url=https://127.0.0.1:$spot2_PORT" --set "venue.ca_file=$SCRATCH/spot2.pem" --set venue.poll_ms=200 \
  --set "feed.binance_usdm.url=wss://127.0.0.1:$perp2_PORT/stream" --set 'feed.binance_usdm.symbols=["BTCUSDT@binance_usdm"]' \
  --set "feed.binance_usdm.ca_file=$SCRATCH/perp2.pem" --set "venue.binance_usdm.rest_url=https://127.0.0.1:$perp2_PORT" \
  --set "venue.binance_usdm.ca_file=$SCRATCH/perp2.pem" --set venue.binance_usdm.poll_ms=200 \
  --set strategy.position_fraction=0.2 --set risk.max_asset_net_exposure=0.25 \
  > "$SCRATCH/tnode.out" 2> "$SCRATCH/tnode.log" &
NODE_PID=$!
for _ in $(seq 1200); do
  kill -0 "$NODE_PID" 2> /dev/null || break
  grep -q "every frame handed to a client" "$SCRATCH/perp2.log" && break
  sleep 0.1
done
# Until every order each sim took has its final event journaled (hang guard only).
for _ in $(seq 300); do
  at_sims=$(( $(grep -c "POST /api/v3/order -> 200" "$SCRATCH/spot2.log") + $(grep -c "POST /fapi/v1/order -> 200" "$SCRATCH/perp2.log") ))
  final=$(journal_count "$run" '"kind":"\(filled\|canceled\|rejected\|expired\)"')
  [ "$at_sims" -gt 0 ] && [ "$final" -ge "$at_sims" ] && break
  sleep 0.1
done
stop_node
grep -q "POST /fapi/v1/marginType -> 200" "$SCRATCH/perp2.log" && grep -q "POST /fapi/v1/leverage -> 200" "$SCRATCH/perp2.log" \
  && ok "USDⓈ-M's margin type and leverage set at the start" || bad "perp sim: $(grep POST "$SCRATCH/perp2.log" | head -3)"
"$TOOLS" dump "$run" --json > "$SCRATCH/tdump.jsonl" || bad "testnet dump failed"
if out=$(python3 - "$SCRATCH/tdump.jsonl" "$(grep -c "POST /api/v3/order -> 200" "$SCRATCH/spot2.log")" \
  "$(grep -c "POST /fapi/v1/order -> 200" "$SCRATCH/perp2.log")" <<'PY' 2>&1
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
accounts = {r["body"]["venue"]: r["body"] for r in rows if r["type"] == "account_balances"}
assert sorted(accounts) == ["binance", "binance_usdm"], accounts
requests = [r["body"] for r in rows if r["type"] == "order_request" and not r["body"]["cancel"]]
spot = sum(1 for q in requests if q["symbol"] == "BTCUSDT")
perp = sum(1 for q in requests if q["symbol"] == "BTCUSDT@binance_usdm")
assert spot + perp == len(requests), requests
assert (spot, perp) == (int(sys.argv[2]), int(sys.argv[3])), (spot, perp, sys.argv[2:])
assert perp > 0, "no perpetual order"
fills = sum(1 for r in rows if r["type"] == "order_event" and r["body"]["kind"] in ("filled", "partially_filled"))
print(f"both accounts adopted; {spot} spot orders at the spot sim and {perp} at USDⓈ-M's, each once; {fills} fills")
PY
); then ok "$out"; else bad "testnet journal: $out"; fi
books=$(python3 "$HERE/perp_books.py" "$SCRATCH/tdump.jsonl" 2>&1) && ok "the testnet books add up ($books)" || bad "books: $books"
"$TOOLS" replay "$run" --verify > "$SCRATCH/tverify.txt" 2>&1 && grep -q "^identical" "$SCRATCH/tverify.txt" \
  && ok "testnet replay --verify: identical" || bad "verify: $(tail -2 "$SCRATCH/tverify.txt")"
! grep -rq "never-shown" "$run" "$SCRATCH/tnode.log" "$SCRATCH/tnode.out" && ok "no secret in the journal or the logs" \
  || bad "a secret leaked"
finish
