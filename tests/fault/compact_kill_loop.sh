#!/usr/bin/env bash
# Compaction under kill -9 (issue 26): compact and expand the main job's journal N times,
# each killed at a random moment of its run. After every kill the journal must verify to
# the same records and chain head, read the same (dump), and be whole in one form or the
# other, never half. Then a run to the end removes what the kills left beside it, and
# the expanded journal holds the original's stored records byte for byte. A file the user
# keeps in the journal's directory (an export) is there, unchanged, after every kill.
#   tests/fault/compact_kill_loop.sh [N]   (default 10; CI runs a small N: ctest -L fault)
source "$(dirname "$0")/defaults.sh"
cd "$(dirname "$TRADER_CONFIG")/.."
N=${1:-10}
RANDOM=26  # reproducible kill moments (in shares of a measured run)

j="$SCRATCH/j"
"$TRADER_NODE" --config "$TRADER_CONFIG" --set journal.path="$j" --set journal.snapshot_every=5000 > /dev/null 2>&1 \
  || bad "node run failed"
mdb_dump -s records "$j" > "$SCRATCH/records.txt"
"$TOOLS" export trades "$j" --csv "$j/trades.csv" > /dev/null  # a user's file in the journal's directory
cp "$j/trades.csv" "$SCRATCH/trades.csv"
"$TOOLS" dump "$j" --json | md5sum > "$SCRATCH/dump.md5"
head=$("$TOOLS" verify "$j" | sed -n 's/^ok: \(.*\)$/\1/p')

# How long one compaction and one expansion take here, to spread the kills over them
# (only that: nothing is asserted on time).
cp -r "$j" "$SCRATCH/timing"
t0=$(date +%s%N)
"$TOOLS" compact "$SCRATCH/timing" > /dev/null || bad "an uninterrupted compaction failed"
t1=$(date +%s%N)
"$TOOLS" compact --expand "$SCRATCH/timing" > /dev/null || bad "an uninterrupted expansion failed"
t2=$(date +%s%N)
compact_ms=$(( (t1 - t0) / 1000000 )) expand_ms=$(( (t2 - t1) / 1000000 ))
echo "an uninterrupted compaction takes $compact_ms ms, an expansion $expand_ms ms"

kills=0 compacted_after=0 as_was=0 leftovers=0
for ((i = 1; i <= N; i++)); do
  if "$TOOLS" stats "$j" | grep -q "compacted"; then args=(--expand); ms=$expand_ms; else args=(); ms=$compact_ms; fi
  # Up to 1.2 times the measured run: some kills land after the end.
  delay_ms=$(( RANDOM % (ms * 12 / 10 + 1) ))
  "$TOOLS" compact "${args[@]}" "$j" > /dev/null 2>&1 &
  pid=$!
  sleep "$(printf '%d.%03d' $((delay_ms / 1000)) $((delay_ms % 1000)))"
  kill -9 "$pid" 2>/dev/null && kills=$((kills + 1))
  wait "$pid" 2>/dev/null
  [ -e "$j.compacting" ] && leftovers=$((leftovers + 1))
  out=$("$TOOLS" verify "$j" 2>&1)
  if [ "$(sed -n 's/^ok: \(.*\)$/\1/p' <<<"$out")" != "$head" ]; then
    bad "after kill $i (${args[*]:-compact} at $delay_ms ms) the journal does not verify the same: $out"
    continue
  fi
  if ! cmp -s "$j/trades.csv" "$SCRATCH/trades.csv"; then
    bad "after kill $i the file kept in the journal's directory is gone or changed"
    continue
  fi
  if ! "$TOOLS" dump "$j" --json | md5sum | cmp -s - "$SCRATCH/dump.md5"; then
    bad "after kill $i the journal reads differently"
    continue
  fi
  if "$TOOLS" stats "$j" | grep -q "compacted"; then now=compacted; else now=expanded; fi
  if { [ "${args[*]:-}" = "--expand" ] && [ "$now" = compacted ]; } || { [ -z "${args[*]:-}" ] && [ "$now" = expanded ]; }; then
    as_was=$((as_was + 1))
  else
    compacted_after=$((compacted_after + 1))
  fi
done
ok "$N runs, $kills killed: every time the journal verified to the same chain and read the same ($as_was left as they were, $compacted_after rewritten; $leftovers left a directory beside it)"
[ "$as_was" -gt 0 ] && ok "kills interrupted rewrites ($as_was), and the journal was whole every time" \
  || bad "no kill interrupted a rewrite: the loop tested nothing"

# A run to the end clears what the kills left, and the expanded journal is the original.
if "$TOOLS" stats "$j" | grep -q "compacted"; then "$TOOLS" compact --expand "$j" > /dev/null || bad "the final expand failed"; fi
"$TOOLS" compact "$j" > /dev/null || bad "the final compact failed"
[ ! -e "$j.compacting" ] && ok "the final compaction removed what the kills left" || bad "$j.compacting is still there"
"$TOOLS" compact --expand "$j" > /dev/null || bad "the final expand failed"
mdb_dump -s records "$j" | cmp -s - "$SCRATCH/records.txt" && ok "expanded at the end: the original stored records, byte for byte" \
  || bad "the expanded records differ from the original"
finish
