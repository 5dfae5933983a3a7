#!/usr/bin/env bash
# Credentials on the command line: `sign binance` reproduces Binance's documented example
# signature; `sign coinbase` makes a JWT whose claims are Coinbase's and whose ES256
# signature openssl verifies with the key's public part; `sign kucoin` gives the headers
# KuCoin checks; `keys encrypt` writes an owner-only file without the secret in it; `keys
# check` opens it with the right passphrase only; no output or error shows the secret.
source "$(dirname "$0")/lib.sh"

# Binance's documented example pair (public, from the API docs).
export BINANCE_API_KEY=vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A
export BINANCE_API_SECRET=NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j
query='symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559'
expect_eq "sign binance: the documented example signature" c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71 \
  "$("$TOOLS" sign binance --query "$query")"
expect_eq "sign agrees with openssl" "$(printf '%s' "$query" | openssl dgst -sha256 -hmac "$BINANCE_API_SECRET" | sed 's/.*= //')" \
  "$("$TOOLS" sign binance --query "$query")"

keyfile="$SCRATCH/binance.keys"
TRADER_KEYS_PASSPHRASE='correct horse' "$TOOLS" keys encrypt --out "$keyfile" > "$SCRATCH/out.txt" 2>&1 \
  && ok "keys encrypt" || bad "keys encrypt: $(cat "$SCRATCH/out.txt")"
expect_eq "key file is owner-only" 600 "$(stat -c %a "$keyfile")"
grep -q -e "$BINANCE_API_SECRET" -e "$BINANCE_API_KEY" -e NhqPtmdS "$keyfile" && bad "the key file holds the key or secret in clear" \
  || ok "neither key nor secret in the key file"
echo 'correct horse' | "$TOOLS" keys check "$keyfile" > "$SCRATCH/check.txt" 2>&1 && grep -q "64-character secret" "$SCRATCH/check.txt" \
  && ok "keys check with the passphrase on stdin: $(cat "$SCRATCH/check.txt")" || bad "keys check: $(cat "$SCRATCH/check.txt")"
expect_fail "wrong passphrase" 1 "wrong passphrase" env TRADER_KEYS_PASSPHRASE=nope "$TOOLS" keys check "$keyfile"
expect_fail "no passphrase and no input" 2 "set TRADER_KEYS_PASSPHRASE" "$TOOLS" keys check "$keyfile" < /dev/null
expect_fail "an existing file is not replaced" 2 "use --force" env TRADER_KEYS_PASSPHRASE=x "$TOOLS" keys encrypt --out "$keyfile"
# A one-letter passphrase protected a live key against anyone who copied the file (exit 0).
expect_fail "a short passphrase is refused, and no file written" 2 "the passphrase has 5 characters; a key file's needs at least 12" \
  env TRADER_KEYS_PASSPHRASE=horse "$TOOLS" keys encrypt --out "$SCRATCH/weak.keys"
[ -e "$SCRATCH/weak.keys" ] && bad "a refused passphrase left a key file" || ok "...no key file written"
expect_fail "sign without the secret" 2 "BINANCE_API_SECRET is not set" env -u BINANCE_API_SECRET "$TOOLS" sign binance --query a=1
expect_fail "encrypt without the key" 2 "BINANCE_API_KEY is not set" env -u BINANCE_API_KEY TRADER_KEYS_PASSPHRASE=x "$TOOLS" keys encrypt --out "$SCRATCH/k2"
expect_fail "keys without a verb" 2 "keys" "$TOOLS" keys

# Coinbase: a CDP-style key (EC P-256, SEC1 PEM) made by openssl; the token is checked by
# openssl with the public key, not by the code that made it.
openssl ecparam -name prime256v1 -genkey -noout -out "$SCRATCH/cb.pem" 2> /dev/null
openssl ec -in "$SCRATCH/cb.pem" -pubout -out "$SCRATCH/cb.pub" 2> /dev/null
export COINBASE_API_KEY=organizations/test-org/apiKeys/test-key
COINBASE_API_SECRET=$(cat "$SCRATCH/cb.pem")
export COINBASE_API_SECRET
before=$(date +%s)
token=$("$TOOLS" sign coinbase --uri "GET api.coinbase.com/api/v3/brokerage/accounts" 2> "$SCRATCH/cb-err.txt")
after=$(date +%s)
python3 - "$token" "$SCRATCH/cb" "$before" "$after" <<'PY' && ok "sign coinbase: Coinbase's header and claims" || bad "sign coinbase claims: $token"
import base64, json, sys
token, out, before, after = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
h, c, s = token.split(".")
dec = lambda x: base64.urlsafe_b64decode(x + "=" * (-len(x) % 4))
header, claims, sig = json.loads(dec(h)), json.loads(dec(c)), dec(s)
assert header["alg"] == "ES256" and header["typ"] == "JWT" and header["kid"] == "organizations/test-org/apiKeys/test-key", header
assert len(header["nonce"]) == 32, header
assert claims["sub"] == header["kid"] and claims["iss"] == "cdp", claims
assert before <= claims["nbf"] <= after and claims["exp"] == claims["nbf"] + 120, claims
assert claims["uri"] == "GET api.coinbase.com/api/v3/brokerage/accounts", claims
# r || s -> DER, for openssl dgst
def der_int(b):
    b = b.lstrip(b"\0") or b"\0"
    if b[0] & 0x80: b = b"\0" + b
    return b"\x02" + bytes([len(b)]) + b
body = der_int(sig[:32]) + der_int(sig[32:])
open(out + ".sig", "wb").write(b"\x30" + bytes([len(body)]) + body)
open(out + ".input", "wb").write((h + "." + c).encode())
PY
openssl dgst -sha256 -verify "$SCRATCH/cb.pub" -signature "$SCRATCH/cb.sig" "$SCRATCH/cb.input" > /dev/null 2>&1 \
  && ok "openssl verifies the token's ES256 signature with the public key" || bad "openssl does not verify the token"
second=$("$TOOLS" sign coinbase 2> /dev/null)
python3 -c 'import base64,json,sys; c=sys.argv[1].split(".")[1]; d=json.loads(base64.urlsafe_b64decode(c+"="*(-len(c)%4))); sys.exit("uri" in d)' "$second" \
  && ok "without --uri: a WebSocket token, no uri claim" || bad "a WebSocket token has a uri"
[ "$(cut -d. -f1 <<<"$token")" != "$(cut -d. -f1 <<<"$second")" ] && ok "each token has its own nonce" || bad "nonce repeated"
expect_fail "sign coinbase with a secret that is not a key" 2 "not a PEM EC private key" \
  env COINBASE_API_SECRET=not-a-key-at-all "$TOOLS" sign coinbase
expect_fail "sign coinbase without the key name" 2 "COINBASE_API_KEY is not set" env -u COINBASE_API_KEY "$TOOLS" sign coinbase
{ "$TOOLS" sign coinbase --uri x 2>&1; env COINBASE_API_SECRET=not-a-key-at-all "$TOOLS" sign coinbase 2>&1; } \
  | grep -q -e "BEGIN EC PRIVATE" -e "not-a-key-at-all" && bad "a Coinbase secret appears in output" || ok "no Coinbase secret in output"

# sign kucoin: the headers KuCoin checks, equal to an independent computation (python3's
# hmac), for a POST with a body; a KuCoin key file keeps the API passphrase.
export KUCOIN_API_KEY=kc-key-0001 KUCOIN_API_SECRET=kc-secret-never-shown-5a5a KUCOIN_API_PASSPHRASE='kc pass-never-shown'
"$TOOLS" sign kucoin --method POST --endpoint /api/v1/hf/orders --body '{"clientOid":"c7","side":"buy"}' \
  --timestamp 1723161255342 > "$SCRATCH/kc.txt" 2>&1 || bad "sign kucoin: $(cat "$SCRATCH/kc.txt")"
python3 - "$SCRATCH/kc.txt" <<'PY' && ok "sign kucoin: KC-API-SIGN and KC-API-PASSPHRASE as KuCoin computes them" || bad "sign kucoin: $(cat "$SCRATCH/kc.txt")"
import base64, hashlib, hmac, os, sys
h = dict(l.split(": ", 1) for l in open(sys.argv[1]).read().splitlines())
mac = lambda m: base64.b64encode(hmac.new(os.environ["KUCOIN_API_SECRET"].encode(), m.encode(), hashlib.sha256).digest()).decode()
assert h["KC-API-KEY"] == "kc-key-0001" and h["KC-API-TIMESTAMP"] == "1723161255342" and h["KC-API-KEY-VERSION"] == "2", h
assert h["KC-API-SIGN"] == mac('1723161255342POST/api/v1/hf/orders{"clientOid":"c7","side":"buy"}'), h
assert h["KC-API-PASSPHRASE"] == mac(os.environ["KUCOIN_API_PASSPHRASE"]), h
PY
expect_fail "sign kucoin without the passphrase" 2 "KUCOIN_API_PASSPHRASE is not set" \
  env -u KUCOIN_API_PASSPHRASE "$TOOLS" sign kucoin --endpoint /api/v1/accounts
expect_fail "sign kucoin with another key version" 2 "key-version" "$TOOLS" sign kucoin --endpoint /api/v1/accounts --key-version 1
TRADER_KEYS_PASSPHRASE='correct horse' "$TOOLS" keys encrypt --out "$SCRATCH/kc.keys" --key-env KUCOIN_API_KEY \
  --secret-env KUCOIN_API_SECRET --api-passphrase-env KUCOIN_API_PASSPHRASE > "$SCRATCH/kc-enc.txt" 2>&1 || bad "keys encrypt (kucoin)"
TRADER_KEYS_PASSPHRASE='correct horse' "$TOOLS" keys check "$SCRATCH/kc.keys" > "$SCRATCH/kc-check.txt" 2>&1
grep -q ", an API passphrase" "$SCRATCH/kc-check.txt" && ok "a KuCoin key file keeps the API passphrase: $(cat "$SCRATCH/kc-check.txt")" \
  || bad "keys check (kucoin): $(cat "$SCRATCH/kc-check.txt")"
grep -q -e never-shown "$SCRATCH/kc.keys" "$SCRATCH"/kc*.txt && bad "a KuCoin secret appears in a file or output" \
  || ok "no KuCoin secret or passphrase in the key file or any output"

# Nothing printed above carries the secret (this log is what CI shows).
{ cat "$SCRATCH"/*.txt; TRADER_KEYS_PASSPHRASE=nope "$TOOLS" keys check "$keyfile" 2>&1; } | grep -q -e "$BINANCE_API_SECRET" \
  && bad "the secret appears in output" || ok "the secret appears in no output"
finish
