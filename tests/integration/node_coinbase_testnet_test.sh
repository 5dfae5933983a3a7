#!/usr/bin/env bash
# The node in testnet mode on Coinbase, against exchange-sim --venue coinbase over real TLS
# on loopback: market data from the sim's Advanced Trade WebSocket (dropped every 300
# frames), orders to its REST API, every request signed with a fresh ES256 JWT the sim
# verifies, 429 bursts every 7 requests, new orders answered only after the node's
# timeout. The node starts from the account's USD and BTC, trades end to end, looks an
# unanswered order up by client order id instead of sending it twice, journals every
# venue answer, and its journal verifies and replays identical. A wrong key and an
# expired JWT stop the start with the venue's reason; the key never appears anywhere.
source "$(dirname "$0")/lib.sh"
node_with_sim_setup unused unused
openssl ecparam -name prime256v1 -genkey -noout -out "$SCRATCH/cb.pem" 2> /dev/null
openssl ecparam -name prime256v1 -genkey -noout -out "$SCRATCH/other.pem" 2> /dev/null
export COINBASE_API_KEY=organizations/sim-org/apiKeys/node-key COINBASE_API_SECRET
COINBASE_API_SECRET=$(cat "$SCRATCH/cb.pem")

start_cb_sim() {  # start_cb_sim NAME ARGS...: exchange-sim --venue coinbase; PORT, CERT
  local name=$1
  shift
  "$TOOLS" exchange-sim --venue coinbase --capture "$DATA/coinbase_btcusd_20240808.gz" --cert-out "$SCRATCH/$name.pem" \
    --port-file "$SCRATCH/$name.port" "$@" > "$SCRATCH/$name.out" 2> "$SCRATCH/$name.log" &
  SIM="$SIM $!"
  wait_for_file "$SCRATCH/$name.port"
  PORT=$(cat "$SCRATCH/$name.port")
  CERT="$SCRATCH/$name.pem"
}
start_cb_sim sim --speed 5 --drop-every 300 --burst-429-every 7 --slow-orders-ms 1500 --balance USD=2000 --balance BTC=0.01
run="$SCRATCH/testnet"
set_node_args() {  # node_args: the node against the sim last started
  node_args=(--config "$CONFIG" --set order.mode=testnet --set journal.durability=sync \
    --set "venue.rest_url=https://127.0.0.1:$PORT" --set "venue.ca_file=$CERT" --set venue.poll_ms=200 \
    --set venue.timeout_ms=1000 --set feed.source=coinbase --set "feed.url=wss://127.0.0.1:$PORT" \
    --set 'feed.symbols=["BTC-USD@coinbase"]' --set 'feed.channels=["market_trades","heartbeats"]' \
    --set "feed.ca_file=$CERT" --set history.warmup=false \
    --set 'candles.intervals=["5s"]' --set strategy.interval=5s --set strategy.fast_ema=2 --set strategy.slow_ema=4 \
    --set strategy.momentum_candles=2 --set strategy.entry_momentum_bps=0 --set strategy.reentry_cooldown_candles=1 \
    --set risk.stop_loss_pct=0.0005 --set risk.take_profit_pct=0.0005 --set portfolio.quote_asset=USD)
}
set_node_args
"$NODE" "${node_args[@]}" --set journal.path="$run" > "$SCRATCH/node.out" 2> "$SCRATCH/node.log" &
NODE_PID=$!
for _ in $(seq 600); do grep -q "every frame handed to a client" "$SCRATCH/sim.log" && break; sleep 0.1; done
grep -q "every frame handed to a client" "$SCRATCH/sim.log" && ok "the simulator handed its capture to the node" \
  || bad "sim: $(tail -3 "$SCRATCH/sim.log") node: $(tail -3 "$SCRATCH/node.log")"
# Until every order the sim took has its acceptance and final event journaled (hang guard only).
for _ in $(seq 600); do
  at_sim=$(grep -c "POST /api/v3/brokerage/orders -> 200" "$SCRATCH/sim.log")
  accepted=$(journal_count "$run" '"kind":"accepted"')
  final=$(journal_count "$run" '"kind":"\(filled\|canceled\|rejected\|expired\)"')
  [ "$at_sim" -gt 0 ] && [ "$accepted" -ge "$at_sim" ] && [ "$final" -ge "$accepted" ] && break
  sleep 0.1
done
stop_node
grep -q "orders testnet at https://127.0.0.1:$PORT" "$SCRATCH/node.log" && ok "the log says where orders go" \
  || bad "start log: $(head -5 "$SCRATCH/node.log")"
line=$(grep -o "venue coinbase: clock offset.*" "$SCRATCH/node.log")
grep -q "market rules of 1 symbol(s) match market.\*; 0 open order(s) from the journal found" <<<"$line" \
  && ok "the start checked the product's rules: $line" || bad "start: $line $(tail -3 "$SCRATCH/node.log")"

"$TOOLS" dump "$run" --json > "$SCRATCH/dump.jsonl"
python3 "$HERE/testnet_journal_check.py" "$SCRATCH/dump.jsonl" "$(grep -c "POST /api/v3/brokerage/orders -> 200" "$SCRATCH/sim.log")" \
  coinbase BTC-USD@coinbase USD '{"USD": ["2000", ""], "BTC": ["0.01", "BTC-USD@coinbase"]}' \
  && ok "orders sent once each, every answer journaled, fees in USD, the start from USD 2000 and BTC 0.01, every state adds up" \
  || bad "journal content"
"$TOOLS" verify "$run" > /dev/null && ok "journal verifies" || bad "verify"
"$TOOLS" replay "$run" --verify > "$SCRATCH/replay.txt" && ok "$(head -1 "$SCRATCH/replay.txt")" || bad "replay: $(cat "$SCRATCH/replay.txt")"

# Restart on the same journal: reconciled with the venue, the positions held match its balances.
"$NODE" "${node_args[@]}" --set journal.path="$run" --set journal.if_exists=resume > /dev/null 2> "$SCRATCH/node2.log" &
NODE_PID=$!
for _ in $(seq 100); do grep -q "venue coinbase: clock offset" "$SCRATCH/node2.log" && break; sleep 0.1; done
kill -TERM "$NODE_PID"; wait "$NODE_PID"; rc=$?; NODE_PID=""
expect_eq "the resumed node exits 0" 0 "$rc"
line=$(grep -o "venue coinbase: clock offset.*" "$SCRATCH/node2.log")
grep -q "0 not at the venue; 0 unknown open order(s); 0 balance difference(s)" <<<"$line" \
  && ok "reconciled on restart: $line" || bad "reconciliation: $line $(tail -3 "$SCRATCH/node2.log")"

# The wrong key, and a sim whose clock says every token has expired: the venue's reason.
expect_fail "another key's JWT is refused at the start" 1 "HTTP 401 unauthorized: the JWT's signature does not verify with this key" \
  env COINBASE_API_SECRET="$(cat "$SCRATCH/other.pem")" "$NODE" "${node_args[@]}" --set journal.path="$SCRATCH/wrong"
start_cb_sim late --speed 10 --jwt-clock-ahead-s 300
set_node_args
expect_fail "an expired JWT is refused at the start" 1 "the JWT has expired (exp)" \
  "$NODE" "${node_args[@]}" --set journal.path="$SCRATCH/expired"
expect_fail "testnet without keys" 1 "COINBASE_API_KEY" env -u COINBASE_API_KEY "$NODE" "${node_args[@]}" --set journal.path="$SCRATCH/nokey"
expect_fail "testnet pointed at the live venue" 2 "order.mode is \"testnet\" but this is the live venue" \
  "$NODE" "${node_args[@]}" --set journal.path="$SCRATCH/x" --set venue.rest_url=https://api.coinbase.com
expect_fail "orders to another venue than the feed's" 2 "venue.name" \
  "$NODE" "${node_args[@]}" --set journal.path="$SCRATCH/x" --set venue.name=binance

key_line=$(sed -n 2p "$SCRATCH/cb.pem")
cat "$SCRATCH"/*.jsonl "$SCRATCH"/*.log "$SCRATCH"/*.out | grep -qF -e "$key_line" \
  && bad "the private key appears in the journal or a log" || ok "no key in the journal or the logs"
finish
