#!/usr/bin/env bash
# The node in testnet mode on KuCoin, against exchange-sim --venue kucoin over real TLS on
# loopback (KuCoin has no public spot sandbox: the sim is the testnet): market data from
# the sim's stream (a fresh token per connection, the first one expired, dropped every
# 300 frames), orders to its REST API on the HF account, every request signed with
# KC-API-* headers and the passphrase's HMAC, which the sim verifies, 429 bursts (KuCoin's
# 429000) every 7 requests, new orders answered only after the node's timeout. The node
# starts from the account's USDT and BTC, trades end to end, looks an unanswered order up
# by clientOid instead of sending it twice, journals every venue answer, and its journal
# verifies and replays identical; a restart reconciles with 0 differences. A wrong
# passphrase, another key and a missing passphrase stop the start with the reason; the
# secrets never appear anywhere.
source "$(dirname "$0")/lib.sh"
node_with_sim_setup unused unused
export KUCOIN_API_KEY=kc-node-key KUCOIN_API_SECRET=kc-node-secret-never-shown KUCOIN_API_PASSPHRASE=kc-node-pass-never-shown

start_kc_sim() {  # start_kc_sim NAME ARGS...: exchange-sim --venue kucoin; PORT, CERT
  local name=$1
  shift
  "$TOOLS" exchange-sim --venue kucoin --capture "$DATA/kucoin_btcusdt_20240808.gz" --cert-out "$SCRATCH/$name.pem" \
    --port-file "$SCRATCH/$name.port" "$@" > "$SCRATCH/$name.out" 2> "$SCRATCH/$name.log" &
  SIM="$SIM $!"
  wait_for_file "$SCRATCH/$name.port"
  PORT=$(cat "$SCRATCH/$name.port")
  CERT="$SCRATCH/$name.pem"
}
start_kc_sim sim --speed 5 --drop-every 300 --burst-429-every 7 --slow-orders-ms 1500 --expire-tokens 1 \
  --balance USDT=2000 --balance BTC=0.01
run="$SCRATCH/testnet"
set_node_args() {  # node_args: the node against the sim last started
  node_args=(--config "$CONFIG" --set order.mode=testnet --set journal.durability=sync \
    --set "venue.rest_url=https://127.0.0.1:$PORT" --set "venue.ca_file=$CERT" --set venue.poll_ms=200 \
    --set venue.timeout_ms=1000 --set feed.source=kucoin --set "feed.url=https://127.0.0.1:$PORT" \
    --set 'feed.symbols=["BTC-USDT@kucoin"]' --set 'feed.channels=["match"]' \
    --set "feed.ca_file=$CERT" --set history.warmup=false \
    --set 'candles.intervals=["5s"]' --set strategy.interval=5s --set strategy.fast_ema=2 --set strategy.slow_ema=4 \
    --set strategy.momentum_candles=2 --set strategy.entry_momentum_bps=0 --set strategy.reentry_cooldown_candles=1 \
    --set risk.stop_loss_pct=0.0005 --set risk.take_profit_pct=0.0005 --set portfolio.quote_asset=USDT)
}
set_node_args
"$NODE" "${node_args[@]}" --set journal.path="$run" > "$SCRATCH/node.out" 2> "$SCRATCH/node.log" &
NODE_PID=$!
for _ in $(seq 600); do grep -q "every frame handed to a client" "$SCRATCH/sim.log" && break; sleep 0.1; done
grep -q "every frame handed to a client" "$SCRATCH/sim.log" && ok "the simulator handed its capture to the node" \
  || bad "sim: $(tail -3 "$SCRATCH/sim.log") node: $(tail -3 "$SCRATCH/node.log")"
# Until every order the sim took has its acceptance and final event journaled (hang guard only).
for _ in $(seq 600); do
  at_sim=$(grep -c "POST /api/v1/hf/orders -> 200" "$SCRATCH/sim.log")
  accepted=$(journal_count "$run" '"kind":"accepted"')
  final=$(journal_count "$run" '"kind":"\(filled\|canceled\|rejected\|expired\)"')
  [ "$at_sim" -gt 0 ] && [ "$accepted" -ge "$at_sim" ] && [ "$final" -ge "$accepted" ] && break
  sleep 0.1
done
stop_node
grep -q "orders testnet at https://127.0.0.1:$PORT" "$SCRATCH/node.log" && ok "the log says where orders go" \
  || bad "start log: $(head -5 "$SCRATCH/node.log")"
line=$(grep -o "venue kucoin: clock offset.*" "$SCRATCH/node.log")
grep -q "market rules of 1 symbol(s) match market.\*; 0 open order(s) from the journal found" <<<"$line" \
  && ok "the start checked the symbol's rules: $line" || bad "start: $line $(tail -3 "$SCRATCH/node.log")"
grep -q "refused as expired" "$SCRATCH/sim.log" && ok "the expired token was refused, and the stream went on with a new one" \
  || bad "no expired token in the sim's log"

"$TOOLS" dump "$run" --json > "$SCRATCH/dump.jsonl"
python3 "$HERE/testnet_journal_check.py" "$SCRATCH/dump.jsonl" "$(grep -c "POST /api/v1/hf/orders -> 200" "$SCRATCH/sim.log")" \
  kucoin BTC-USDT@kucoin USDT '{"USDT": ["2000", ""], "BTC": ["0.01", "BTC-USDT@kucoin"]}' \
  && ok "orders sent once each, every answer journaled, fees in USDT, the start from USDT 2000 and BTC 0.01, every state adds up" \
  || bad "journal content"
"$TOOLS" verify "$run" > /dev/null && ok "journal verifies" || bad "verify"
"$TOOLS" replay "$run" --verify > "$SCRATCH/replay.txt" && ok "$(head -1 "$SCRATCH/replay.txt")" || bad "replay: $(cat "$SCRATCH/replay.txt")"

# Restart on the same journal: reconciled with the venue, the positions held match its balances.
"$NODE" "${node_args[@]}" --set journal.path="$run" --set journal.if_exists=resume > /dev/null 2> "$SCRATCH/node2.log" &
NODE_PID=$!
for _ in $(seq 100); do grep -q "venue kucoin: clock offset" "$SCRATCH/node2.log" && break; sleep 0.1; done
kill -TERM "$NODE_PID"; wait "$NODE_PID"; rc=$?; NODE_PID=""
expect_eq "the resumed node exits 0" 0 "$rc"
line=$(grep -o "venue kucoin: clock offset.*" "$SCRATCH/node2.log")
grep -q "0 not at the venue; 0 unknown open order(s); 0 balance difference(s)" <<<"$line" \
  && ok "reconciled on restart: $line" || bad "reconciliation: $line $(tail -3 "$SCRATCH/node2.log")"

# A wrong passphrase, another key, no passphrase: the start stops with the reason.
expect_fail "a wrong passphrase is refused at the start" 1 "KuCoin 400004: Invalid KC-API-PASSPHRASE" \
  env KUCOIN_API_PASSPHRASE=not-it "$NODE" "${node_args[@]}" --set journal.path="$SCRATCH/wrong"
expect_fail "another key is refused at the start" 1 "KuCoin 400003: KC-API-KEY not exists" \
  env KUCOIN_API_KEY=someone-else "$NODE" "${node_args[@]}" --set journal.path="$SCRATCH/other"
expect_fail "testnet without the passphrase" 1 "KUCOIN_API_PASSPHRASE is not set" \
  env -u KUCOIN_API_PASSPHRASE "$NODE" "${node_args[@]}" --set journal.path="$SCRATCH/nopass"
expect_fail "testnet pointed at the live venue" 2 "order.mode is \"testnet\" but this is the live venue" \
  "$NODE" "${node_args[@]}" --set journal.path="$SCRATCH/x" --set venue.rest_url=https://api.kucoin.com
expect_fail "testnet without a sandbox to go to" 2 "KuCoin has no public spot sandbox" \
  "$NODE" "${node_args[@]}" --set journal.path="$SCRATCH/x" --set venue.rest_url=
expect_fail "live without --confirm-live" 2 "--confirm-live" \
  "$NODE" "${node_args[@]}" --set journal.path="$SCRATCH/x" --set order.mode=live

cat "$SCRATCH"/*.jsonl "$SCRATCH"/*.log "$SCRATCH"/*.out | grep -q -e "never-shown" \
  && bad "a secret appears in the journal or a log" || ok "no secret in the journal or the logs"
finish
