#!/usr/bin/env bash
# A real third-party client against exchange-sim: ccxt's Binance class (pinned in
# tests/js/package.json, installed by scripts/install-deps.sh) loads the markets, reads the
# balance, buys at market, rests, lists and cancels a limit order, reads its fills, and
# meets Binance's error codes as its own exception classes, all over TLS on loopback. The
# node's own client is tested against the sim elsewhere; this proves the sim speaks
# Binance as others understand it.
source "$(dirname "$0")/lib.sh"
JS=$(cd "$(dirname "$0")/../js" && pwd)
export BINANCE_API_KEY=ccxt-key-5a5a BINANCE_API_SECRET=ccxt-secret-never-shown-7b7b
SIMS=()
trap 'for p in "${SIMS[@]}"; do kill "$p" 2>/dev/null; done; rm -rf "$SCRATCH"' EXIT
if [ ! -d "$JS/node_modules/ccxt" ]; then
  bad "ccxt is not installed in tests/js (scripts/install-deps.sh runs npm ci there)"
  finish
  exit 1
fi

# start_sim NAME ARGS...: starts a simulator; sets PORT and CERT.
start_sim() {
  local name=$1
  shift
  "$TOOLS" exchange-sim --capture "$DATA/btcusdt_20240808_head20k.gz" --cert-out "$SCRATCH/$name.pem" \
    --port-file "$SCRATCH/$name.port" "$@" > "$SCRATCH/$name.out" 2> "$SCRATCH/$name.log" &
  SIMS+=($!)
  for _ in $(seq 100); do [ -s "$SCRATCH/$name.port" ] && break; sleep 0.05; done
  PORT=$(cat "$SCRATCH/$name.port")
  CERT="$SCRATCH/$name.pem"
}
# ccxt MODE ARGS...: runs the ccxt script against the sim last started (its certificate trusted)
ccxt() {
  NODE_EXTRA_CA_CERTS="$CERT" timeout 120 node "$JS/ccxt_against_sim.mjs" "$1" "https://127.0.0.1:$PORT" > "$SCRATCH/$1.out" 2>&1
  local rc=$? n_ok
  cat "$SCRATCH/$1.out"
  n_ok=$(grep -c "^ok: " "$SCRATCH/$1.out")
  [ "$rc" -eq 0 ] && [ "$n_ok" -ge "$2" ] && ok "ccxt $VERSION, $1: $n_ok checks against the sim" \
    || bad "ccxt $VERSION, $1: exit $rc, $n_ok checks passed, $2 expected"
}
VERSION=$(node -p "require('$JS/node_modules/ccxt/package.json').version")
start_sim main --speed 5 --balance USDT=1000
ccxt trade 21
start_sim faulty --speed 5 --burst-429-every 2
ccxt rate-limit 1
grep -q "POST /api/v3/order -> 200" "$SCRATCH/main.log" && ok "the sim logged the orders ccxt placed" || bad "no order in the sim's log"
cat "$SCRATCH"/*.log "$SCRATCH"/*.out | grep -q -e "$BINANCE_API_SECRET" && bad "the secret appears in an output" \
  || ok "the secret appears in no log or output"
finish
