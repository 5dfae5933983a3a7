#!/usr/bin/env bash
# Bad input gets one clear line and a non-zero exit, never a crash or a hang:
# missing or non-journal directories, another format version, truncated or corrupted
# files, malformed capture lines, wrong CLI use.
source "$(dirname "$0")/lib.sh"

j="$SCRATCH/j"
"$TOOLS" import binance-capture "$DATA/btcusdt_20240808_head20k.gz" --journal "$j" > /dev/null || bad "setup import"

# ---- directories that are not journals
expect_fail "missing directory" 2 "does not exist" "$TOOLS" stats "$SCRATCH/nope"
mkdir -p "$SCRATCH/empty"
expect_fail "empty directory" 2 "not a journal (no data.mdb)" "$TOOLS" dump "$SCRATCH/empty"
expect_fail "a file, not a directory" 2 "not a directory" "$TOOLS" verify "$DATA/malformed_capture.txt"
mkdir -p "$SCRATCH/junk" && head -c 200000 /dev/urandom > "$SCRATCH/junk/data.mdb"
expect_fail "random bytes as data.mdb" 2 "not an LMDB file" "$TOOLS" stats "$SCRATCH/junk"

# ---- another format version
cp -r "$j" "$SCRATCH/v99"
"$JOURNAL_FAULT" set-meta "$SCRATCH/v99" format_version 99
expect_fail "format v99 (stats)" 2 "format v99, this build reads v1" "$TOOLS" stats "$SCRATCH/v99"
expect_fail "format v99 (import into it)" 2 "format v99, this build reads v1" \
  "$TOOLS" import binance-capture "$DATA/malformed_capture.txt" --journal "$SCRATCH/v99"

# ---- truncated file
cp -r "$j" "$SCRATCH/trunc"
size=$(stat -c %s "$SCRATCH/trunc/data.mdb")
truncate -s $((size / 2)) "$SCRATCH/trunc/data.mdb"
for cmd in stats verify dump; do
  expect_fail "truncated data.mdb ($cmd)" 2 "truncated" "$TOOLS" $cmd "$SCRATCH/trunc"
done

# ---- corrupted pages: overwrite pages of the file with (seeded, reproducible) garbage.
# Whatever LMDB makes of it, each command must end with a one-line error (exit 1 or 2),
# never a signal.
for round in 1 2 3 4 5 6 7; do
  cp -r "$j" "$SCRATCH/pages$round"
  pages=$(( $(stat -c %s "$SCRATCH/pages$round/data.mdb") / 4096 ))
  python3 -c 'import random,sys; random.seed(int(sys.argv[1])); sys.stdout.buffer.write(bytes(random.getrandbits(8) for _ in range(3*4096)))' "$round" |
    dd of="$SCRATCH/pages$round/data.mdb" bs=4096 seek=$(( 2 + (pages - 4) * round / 8 )) count=3 conv=notrunc status=none
  for cmd in verify stats; do
    err=$(timeout 60 "$TOOLS" $cmd "$SCRATCH/pages$round" 2>&1 >/dev/null); rc=$?
    if [ "$rc" -eq 2 ] && grep -q "mdb.c" <<<"$err" && ! grep -q "near journal seq [0-9]*: a corrupted journal file does this" <<<"$err"; then
      bad "corrupted pages round $round ($cmd): LMDB aborted without our explanation: $err"
    elif [ "$rc" -eq 1 ] || [ "$rc" -eq 2 ]; then
      ok "corrupted pages round $round ($cmd): exit $rc: $(head -1 <<<"$err")"
    elif [ "$rc" -eq 0 ] && [ "$cmd" = stats ]; then
      ok "corrupted pages round $round ($cmd): damage outside what stats reads"
    else
      bad "corrupted pages round $round ($cmd): exit $rc: $err"
    fi
  done
done

# ---- malformed capture lines: reported with line numbers, counted, journaled; --strict stops
out=$("$TOOLS" import binance-capture "$DATA/malformed_capture.txt" --journal "$SCRATCH/m" 2>&1); rc=$?
expect_eq "malformed lines: import still succeeds" 0 "$rc"
for line in 4 5 6 8; do
  grep -q "malformed_capture.txt:$line:" <<<"$out" && ok "malformed line $line reported" || bad "line $line not reported: $out"
done
grep -q "malformed lines: 4" <<<"$out" && ok "malformed lines counted" || bad "malformed count: $out"
grep -q "unknown stream: btcusdt@miniTicker *1" <<<"$out" && ok "unknown stream counted" || bad "unknown stream: $out"
expect_eq "malformed lines journaled as error records" 4 "$("$TOOLS" dump "$SCRATCH/m" --type error | wc -l)"
expect_fail "--strict stops at the first malformed line" 1 "malformed_capture.txt:4:" \
  "$TOOLS" import binance-capture "$DATA/malformed_capture.txt" --journal "$SCRATCH/strict" --strict
expect_eq "--strict keeps the records before it" 4 "$("$TOOLS" dump "$SCRATCH/strict" | wc -l)"
gz="$SCRATCH/cut.gz"
zcat "$DATA/btcusdt_20240808_head20k.gz" | gzip -1 | head -c 100000 > "$gz"
expect_fail "truncated gzip capture" 2 "truncated gzip data after line" \
  "$TOOLS" import binance-capture "$gz" --journal "$SCRATCH/cut"
"$TOOLS" verify "$SCRATCH/cut" > /dev/null && ok "lines before the gzip damage are committed and verify" || bad "cut journal"

# ---- a capture imported twice: refused, the journal as it was; --again imports it anyway
before=$("$TOOLS" stats "$j" --json)
expect_fail "the same capture imported again" 2 \
  "btcusdt_20240808_head20k.gz is in this journal already: session 1: btcusdt_20240808_head20k.gz, [0-9]* bytes, which ended at seq 20000 (completed)" \
  "$TOOLS" import binance-capture "$DATA/btcusdt_20240808_head20k.gz" --journal "$j"
expect_eq "...and the journal is as it was" "$before" "$("$TOOLS" stats "$j" --json)"
cp "$DATA/btcusdt_20240808_head20k.gz" "$SCRATCH/renamed.gz"
expect_fail "the same bytes under another name" 2 "renamed.gz is in this journal already: session 1" \
  "$TOOLS" import binance-capture "$SCRATCH/renamed.gz" --journal "$j"
expect_fail "the same bytes twice in one import" 2 "hold the same bytes: a capture is imported once" \
  "$TOOLS" import binance-capture "$DATA/btcusdt_20240808_head20k.gz" "$SCRATCH/renamed.gz" --journal "$SCRATCH/twice"
[ -e "$SCRATCH/twice" ] && bad "the refused import made a journal" || ok "...and made no journal"
cp -r "$j" "$SCRATCH/again"
"$TOOLS" import binance-capture "$SCRATCH/renamed.gz" --journal "$SCRATCH/again" --again > /dev/null \
  && expect_eq "--again imports it anyway" "40000" "$("$TOOLS" stats "$SCRATCH/again" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["records"])')" \
  || bad "--again was refused"

# ---- another venue's capture, or one holding no stream this import reads: refused before
# anything is written (it would be journaled as error records and recorded as imported, and
# the right import of it then refused as a second one), naming the subcommand that reads it
before=$("$TOOLS" stats "$j" --json)
expect_fail "a Coinbase capture given to binance-capture" 2 \
  "coinbase_btcusd_20240808.gz holds no binance message in its 3119 line(s); the first malformed: .*coinbase_btcusd_20240808.gz:1: .*Nothing was imported; it reads as a capture for 'import coinbase-capture'" \
  "$TOOLS" import binance-capture "$DATA/btcusdt_20240808_head20k.gz" "$DATA/coinbase_btcusd_20240808.gz" --journal "$j"
expect_eq "...and the journal is as it was" "$before" "$("$TOOLS" stats "$j" --json)"
expect_fail "...and into a new directory, no journal made" 2 "holds no binance message" \
  "$TOOLS" import binance-capture "$DATA/coinbase_btcusd_20240808.gz" --journal "$SCRATCH/wrong-venue"
[ -e "$SCRATCH/wrong-venue" ] && bad "the refused import made a journal" || ok "...no journal made"
"$TOOLS" import coinbase-capture "$DATA/coinbase_btcusd_20240808.gz" --journal "$SCRATCH/wrong-venue" > /dev/null \
  && ok "...and the right subcommand then imports it" || bad "the right import was refused"
grep miniTicker "$DATA/malformed_capture.txt" > "$SCRATCH/tickers-only.txt"
expect_fail "a capture of streams this import does not read" 2 \
  "tickers-only.txt holds no binance message in its 1 line(s); streams it holds, which are not read: btcusdt@miniTicker (1 line)" \
  "$TOOLS" import binance-capture "$SCRATCH/tickers-only.txt" --journal "$SCRATCH/tickers-only"

# ---- wrong CLI use: say what was expected
expect_fail "no subcommand" 2 "subcommand" "$TOOLS"
expect_fail "unknown subcommand" 2 "frobnicate" "$TOOLS" frobnicate
expect_fail "dump without a directory" 2 "dir is required" "$TOOLS" dump
expect_fail "non-numeric --from" 2 "from" "$TOOLS" dump "$j" --from abc
# Whole numbers are decimal: "-1" was a wrapped unsigned (replay --from 18446744073709551615,
# diff --limit of everything), "010" octal (seq 8).
expect_fail "replay --from -1" 2 "--from: expected a whole number of 0 or more, in decimal" \
  "$TOOLS" replay "$j" --verify --from -1
expect_fail "diff --limit -1" 2 "--limit: expected a whole number of 0 or more, in decimal" "$TOOLS" diff "$j" "$j" --limit -1
expect_fail "train --seed 0x10" 2 "--seed: expected a whole number of 0 or more, in decimal" \
  "$TOOLS" train "$j" --config "${TRADER_CONFIG:?}" --out "$SCRATCH/never.json" --seed 0x10
expect_eq "dump --from 010 is seq 10, not octal 8" 10 "$("$TOOLS" dump "$j" --from 010 --limit 1 | cut -d' ' -f1)"
expect_fail "unknown --type" 2 "expected one of: trade, agg_trade" "$TOOLS" dump "$j" --type nosuch
expect_fail "unknown --source" 2 "expected one of: market_feed" "$TOOLS" dump "$j" --source nobody
expect_fail "bad --since" 2 "expected nanoseconds or an ISO time" "$TOOLS" dump "$j" --since yesterday
expect_fail "import of a missing file" 2 "File does not exist" \
  "$TOOLS" import binance-capture "$SCRATCH/none.gz" --journal "$SCRATCH/x"
expect_fail "import without --journal" 2 "journal is required" "$TOOLS" import binance-capture "$DATA/malformed_capture.txt"
expect_fail "bad --durability" 2 "durability" \
  "$TOOLS" import binance-capture "$DATA/malformed_capture.txt" --journal "$SCRATCH/x" --durability maybe
# A negative fault count or delay is a typo: refused before the simulator starts (it
# would otherwise serve with the fault silently off).
expect_fail "exchange-sim: negative --drop-every" 2 "--drop-every: Value -5 not in range 0" \
  timeout 20 "$TOOLS" exchange-sim --capture "$DATA/btcusdt_20240808_head20k.gz" --drop-every -5
expect_fail "exchange-sim: negative --delay-ms" 2 "--delay-ms: Value -1 not in range 0" \
  timeout 20 "$TOOLS" exchange-sim --capture "$DATA/btcusdt_20240808_head20k.gz" --delay-ms -1
"$TOOLS" dump --help | grep -q -- "--json" && ok "dump --help documents --json" || bad "dump --help"
finish
