#!/usr/bin/env bash
# trader-tools exchange-sim over real TLS on loopback, driven by curl (REST) and by
# `record binance` (the TLS WebSocket client): time, Binance's signature check and error
# codes, a signed market order filled against the replayed trades, idempotent client
# order ids, order lookup by client id, account, 429 bursts with Retry-After; the stream
# replayed and recorded back into a capture that `import` reads, a refused certificate,
# dropped connections followed by reconnects with the trade-id gap reported, malformed
# frames reported and kept; and no secret in any output.
source "$(dirname "$0")/lib.sh"
export BINANCE_API_KEY=sim-key-0123456789 BINANCE_API_SECRET=sim-secret-do-not-print-9876543210
CAPTURE="$DATA/btcusdt_20240808_head20k.gz"
SIMS=()
trap 'for p in "${SIMS[@]}"; do kill "$p" 2>/dev/null; done; rm -rf "$SCRATCH"' EXIT

# start_sim NAME ARGS...: starts a simulator; sets PORT and CERT.
start_sim() {
  local name=$1
  shift
  "$TOOLS" exchange-sim --capture "$CAPTURE" --cert-out "$SCRATCH/$name.pem" --port-file "$SCRATCH/$name.port" "$@" \
    > "$SCRATCH/$name.out" 2> "$SCRATCH/$name.log" &
  SIMS+=($!)
  wait_for_file "$SCRATCH/$name.port"
  PORT=$(cat "$SCRATCH/$name.port")
  CERT="$SCRATCH/$name.pem"
}
# signed METHOD PATH QUERY [API_KEY]: a signed request (timestamp appended), body to stdout
signed() {
  local q="$3&timestamp=$(date +%s%3N)"
  curl -s --cacert "$CERT" -H "X-MBX-APIKEY: ${4:-$BINANCE_API_KEY}" -X "$1" \
    "https://127.0.0.1:$PORT$2?$q&signature=$("$TOOLS" sign binance --query "$q")"
}

start_sim main --speed 20
[ -n "$PORT" ] && ok "exchange-sim listening on port $PORT" || { bad "exchange-sim did not start: $(cat "$SCRATCH/main.log")"; finish; exit 1; }
grep -q "BEGIN CERTIFICATE" "$CERT" && ok "certificate written" || bad "no certificate"
t=$(curl -s --cacert "$CERT" "https://localhost:$PORT/api/v3/time")
python3 -c "import json,sys,time; t=json.loads(sys.argv[1])['serverTime']; assert abs(t/1000-time.time())<5" "$t" \
  && ok "GET /api/v3/time over TLS, verified against the written certificate ($t)" || bad "time: $t"
expect_eq "a bad signature: -1022" '{"code":-1022,"msg":"Signature for this request is not valid."}' \
  "$(curl -s --cacert "$CERT" -H "X-MBX-APIKEY: $BINANCE_API_KEY" -X POST "https://127.0.0.1:$PORT/api/v3/order?symbol=BTCUSDT&timestamp=$(date +%s%3N)&signature=00")"
expect_eq "a wrong API key: -2015" '{"code":-2015,"msg":"Invalid API-key, IP, or permissions for action."}' \
  "$(signed GET /api/v3/account "" wrong-key)"
expect_eq "an old timestamp: -1021" '{"code":-1021,"msg":"Timestamp for this request is outside of the recvWindow."}' \
  "$(q="timestamp=1499827319559"; curl -s --cacert "$CERT" -H "X-MBX-APIKEY: $BINANCE_API_KEY" "https://127.0.0.1:$PORT/api/v3/account?$q&signature=$("$TOOLS" sign binance --query "$q")")"

# The stream: recorded back through the TLS WebSocket client (this also starts the replay).
"$TOOLS" record binance --url "wss://127.0.0.1:$PORT/stream?streams=btcusdt@trade/btcusdt@bookTicker" --ca-file "$CERT" \
  --frames 3000 --out "$SCRATCH/rec.gz" > "$SCRATCH/rec.out" 2> "$SCRATCH/rec.err" \
  && ok "record: $(cat "$SCRATCH/rec.out")" || bad "record: $(cat "$SCRATCH/rec.err")"
grep -q "0 reconnects, 0 malformed, 0 gaps" "$SCRATCH/rec.out" && ok "clean stream: no reconnect, malformed frame or gap" || bad "$(cat "$SCRATCH/rec.out")"
# A capture is never written over (a restarted recorder used to empty it at once), and a
# full disk is a failed recording, not "recorded N frames".
before=$(md5sum < "$SCRATCH/rec.gz")
expect_fail "record onto an existing capture" 2 "--out $SCRATCH/rec.gz already exists" \
  "$TOOLS" record binance --url "wss://127.0.0.1:$PORT/stream?streams=btcusdt@trade" --ca-file "$CERT" \
  --frames 10 --out "$SCRATCH/rec.gz"
expect_eq "...and the capture is as it was" "$before" "$(md5sum < "$SCRATCH/rec.gz")"
expect_fail "record onto a full disk" 1 "cannot write /dev/full: No space left on device" \
  "$TOOLS" record binance --url "wss://127.0.0.1:$PORT/stream?streams=btcusdt@trade/btcusdt@bookTicker" \
  --ca-file "$CERT" --frames 500 --out /dev/full
"$TOOLS" import binance-capture "$SCRATCH/rec.gz" --journal "$SCRATCH/rec-journal" > "$SCRATCH/import.txt" 2>&1 \
  && ok "the recording imports as a capture" || bad "import: $(cat "$SCRATCH/import.txt")"
# The simulator moves event and trade times to today; all else is the capture's, byte for byte.
times='s/:[0-9]{13}([,}])/:T\1/g'
expected=$(zcat "$CAPTURE" | grep -E '"stream":"btcusdt@(trade|bookTicker)"' | head -3000 | cut -d' ' -f2- | sed -E "$times" | md5sum)
expect_eq "the frames recorded are the capture's, in order" "$expected" "$(zcat "$SCRATCH/rec.gz" | cut -d' ' -f2- | sed -E "$times" | md5sum)"
python3 - "$SCRATCH/rec.gz" <<'PY' && ok "their trade times are today's" || bad "trade times not shifted"
import gzip, json, sys, time
for line in gzip.open(sys.argv[1], "rt"):
    d = json.loads(line.split(" ", 1)[1])["data"]
    if "T" in d:
        assert abs(d["T"] / 1000 - time.time()) < 3600, d
PY

r=$(signed POST /api/v3/order "symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.01&newClientOrderId=n1-seq42")
python3 -c "import json,sys; o=json.loads(sys.argv[1]); assert o['status']=='FILLED' and o['clientOrderId']=='n1-seq42' and o['fills'][0]['commissionAsset']=='BTC', o" "$r" \
  && ok "a signed market order fills against the replayed trades" || bad "order: $r"
expect_eq "the same client order id again: -2010 duplicate" '{"code":-2010,"msg":"Duplicate order sent."}' \
  "$(signed POST /api/v3/order "symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.01&newClientOrderId=n1-seq42")"
r=$(signed GET /api/v3/order "symbol=BTCUSDT&origClientOrderId=n1-seq42")
python3 -c "import json,sys; o=json.loads(sys.argv[1]); assert o['status']=='FILLED' and o['executedQty']=='0.01', o" "$r" \
  && ok "the order is found by its client order id (what a retry does first)" || bad "lookup: $r"
r=$(signed POST /api/v3/order "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.01&price=1000&newClientOrderId=low")
r2=$(signed GET /api/v3/openOrders "symbol=BTCUSDT")
r3=$(signed DELETE /api/v3/order "symbol=BTCUSDT&origClientOrderId=low")
python3 - "$r" "$r2" "$r3" <<'PY' && ok "a resting limit order is open, then canceled" || bad "limit: $r / $r2 / $r3"
import json, sys
new, open_, canceled = (json.loads(a) for a in sys.argv[1:])
assert new["status"] == "NEW" and [o["clientOrderId"] for o in open_] == ["low"] and canceled["status"] == "CANCELED"
PY
r=$(signed GET /api/v3/account "")
python3 -c "
import json,sys; a={b['asset']:b for b in json.loads(sys.argv[1])['balances']}
assert a['BTC']['free']=='0.00999' and a['USDT']['locked']=='0' and float(a['USDT']['free'])<10000, a" "$r" \
  && ok "account: the fill (less the 0.1% fee) and the released lock" || bad "account: $r"

# A certificate the client does not trust: refused at once, not retried.
expect_fail "an untrusted certificate" 2 "certificate verify failed" \
  "$TOOLS" record binance --url "wss://127.0.0.1:$PORT/stream" --frames 5 --out "$SCRATCH/x.gz"
[ -e "$SCRATCH/x.gz" ] && bad "the refused recording left an empty capture" || ok "...and left no empty capture behind"

# Faults: dropped connections, malformed frames, 429 bursts.
start_sim faulty --speed 20 --drop-every 400 --malformed-every 250 --burst-429-every 2
"$TOOLS" record binance --url "wss://127.0.0.1:$PORT/stream?streams=btcusdt@trade/btcusdt@bookTicker" --ca-file "$CERT" \
  --frames 1500 --out "$SCRATCH/faulty.gz" > "$SCRATCH/faulty.out" 2> "$SCRATCH/faulty.err" \
  && ok "record through faults: $(cat "$SCRATCH/faulty.out")" || bad "record: $(tail -3 "$SCRATCH/faulty.err")"
reconnects=$(sed -n 's/.*: \([0-9]*\) reconnects.*/\1/p' "$SCRATCH/faulty.out")
[ "${reconnects:-0}" -ge 3 ] && ok "dropped every 400 frames: $reconnects reconnects with backoff" || bad "reconnects: $(cat "$SCRATCH/faulty.out")"
grep -q "disconnected: .*reconnecting in [0-9]* ms" "$SCRATCH/faulty.err" && ok "each disconnect says why and when it retries" || bad "no disconnect lines"
grep -q "^gap: BTCUSDT trade id" "$SCRATCH/faulty.err" && ok "frames lost while disconnected show as a trade-id gap" || bad "no gap reported"
malformed=$(sed -n 's/.* \([0-9]*\) malformed.*/\1/p' "$SCRATCH/faulty.out")
[ "${malformed:-0}" -ge 3 ] && ok "malformed frames reported ($malformed) and recording went on" || bad "malformed: $(cat "$SCRATCH/faulty.out")"
"$TOOLS" import binance-capture "$SCRATCH/faulty.gz" --journal "$SCRATCH/faulty-journal" > "$SCRATCH/fimport.txt" 2>&1
grep -q "malformed lines: $malformed " "$SCRATCH/fimport.txt" && ok "import counts the same malformed lines, by line number" || bad "import: $(cat "$SCRATCH/fimport.txt")"
codes=""
for i in 1 2 3 4 5; do codes+="$(curl -s -o /dev/null -w '%{http_code}' --cacert "$CERT" "https://127.0.0.1:$PORT/api/v3/ping") "; done
[[ "$codes" == *429* && "$codes" == *200* ]] && ok "429 bursts: $codes" || bad "codes: $codes"
curl -s -D - -o /dev/null --cacert "$CERT" "https://127.0.0.1:$PORT/api/v3/ping" | grep -qi "^x-mbx-used-weight-1m:" \
  && ok "weight header sent" || bad "no weight header"
curl -s -D - -o /dev/null --cacert "$CERT" "https://127.0.0.1:$PORT/api/v3/ping" "https://127.0.0.1:$PORT/api/v3/ping" \
  "https://127.0.0.1:$PORT/api/v3/ping" | grep -qi "^retry-after: 1" && ok "429 carries Retry-After" || bad "no Retry-After"

expect_fail "exchange-sim without credentials" 2 "BINANCE_API_KEY is not set" env -u BINANCE_API_KEY "$TOOLS" exchange-sim --capture "$CAPTURE"
expect_fail "exchange-sim with a bad --listen" 2 "expected HOST:PORT" "$TOOLS" exchange-sim --capture "$CAPTURE" --listen nowhere

cat "$SCRATCH"/*.log "$SCRATCH"/*.out "$SCRATCH"/*.err | grep -q -e "$BINANCE_API_SECRET" && bad "the secret appears in a log" \
  || ok "the secret appears in no log or output"
finish
