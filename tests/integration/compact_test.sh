#!/usr/bin/env bash
# Compaction (issue 26): the main job's journal, compacted, reads exactly as before through
# every reader (dump, stats, verify, replay --verify and --what-if, export, explain, project,
# train), is refused to a resume with the way back, and expands to the same stored records
# byte for byte. A journal being written, or not sealed, is refused; wrong use exits 2.
source "$(dirname "$0")/lib.sh"
NODE=${TRADER_NODE:?set TRADER_NODE}
CONFIG=${TRADER_CONFIG:?set TRADER_CONFIG}
cd "$(dirname "$CONFIG")/.."

run="$SCRATCH/run"
"$NODE" --config "$CONFIG" --set journal.path="$run" --set journal.snapshot_every=5000 > "$SCRATCH/node.txt" 2>&1 \
  || bad "node run failed: $(tail -2 "$SCRATCH/node.txt")"
node_hash=$(sed -n 's/.*decision hash \([0-9a-f]*\).*/\1/p' "$SCRATCH/node.txt")

# Everything a reader shows, as text: run before and after compaction, compared whole.
readers() {
  local dir=$1 out=$2
  mkdir -p "$out"
  "$TOOLS" dump "$dir" --json > "$out/dump.jsonl"
  "$TOOLS" dump "$dir" --type order_event --from 20000 > "$out/dump-filtered.txt"
  "$TOOLS" stats "$dir" --json | python3 -c '
import json, sys
s = json.load(sys.stdin)
for k in ("file_bytes", "compacted"): s.pop(k)  # what compaction changes, and nothing else
print(json.dumps(s, sort_keys=True))' > "$out/stats.json"
  "$TOOLS" verify "$dir" > "$out/verify.txt"
  "$TOOLS" replay "$dir" --verify | head -1 > "$out/replay.txt"
  "$TOOLS" replay "$dir" --verify --from 30000 | head -1 > "$out/replay-from.txt"
  "$TOOLS" replay "$dir" --what-if --config "$CONFIG" --set risk.max_position_equity=0.05 --out "$out/whatif" \
    | grep -o "decision hash [0-9a-f]*" > "$out/whatif.txt"
  rm -rf "$out/whatif"
  "$TOOLS" export trades "$dir" --csv "$out/trades.csv"
  "$TOOLS" explain "$dir" --order c318 > "$out/explain.txt"  # the README's order
  "$TOOLS" project "$dir" --db "sqlite:$out/read.db" > /dev/null
  python3 -c '
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
for (t,) in db.execute("select name from sqlite_master where type = \"table\" order by name"):
    for row in db.execute(f"select * from {t}"): print(t, row)' "$out/read.db" > "$out/tables.txt"
  rm -f "$out/read.db"
  "$TOOLS" train "$dir" --config "$CONFIG" --out "$out/model.json" --horizon 15m --rounds 20 > /dev/null
}
readers "$run" "$SCRATCH/before"
cp "$SCRATCH/before/trades.csv" "$run/trades.csv"  # as the main job leaves its export there
mdb_dump -s records "$run" > "$SCRATCH/records-before.txt"
bytes_before=$(stat -c %s "$run/data.mdb")

out=$("$TOOLS" compact "$run"); rc=$?
expect_eq "compact exits 0" 0 "$rc"
records=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["records"])' "$SCRATCH/before/stats.json")
grep -q "^compacted $run: $records records in [0-9]* blocks, data.mdb $bytes_before -> [0-9]* bytes" <<<"$out" \
  && ok "compact reports its records and what it saved: $(head -1 <<<"$out")" || bad "compact said: $out"
bytes_after=$(stat -c %s "$run/data.mdb")
[ "$bytes_after" -lt $((bytes_before / 2)) ] && ok "data.mdb at least halves ($bytes_before -> $bytes_after bytes)" \
  || bad "data.mdb $bytes_before -> $bytes_after bytes"
[ ! -e "$run.compacting" ] && ok "nothing is left beside the journal" || bad "$run.compacting is left"
cmp -s "$run/trades.csv" "$SCRATCH/before/trades.csv" && ok "a file kept in the journal's directory is still there" \
  || bad "trades.csv kept in the journal's directory is gone or changed"
# The format the journal was created in: v2, or v1 in the journal_v1 run.
grep -q "^format       v${TRADER_JOURNAL_FORMAT:-2}, compacted" <<<"$("$TOOLS" stats "$run")" \
  && ok "stats says it is compacted, in the format it was written in" \
  || bad "stats: $("$TOOLS" stats "$run" | head -3)"

readers "$run" "$SCRATCH/after"
for f in dump.jsonl dump-filtered.txt stats.json verify.txt replay.txt replay-from.txt whatif.txt trades.csv explain.txt \
  tables.txt model.json; do
  if [ -s "$SCRATCH/before/$f" ] && cmp -s "$SCRATCH/before/$f" "$SCRATCH/after/$f"; then
    ok "$f is the same from the compacted journal ($(stat -c %s "$SCRATCH/after/$f") bytes)"
  else
    bad "$f differs (or is empty) after compaction"
  fi
done
grep -q "^identical: $records messages, decision hash $node_hash" "$SCRATCH/after/replay.txt" \
  && ok "replay --verify of the compacted journal: identical, the live decision hash" || bad "replay: $(cat "$SCRATCH/after/replay.txt")"
[ "$(grep -c "" "$SCRATCH/after/trades.csv")" -gt 1 ] && ok "the export holds fills" || bad "no fills exported"

# Read-only: a resume is refused, says how to undo compaction, and changes nothing.
expect_fail "a resume of a compacted journal" 1 "is compacted, and a compacted journal opens read-only.*compact --expand" \
  "$NODE" --config "$CONFIG" --set journal.path="$run" --set journal.if_exists=resume
expect_fail "import into a compacted journal" 2 "compact --expand" \
  "$TOOLS" import binance-capture "$DATA/btcusdt_trades_20240808.gz" --journal "$run"
expect_eq "the refused writers changed nothing" "$(cat "$SCRATCH/after/verify.txt")" "$("$TOOLS" verify "$run")"

# A damaged block (a bad disk, an edit) is named by its seqs, never read short.
cp -r "$run" "$SCRATCH/damaged"
rm -f "$SCRATCH/damaged/trades.csv"
"${JOURNAL_FAULT:?set JOURNAL_FAULT}" flip "$SCRATCH/damaged" 30000 -1 || bad "journal-fault could not damage the block"
expect_fail "verify of a damaged compacted block" 1 "corrupt: seq [0-9]*\.\.[0-9]*: damaged compacted block" \
  "$TOOLS" verify "$SCRATCH/damaged"
expect_fail "dump of a damaged compacted block" 1 "damaged compacted block" "$TOOLS" dump "$SCRATCH/damaged"
expect_fail "replay of a damaged compacted block" 1 "damaged compacted block" "$TOOLS" replay "$SCRATCH/damaged" --verify

# Wrong use.
expect_fail "compact twice: a mistake in the command" 2 "is already compacted (.compact --expand. restores its records)" "$TOOLS" compact "$run"
expect_fail "compact without a directory" 2 "dir is required" "$TOOLS" compact
expect_fail "compact of a missing journal" 2 "does not exist" "$TOOLS" compact "$SCRATCH/none"
expect_fail "compact with a bad level" 2 "level" "$TOOLS" compact "$run" --level 40

# Expanded: the stored records byte for byte, and a journal a writer continues.
out=$("$TOOLS" compact --expand "$run"); rc=$?
expect_eq "compact --expand exits 0" 0 "$rc"
grep -q "^expanded $run: $records records" <<<"$out" && ok "expand reports: $(head -1 <<<"$out")" || bad "expand said: $out"
mdb_dump -s records "$run" > "$SCRATCH/records-after.txt"
cmp -s "$SCRATCH/records-before.txt" "$SCRATCH/records-after.txt" \
  && ok "expanded: every stored record byte for byte as before ($(grep -c "" "$SCRATCH/records-after.txt") dump lines)" \
  || bad "the expanded records differ from the original"
expect_fail "expand twice" 2 "is not compacted: nothing to expand" "$TOOLS" compact --expand "$run"

cmp -s "$run/trades.csv" "$SCRATCH/before/trades.csv" && ok "and still there after expand" || bad "trades.csv lost by expand"

# journal.compact_at_end: the node compacts its journal once the session has ended.
auto="$SCRATCH/auto"
out=$("$NODE" --config "$CONFIG" --set journal.path="$auto" --set journal.compact_at_end=true 2>/dev/null); rc=$?
expect_eq "a node with journal.compact_at_end exits 0" 0 "$rc"
grep -q "^  compacted     data.mdb [0-9]* -> [0-9]* bytes (journal.compact_at_end; read-only now)" <<<"$out" \
  && ok "its summary says the journal was compacted" || bad "no compaction in the summary: $(tail -3 <<<"$out")"
grep -q "compacted (read-only" <<<"$("$TOOLS" stats "$auto")" && ok "the journal it leaves is compacted" \
  || bad "the journal is not compacted"
grep -q "^identical: $records messages, decision hash $node_hash" <<<"$("$TOOLS" replay "$auto" --verify)" \
  && ok "and replays identical, with the same decision hash" || bad "the auto-compacted journal does not replay"

# A journal being written is refused (the writer lock), and so is a session not ended.
live="$SCRATCH/live"
"$NODE" --config "$CONFIG" --set journal.path="$live" --set feed.speed=2000 > "$SCRATCH/live.txt" 2>&1 &
pid=$!
for _ in $(seq 3000); do [ "$(cat "$live/writer.lock" 2>/dev/null)" = "$pid" ] && break; sleep 0.01; done
expect_fail "compact of a journal a node is writing" 1 "already open for writing by process $pid" "$TOOLS" compact "$live"
kill -9 "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
expect_fail "compact of a session that has not ended (killed)" 1 "has not ended.*end it first" "$TOOLS" compact "$live"
[ ! -e "$live.compacting" ] && "$TOOLS" verify "$live" > /dev/null && ok "the refused journals are left as they were" \
  || bad "a refused compaction left something"
finish
