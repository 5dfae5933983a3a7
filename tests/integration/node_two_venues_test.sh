#!/usr/bin/env bash
# One node trading two venues at once, into one journal: BTCUSDT on Binance and
# BTC-USDT@coinbase on Coinbase, each against an exchange-sim of its own over real TLS on
# loopback, with each venue's signing (HMAC for Binance, an ES256 JWT per request for
# Coinbase) and faults (429 bursts, dropped streams). Each venue's account is adopted into
# one portfolio (both in USDT), every order goes to its instrument's venue and only there,
# risk's per-asset limit adds the BTC held on both venues, the journal verifies and replays
# identical, and a restart reconciles each venue with 0 differences.
source "$(dirname "$0")/lib.sh"
node_with_sim_setup two-venues-key-5e5e two-venues-secret-never-shown-7f7f
openssl ecparam -name prime256v1 -genkey -noout -out "$SCRATCH/cb.pem" 2> /dev/null
export COINBASE_API_KEY=organizations/sim-org/apiKeys/node-key COINBASE_API_SECRET
COINBASE_API_SECRET=$(cat "$SCRATCH/cb.pem")

# Coinbase's frames of the same real prints, for BTC-USDT (tests/data/README.md).
python3 tests/data/coinbase_from_binance.py "$DATA/btcusdt_20240808_head20k.gz" BTC-USDT 180 "$SCRATCH/cb_btcusdt.gz" \
  > /dev/null || bad "coinbase_from_binance.py"

start_named_sim bn --capture "$DATA/btcusdt_20240808_head20k.gz" --speed 8 --drop-every 4000 --burst-429-every 9 \
  --balance USDT=2000 --balance BTC=0
start_named_sim cb --venue coinbase --capture "$SCRATCH/cb_btcusdt.gz" --speed 8 --drop-every 500 --burst-429-every 7 \
  --balance USDT=2000 --balance BTC=0.012

run="$SCRATCH/two"
node_args=(--config "$CONFIG" --set journal.path="$run" --set order.mode=testnet --set journal.durability=sync
  --set feed.source=binance --set "feed.url=wss://127.0.0.1:$bn_PORT/stream" --set 'feed.symbols=["BTCUSDT"]'
  --set 'feed.channels=["trade"]' --set "feed.ca_file=$SCRATCH/bn.pem" --set history.warmup=false
  --set "venue.rest_url=https://127.0.0.1:$bn_PORT" --set "venue.ca_file=$SCRATCH/bn.pem" --set venue.poll_ms=200
  --set venue.timeout_ms=1000
  --set "feed.coinbase.url=wss://127.0.0.1:$cb_PORT" --set 'feed.coinbase.symbols=["BTC-USDT@coinbase"]'
  --set "feed.coinbase.ca_file=$SCRATCH/cb.pem"
  --set "venue.coinbase.rest_url=https://127.0.0.1:$cb_PORT" --set "venue.coinbase.ca_file=$SCRATCH/cb.pem"
  --set venue.coinbase.poll_ms=200 --set venue.coinbase.timeout_ms=1000
  --set 'candles.intervals=["5s"]' --set strategy.interval=5s --set strategy.fast_ema=2 --set strategy.slow_ema=4
  --set strategy.momentum_candles=2 --set strategy.entry_momentum_bps=0 --set strategy.reentry_cooldown_candles=1
  --set risk.stop_loss_pct=0.01 --set risk.take_profit_pct=0.01 --set portfolio.quote_asset=USDT
  --set risk.max_asset_exposure=0.3)
"$NODE" "${node_args[@]}" > "$SCRATCH/node.out" 2> "$SCRATCH/node.log" &
NODE_PID=$!
for _ in $(seq 900); do
  grep -q "capture replayed" "$SCRATCH/bn.log" && grep -q "every frame handed to a client" "$SCRATCH/cb.log" && break
  sleep 0.1
done
grep -q "capture replayed" "$SCRATCH/bn.log" && grep -q "every frame handed to a client" "$SCRATCH/cb.log" \
  && ok "both simulators handed their captures to the one node" \
  || bad "sims: $(tail -2 "$SCRATCH/bn.log" "$SCRATCH/cb.log") node: $(tail -3 "$SCRATCH/node.log")"
# Until every order each sim took has its acceptance and final event journaled (hang guard only).
for _ in $(seq 600); do
  at_sims=$(( $(grep -c "POST /api/v3/order -> 200" "$SCRATCH/bn.log") + $(grep -c "POST /api/v3/brokerage/orders -> 200" "$SCRATCH/cb.log") ))
  accepted=$(journal_count "$run" '"kind":"accepted"')
  final=$(journal_count "$run" '"kind":"\(filled\|canceled\|rejected\|expired\)"')
  [ "$at_sims" -gt 0 ] && [ "$accepted" -ge "$at_sims" ] && [ "$final" -ge "$accepted" ] && break
  sleep 0.1
done
stop_node
for venue in binance coinbase; do
  line=$(grep -o "venue $venue: clock offset.*" "$SCRATCH/node.log")
  grep -q "market rules of 1 symbol(s) match market.\*" <<<"$line" && ok "$venue reached and checked at the start: $line" \
    || bad "$venue start: $line $(tail -3 "$SCRATCH/node.log")"
done

"$TOOLS" dump "$run" --json > "$SCRATCH/dump.jsonl"
python3 - "$SCRATCH/dump.jsonl" "$(grep -c "POST /api/v3/order -> 200" "$SCRATCH/bn.log")" \
  "$(grep -c "POST /api/v3/brokerage/orders -> 200" "$SCRATCH/cb.log")" <<'PY' \
  && ok "each venue's account adopted, each order sent once to its own venue, every state adds up" || bad "journal content"
import json, sys
from decimal import Decimal as D
rows = [json.loads(l) for l in open(sys.argv[1])]
at_sim = {"BTCUSDT": int(sys.argv[2]), "BTC-USDT@coinbase": int(sys.argv[3])}
acct = {r["body"]["venue"]: r["body"] for r in rows if r["type"] == "account_balances"}
assert sorted(acct) == ["binance", "coinbase"], acct
for venue, body in acct.items():
    bal = {b["asset"]: D(b["free"]) + D(b["locked"]) for b in body["balances"]}
    assert bal == {"USDT": D(2000), "BTC": D("0.012") if venue == "coinbase" else D(0)}, (venue, bal)
requests = [r["body"] for r in rows if r["type"] == "order_request" and not r["body"]["cancel"]]
events = [r["body"] for r in rows if r["type"] == "order_event"]
symbol_of = {r["client_order_id"]: r["symbol"] for r in requests}
ids = [r["client_order_id"] for r in requests]
assert len(ids) == len(set(ids)), "client order ids are unique across venues"
for symbol, n in at_sim.items():
    accepted = [e for e in events if e["kind"] == "accepted" and symbol_of.get(e["client_order_id"]) == symbol]
    fills = [e for e in events if e["kind"] in ("filled", "partially_filled") and e["symbol"] == symbol]
    sides = {f["side"] for f in fills}
    print(f"  {symbol}: {sum(r['symbol'] == symbol for r in requests)} orders, {len(accepted)} accepted "
          f"(the sim took {n}), {len(fills)} fills, sides {sorted(sides)}")
    assert n > 0 and len(accepted) == n, "each order reached its own venue exactly once"
    assert sides == {"buy", "sell"}, "a round trip on each venue"
    assert all(f["fee_asset"] in ("USDT", "BTC") for f in fills), fills[:2]
codes = [r["body"]["code"] for r in rows if r["type"] == "error"]
assert codes.count("venue_rate_limited") >= 1, codes
states = [r["body"] for r in rows if r["type"] == "portfolio_state"]
# Both accounts make one capital: the cash, and Coinbase's BTC at its price at the start.
btc = next(b for b in acct["coinbase"]["balances"] if b["asset"] == "BTC")
assert D(states[-1]["starting_cash"]) == D(4000) + D("0.012") * D(btc["price"]), (states[-1]["starting_cash"], btc)
for b in states:
    assert D(b["equity"]) - D(b["starting_cash"]) == D(b["realized_pnl"]) + D(b["unrealized_pnl"]) - D(b["fees"]), b
# Risk sees the whole book: an entry on one venue is held back by BTC held on the other.
held = {}
cross = []
for r in rows:
    if r["type"] == "portfolio_state":
        held = {p["symbol"]: D(p["qty"]) for p in r["body"]["positions"]}
    elif r["type"] == "risk_decision" and r["body"]["reason_code"] == "reduced_to_limit":
        b = r["body"]
        if "BTC exposure" in b["reason"] and held.get(b["symbol"], 0) == 0 and sum(held.values()) > 0:
            cross.append(f'{b["symbol"]} {b["reason"]} (held: {held})')
assert cross, "an entry limited by the BTC held on the other venue"
print("  " + cross[0])
PY
"$TOOLS" verify "$run" > /dev/null && ok "the journal of both venues verifies" || bad "verify"
"$TOOLS" replay "$run" --verify > "$SCRATCH/replay.txt" && ok "$(head -1 "$SCRATCH/replay.txt")" \
  || bad "replay: $(cat "$SCRATCH/replay.txt")"

# What-if and diff on the journal of both venues: a tighter BTC limit changes decisions.
"$TOOLS" replay "$run" --what-if "${node_args[@]}" --set risk.max_asset_exposure=0.1 --out "$SCRATCH/tighter" \
  > "$SCRATCH/whatif.txt" 2>&1 || bad "what-if: $(tail -3 "$SCRATCH/whatif.txt")"
"$TOOLS" diff "$run" "$SCRATCH/tighter" > "$SCRATCH/diff.txt" 2>&1
grep -Eq "different [1-9][0-9]* \(of" "$SCRATCH/diff.txt" && ok "what-if and diff: $(grep -o 'decisions: .*' "$SCRATCH/diff.txt")" \
  || bad "diff: $(head -3 "$SCRATCH/diff.txt")"

# Restart on the same journal: each venue reconciled with its own cash and positions.
"$NODE" "${node_args[@]}" --set journal.if_exists=resume > /dev/null 2> "$SCRATCH/node2.log" &
NODE_PID=$!
for _ in $(seq 150); do grep -q "venue coinbase: clock offset" "$SCRATCH/node2.log" && break; sleep 0.1; done
stop_node
for venue in binance coinbase; do
  line=$(grep -o "venue $venue: clock offset.*" "$SCRATCH/node2.log")
  grep -q "0 not at the venue; 0 unknown open order(s); 0 balance difference(s)" <<<"$line" \
    && ok "$venue reconciled on restart: $line" || bad "$venue reconciliation: $line $(tail -3 "$SCRATCH/node2.log")"
done

cat "$SCRATCH"/*.jsonl "$SCRATCH"/*.log "$SCRATCH"/*.out | grep -qF -e "$(sed -n 2p "$SCRATCH/cb.pem")" \
  -e two-venues-secret-never-shown && bad "a secret appears in the journal or a log" || ok "no secret in the journal or the logs"
finish
