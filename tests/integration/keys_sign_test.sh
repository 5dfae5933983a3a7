#!/usr/bin/env bash
# Credentials on the command line: `sign binance` reproduces Binance's documented example
# signature; `keys encrypt` writes an owner-only file without the secret in it; `keys
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
expect_fail "sign without the secret" 2 "BINANCE_API_SECRET is not set" env -u BINANCE_API_SECRET "$TOOLS" sign binance --query a=1
expect_fail "encrypt without the key" 2 "BINANCE_API_KEY is not set" env -u BINANCE_API_KEY TRADER_KEYS_PASSPHRASE=x "$TOOLS" keys encrypt --out "$SCRATCH/k2"
expect_fail "keys without a verb" 2 "keys" "$TOOLS" keys

# Nothing printed above carries the secret (this log is what CI shows).
{ cat "$SCRATCH"/*.txt; TRADER_KEYS_PASSPHRASE=nope "$TOOLS" keys check "$keyfile" 2>&1; } | grep -q -e "$BINANCE_API_SECRET" \
  && bad "the secret appears in output" || ok "the secret appears in no output"
finish
