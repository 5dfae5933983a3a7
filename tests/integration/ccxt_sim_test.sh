#!/usr/bin/env bash
# A real third-party client against exchange-sim: ccxt's Binance class (pinned in
# tests/js/package.json, installed by scripts/install-deps.sh) loads the markets, reads the
# balance, buys at market, rests, lists and cancels a limit order, reads its fills, and
# meets Binance's error codes as its own exception classes, all over TLS on loopback; its
# USDⓈ-M class does the same on `exchange-sim --venue binance_usdm`, shorting. Then
# ccxt's coinbase class does the same against `exchange-sim --venue coinbase`, signing
# every private request with its own ES256 JWT, which the sim verifies; its kucoin and
# kucoinfutures classes against the KuCoin personalities, with KC-API-* signatures. The node's own
# client is tested against the sim elsewhere; this proves the sim speaks each venue as
# others understand it.
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

# start_sim NAME ARGS...: starts a simulator (on $SIM_CAPTURE, default Binance's); sets PORT and CERT.
start_sim() {
  local name=$1
  shift
  "$TOOLS" exchange-sim --capture "${SIM_CAPTURE:-$DATA/btcusdt_20240808_head20k.gz}" --cert-out "$SCRATCH/$name.pem" \
    --port-file "$SCRATCH/$name.port" "$@" > "$SCRATCH/$name.out" 2> "$SCRATCH/$name.log" &
  SIMS+=($!)
  wait_for_file "$SCRATCH/$name.port"
  PORT=$(cat "$SCRATCH/$name.port")
  CERT="$SCRATCH/$name.pem"
}
# ccxt_script LABEL SCRIPT MODE CHECKS: runs one ccxt script against the sim last started
# (its certificate trusted); at least CHECKS of its checks must pass, none fail.
ccxt_script() {
  NODE_EXTRA_CA_CERTS="$CERT" timeout 120 node "$JS/$2" "$3" "https://127.0.0.1:$PORT" > "$SCRATCH/$1.out" 2>&1
  local rc=$? n_ok
  cat "$SCRATCH/$1.out"
  n_ok=$(grep -c "^ok: " "$SCRATCH/$1.out")
  [ "$rc" -eq 0 ] && [ "$n_ok" -ge "$4" ] && ok "ccxt $VERSION, $1: $n_ok checks against the sim" \
    || bad "ccxt $VERSION, $1: exit $rc, $n_ok checks passed, $4 expected"
}
ccxt() { ccxt_script "$1" ccxt_against_sim.mjs "$1" "$2"; }  # ccxt MODE CHECKS: Binance spot
VERSION=$(node -p "require('$JS/node_modules/ccxt/package.json').version")
start_sim main --speed 5 --balance USDT=1000
ccxt trade 21
start_sim faulty --speed 5 --burst-429-every 2
ccxt rate-limit 1
grep -q "POST /api/v3/order -> 200" "$SCRATCH/main.log" && ok "the sim logged the orders ccxt placed" || bad "no order in the sim's log"

# USDⓈ-M: ccxt's binanceusdm against the sim's /fapi: markets, leverage, a short and its
# fills, a resting limit, the position, the wallet to the unit, fapi's error codes.
SIM_CAPTURE="$DATA/btcusdt_usdm_20240808_trades_book.gz" start_sim usdm --venue binance_usdm --speed 5 --balance USDT=1000 \
  --key-env BINANCE_API_KEY --secret-env BINANCE_API_SECRET
ccxt_script binanceusdm ccxt_usdm_against_sim.mjs trade 17
grep -q "GET /api/v3/" "$SCRATCH/usdm.log" && bad "ccxt's USDⓈ-M class called the spot API" || ok "only /fapi was called"

# Coinbase: a CDP-style key (EC P-256) for the sim's account, and another for a client
# that must be refused.
openssl ecparam -name prime256v1 -genkey -noout -out "$SCRATCH/cb.pem" 2> /dev/null
openssl ecparam -name prime256v1 -genkey -noout -out "$SCRATCH/other.pem" 2> /dev/null
export COINBASE_API_KEY=organizations/sim-org/apiKeys/ccxt-key
COINBASE_API_SECRET=$(cat "$SCRATCH/cb.pem") OTHER_EC_KEY=$(cat "$SCRATCH/other.pem")
export COINBASE_API_SECRET OTHER_EC_KEY
"$TOOLS" exchange-sim --venue coinbase --capture "$DATA/coinbase_btcusd_20240808.gz" --cert-out "$SCRATCH/cb.cert" \
  --port-file "$SCRATCH/cb.port" --speed 5 --balance USD=1000 > "$SCRATCH/cb.out" 2> "$SCRATCH/cb.log" &
SIMS+=($!)
wait_for_file "$SCRATCH/cb.port"
PORT=$(cat "$SCRATCH/cb.port")
CERT="$SCRATCH/cb.cert"
ccxt_script coinbase ccxt_coinbase_against_sim.mjs trade 19
# The sim's JWT checks, with our own signer and curl: the right request passes; the token
# of another request, one of another key name, and none at all are refused, saying why.
cb_get() {  # cb_get PATH TOKEN: the HTTP status and body
  curl -s --cacert "$SCRATCH/cb.cert" -H "Authorization: Bearer $2" -w ' %{http_code}' "https://127.0.0.1:$PORT$1"
}
good=$("$TOOLS" sign coinbase --uri "GET 127.0.0.1:$PORT/api/v3/brokerage/accounts")
[[ $(cb_get /api/v3/brokerage/accounts "$good") == *'"currency":"USD"'*' 200' ]] && ok "a JWT for this request: 200" \
  || bad "a good JWT refused: $(cb_get /api/v3/brokerage/accounts "$good")"
[[ $(cb_get /api/v3/brokerage/transaction_summary "$good") == *"the JWT's uri is not"*' 401' ]] \
  && ok "the JWT of another request: 401, naming the uri" || bad "a JWT for another uri: $(cb_get /api/v3/brokerage/transaction_summary "$good")"
stranger=$(COINBASE_API_KEY=organizations/sim-org/apiKeys/other "$TOOLS" sign coinbase --uri "GET 127.0.0.1:$PORT/api/v3/brokerage/accounts")
[[ $(cb_get /api/v3/brokerage/accounts "$stranger") == *"kid is not this API key"*' 401' ]] \
  && ok "another key name: 401" || bad "another key name: $(cb_get /api/v3/brokerage/accounts "$stranger")"
[[ $(curl -s --cacert "$SCRATCH/cb.cert" -w ' %{http_code}' "https://127.0.0.1:$PORT/api/v3/brokerage/accounts") == *'Bearer <JWT> is required'*' 401' ]] \
  && ok "no token: 401" || bad "no token was not refused"
[[ $(curl -s --cacert "$SCRATCH/cb.cert" -w ' %{http_code}' "https://127.0.0.1:$PORT/api/v3/brokerage/market/products") == *'"product_id":"BTC-USD"'*' 200' ]] \
  && ok "public products need no token" || bad "public products"
expect_fail "a Coinbase sim whose secret is not an EC key" 2 "COINBASE_API_SECRET: the API secret is not a PEM EC private key" \
  env COINBASE_API_SECRET=not-a-key "$TOOLS" exchange-sim --venue coinbase --capture "$DATA/coinbase_btcusd_20240808.gz"
# KuCoin: ccxt's kucoin class signs with KC-API-* headers and the passphrase's HMAC, which
# the sim checks; a burst of 429s reads as its RateLimitExceeded.
export KUCOIN_API_KEY=ccxt-kc-key KUCOIN_API_SECRET=ccxt-kc-secret-never-shown KUCOIN_API_PASSPHRASE=ccxt-kc-pass-never-shown
export SIM_CAPTURE="$DATA/kucoin_btcusdt_20240808.gz"
start_sim kucoin --venue kucoin --speed 5 --balance USDT=1000
ccxt_script kucoin-trade ccxt_kucoin_against_sim.mjs trade 21
start_sim kucoin-faulty --venue kucoin --burst-429-every 2
ccxt_script kucoin-rate-limit ccxt_kucoin_against_sim.mjs rate-limit 2
# KuCoin Futures: ccxt's kucoinfutures class: the contract as a market in lots, margin mode
# and cross leverage, a short and its fills, lookups, the position, the account, and
# KuCoin Futures' error codes as ccxt's classes.
export KUCOIN_FUTURES_API_KEY=ccxt-kf-key KUCOIN_FUTURES_API_SECRET=ccxt-kf-secret-never-shown \
  KUCOIN_FUTURES_API_PASSPHRASE=ccxt-kf-pass-never-shown
SIM_CAPTURE="$DATA/kucoin_futures_xbtusdtm_20240808.gz" start_sim kucoinfutures --venue kucoin_futures --speed 5 --balance USDT=1000
ccxt_script kucoinfutures ccxt_kucoinfutures_against_sim.mjs trade 24
grep -q "POST /api/v1/orders -> 200" "$SCRATCH/kucoinfutures.log" && ok "the sim logged the futures orders ccxt placed" \
  || bad "no futures order in the sim's log"
cat "$SCRATCH"/*.log "$SCRATCH"/*.out | grep -q -e "$BINANCE_API_SECRET" -e "BEGIN EC PRIVATE" -e "$(sed -n 2p "$SCRATCH/cb.pem")" -e "never-shown" \
  && bad "a secret appears in an output" || ok "no secret appears in any log or output"
finish
