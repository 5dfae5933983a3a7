#!/usr/bin/env bash
# A paper session of the node replays --verify identical with the node's decision hash;
# --from and --day start from snapshots; what-if with the same config gives the same
# hash, with a changed risk limit a different one; a tampered record is caught with its
# seq; wrong use of the command says what was expected.
source "$(dirname "$0")/lib.sh"
NODE=${TRADER_NODE:?set TRADER_NODE}
CONFIG=${TRADER_CONFIG:?set TRADER_CONFIG}
cd "$(dirname "$CONFIG")/.."

run="$SCRATCH/paper"
"$NODE" --config "$CONFIG" --set journal.path="$run" --set journal.snapshot_every=5000 > "$SCRATCH/node.txt" 2>/dev/null \
  || bad "node run failed"
node_hash=$(sed -n 's/.*decision hash \([0-9a-f]*\).*/\1/p' "$SCRATCH/node.txt")
[ ${#node_hash} -eq 64 ] && ok "the node prints its decision hash" || bad "no decision hash in: $(cat "$SCRATCH/node.txt")"
stats_hash=$("$TOOLS" stats "$run" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["decision_hash"])')
expect_eq "stats shows the same decision hash" "$node_hash" "$stats_hash"

out=$("$TOOLS" replay "$run" --verify); rc=$?
expect_eq "replay --verify exits 0" 0 "$rc"
records=$("$TOOLS" stats "$run" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["records"])')
expect_eq "replay --verify: identical, every record, the live decision hash" \
  "identical: $records messages, decision hash $node_hash" "$(head -1 <<<"$out")"
grep -q "messages/s" <<<"$out" && ok "replay reports its speed" || bad "no speed: $out"

out=$("$TOOLS" replay "$run" --verify --from 30000)
grep -q "^identical" <<<"$out" && grep -q "from the snapshot at seq" <<<"$out" \
  && ok "replay --from starts at the nearest snapshot" || bad "--from: $out"
out=$("$TOOLS" replay "$run" --verify --day 2023-03-04)
grep -q "^identical" <<<"$out" && ok "replay --day 2023-03-04" || bad "--day: $out"
expect_fail "replay --day with no data" 2 "no records received on 2022-01-01" "$TOOLS" replay "$run" --verify --day 2022-01-01

out=$("$TOOLS" replay "$run" --what-if --config "$CONFIG" --out "$SCRATCH/same")
grep -q "decision hash $node_hash" <<<"$out" && ok "what-if with the same config: same decision hash" || bad "what-if same: $out"
grep -q "^identical: .* decision hash $node_hash" <<<"$("$TOOLS" replay "$SCRATCH/same" --verify)" \
  && ok "the what-if journal verifies clean" || bad "what-if journal does not verify"
out=$("$TOOLS" replay "$run" --what-if --config "$CONFIG" --set risk.max_position_equity=0.05 --out "$SCRATCH/changed")
changed_hash=$(sed -n 's/.*decision hash \([0-9a-f]*\).*/\1/p' <<<"$out")
[ -n "$changed_hash" ] && [ "$changed_hash" != "$node_hash" ] && ok "a changed risk limit changes the decision hash" \
  || bad "changed limit: $out"
"$TOOLS" stats "$SCRATCH/changed" --json | python3 -c '
import json,sys; d=json.load(sys.stdin); assert "what-if" in d["sessions"][0]["node_id"], d["sessions"]' \
  && ok "the what-if session says what it is" || bad "what-if session"

# Tampering: a flipped byte in a record in the middle is caught with its seq.
cp -r "$run" "$SCRATCH/tampered"
"$JOURNAL_FAULT" flip "$SCRATCH/tampered" 20000
expect_fail "replay catches a tampered record" 1 "seq 20000:" "$TOOLS" replay "$SCRATCH/tampered" --verify
expect_fail "verify catches it too" 1 "seq 20000:" "$TOOLS" verify "$SCRATCH/tampered"

# Wrong use.
expect_fail "replay without a mode" 2 "exactly one of --verify or --what-if" "$TOOLS" replay "$run"
expect_fail "replay with both modes" 2 "exactly one of --verify or --what-if" "$TOOLS" replay "$run" --verify --what-if
expect_fail "what-if without --out" 2 "needs --config FILE and --out DIR" "$TOOLS" replay "$run" --what-if --config "$CONFIG"
expect_fail "what-if onto an existing journal" 2 "already holds a journal" \
  "$TOOLS" replay "$run" --what-if --config "$CONFIG" --out "$SCRATCH/same"
# A zero the node refuses is refused by a what-if too (it ran as "no stop", exit 0).
expect_fail "what-if with a stop of 0 in percent mode" 2 "risk.stop_loss_pct: 0 is no stop_loss at all" \
  "$TOOLS" replay "$run" --what-if --config "$CONFIG" --set risk.stop_loss_pct=0 --out "$SCRATCH/nostop"
[ ! -e "$SCRATCH/nostop" ] && ok "...and wrote nothing" || bad "a refused what-if wrote $SCRATCH/nostop"
# A journal is never made among a user's files (what-if and import wrote one there, exit 0).
mkdir -p "$SCRATCH/mine" && echo "my notes" > "$SCRATCH/mine/notes.txt"
expect_fail "what-if into a directory of other files" 2 "is not a journal (it holds notes.txt); a new journal is made only" \
  "$TOOLS" replay "$run" --what-if --config "$CONFIG" --out "$SCRATCH/mine"
expect_fail "import into a directory of other files" 2 "is not a journal (it holds notes.txt); a new journal is made only" \
  "$TOOLS" import binance-capture "$DATA/xrpeth_aggtrade_20191011_head3k.gz" --journal "$SCRATCH/mine"
expect_eq "...and it holds what it held" "notes.txt" "$(ls "$SCRATCH/mine")"
expect_fail "replay of a directory that does not exist" 2 "does not exist" "$TOOLS" replay "$SCRATCH/none" --verify
expect_fail "replay --from after --to" 2 "expected --from <= --to" "$TOOLS" replay "$run" --verify --from 10 --to 5
expect_fail "replay --from past the last record names it" 2 "--from 99999999 is after the journal's last record, seq $records (its records are seq 1..$records)" \
  "$TOOLS" replay "$run" --verify --from 99999999
expect_fail "bad --day" 2 "expected a UTC date" "$TOOLS" replay "$run" --verify --day 3/4/2023
"$TOOLS" import binance-capture "$DATA/xrpeth_aggtrade_20191011_head3k.gz" --journal "$SCRATCH/imp" > /dev/null
expect_fail "verify of an import: nothing to replay" 2 "no node session" "$TOOLS" replay "$SCRATCH/imp" --verify
out=$("$TOOLS" replay "$SCRATCH/imp" --what-if --config "$CONFIG" --set candles.source=agg_trade --set portfolio.quote_asset=ETH \
  --set 'candles.intervals=["1m"]' --out "$SCRATCH/imp-whatif")
ticks=$("$TOOLS" dump "$SCRATCH/imp-whatif" --type clock_tick --json | wc -l)
[ "$ticks" -gt 100 ] && ok "what-if over an import: the feed core derives $ticks clock ticks, as a node's would" \
  || bad "import what-if: $ticks ticks: $out"
grep -q "^identical" <<<"$("$TOOLS" replay "$SCRATCH/imp-whatif" --verify)" && ok "and that journal verifies" || bad "import what-if verify"
finish
