#!/usr/bin/env bash
# Crash recovery under fault injection: run the node on recorded data, kill -9 it at
# random moments N times, resuming the journal each time (journal.if_exists = "resume"),
# then let it finish. At the end the journal must verify, replay --verify identical, hold
# exactly the records of an uninterrupted run (none missing, none twice: the same journal
# record for record, so the same orders and the same final portfolio), and send no client
# order id twice.
#   tests/fault/kill_loop.sh [N] [capture file] [KEY=VALUE...]   (defaults: 5, the bundled 7 days;
#   KEY=VALUE: more config settings, e.g. feed.capture_venue=coinbase)
# The first run also meets racing second writers: a node with "replace" and one with
# "resume" on the same journal, both refused while the first holds it (no journal lost).
# Run from the repository root after building; CI runs it with a small N (ctest -L fault).
source "$(dirname "$0")/defaults.sh"
NODE=$TRADER_NODE
CONFIG=$TRADER_CONFIG
cd "$(dirname "$CONFIG")/.."
N=${1:-5}
CAPTURE=${2:-tests/data/btcusdc_kline1m_20230301-07.gz}
RANDOM=42  # reproducible kill times
common=(--config "$CONFIG" --set "feed.files=[\"$CAPTURE\"]" --set journal.snapshot_every=5000)
for setting in "${@:3}"; do common+=(--set "$setting"); done

# Pace the runs so the kills spread over the whole capture: the paced runs (killed after
# 0.2 s on average) cover about half of it together, the full-speed ones a few % each.
first_ns=$(zcat -f "$CAPTURE" | head -1 | cut -d' ' -f1)
last_ns=$(zcat -f "$CAPTURE" | tail -1 | cut -d' ' -f1)
paced=$(( (last_ns - first_ns) / 1000000000 * 100 / (36 * N) + 1 ))
# The first run must outlive the racing writers' starts, however busy the machine: paced to
# last a minute (the 3-minute Coinbase capture at 1000x lasted 0.18 s, and a racer started
# after it ended was let in); it is killed once they were refused.
racing_speed=$(( (last_ns - first_ns) / 1000000000 / 60 + 1 ))

start=$(date +%s)
"$NODE" "${common[@]}" --set journal.path="$SCRATCH/reference" > /dev/null 2>&1 || bad "reference run failed"

crash="$SCRATCH/crashed"
kills=0 resumes=0 completed=0 finished=0 races=0
for ((i = 1; i <= N; i++)); do
  # Mostly paced runs (they commit between inputs); every tenth at full speed, where group
  # commits fall inside causal chains, so a kill can leave a chain half journaled.
  full=$([ $((i % 10)) -eq 0 ] && echo 1 || echo 0)
  speed=$([ "$full" = 1 ] && echo '"max"' || echo "$paced")
  [ "$i" = 1 ] && speed=$racing_speed
  "$NODE" "${common[@]}" --set journal.path="$crash" --set journal.if_exists=resume --set feed.speed="$speed" \
    > "$SCRATCH/run.txt" 2>&1 &
  pid=$!
  if [ "$i" = 1 ]; then
    # The first run is slow enough to outlive the race: once it holds the journal, a
    # second writer of either kind is refused and changes nothing.
    held=no
    for _ in $(seq 3000); do [ "$(cat "$crash/writer.lock" 2>/dev/null)" = "$pid" ] && { held=yes; break; }; sleep 0.01; done
    [ "$held" = yes ] || bad "the first run did not take the journal within 30 s: $(tail -2 "$SCRATCH/run.txt")"
    for mode in replace resume; do
      if "$NODE" "${common[@]}" --set journal.path="$crash" --set journal.if_exists=$mode > /dev/null 2> "$SCRATCH/race.txt"; then
        bad "a racing writer ($mode) was let in: $(tail -1 "$SCRATCH/race.txt")"
      elif grep -q "open for writing by process $pid" "$SCRATCH/race.txt"; then
        races=$((races + 1))
      else
        bad "a racing writer ($mode) failed for another reason: $(tail -1 "$SCRATCH/race.txt")"
      fi
    done
  fi
  sleep "0.$(printf '%03d' $([ "$full" = 1 ] && echo $((20 + RANDOM % 40)) || echo $((RANDOM % 400))))"
  if kill -9 "$pid" 2>/dev/null; then kills=$((kills + 1)); else finished=$((finished + 1)); fi
  wait "$pid" 2>/dev/null
  [ -n "${KILL_LOOP_DEBUG:-}" ] && tail -2 "$SCRATCH/run.txt"
  if grep -q "\] resumed session" "$SCRATCH/run.txt"; then
    resumes=$((resumes + 1))
    c=$(sed -n 's/.*\] resumed session.*matched, \([0-9]*\) completed after the crash.*/\1/p' "$SCRATCH/run.txt")
    completed=$((completed + ${c:-0}))
  fi
done
"$NODE" "${common[@]}" --set journal.path="$crash" --set journal.if_exists=resume > "$SCRATCH/final.txt" 2>&1 \
  || bad "the final resume failed: $(cat "$SCRATCH/final.txt")"
c=$(sed -n 's/.*\] resumed session.*matched, \([0-9]*\) completed after the crash.*/\1/p' "$SCRATCH/final.txt")
completed=$((completed + ${c:-0}))

"$TOOLS" verify "$crash" > /dev/null && ok "the journal verifies (checksums, hash chain)" || bad "verify failed"
out=$("$TOOLS" replay "$crash" --verify)
grep -q "^identical" <<<"$out" && ok "replay --verify: $(head -1 <<<"$out")" || bad "replay: $out"
if cmp -s <("$TOOLS" dump "$SCRATCH/reference" --json) <("$TOOLS" dump "$crash" --json); then
  ok "record for record the journal of the uninterrupted run: no committed record missing, none twice"
else
  bad "the crashed journal differs from the uninterrupted one"
fi
dups=$("$TOOLS" dump "$crash" --type order_request --json |
  python3 -c 'import json,sys,collections; c=collections.Counter(json.loads(l)["body"]["client_order_id"] for l in sys.stdin if not json.loads(l)["body"]["cancel"]); print(sum(1 for v in c.values() if v > 1), len(c))')
expect_eq "no client order id sent twice (duplicates, orders)" "0" "${dups%% *}"
last_portfolio() { "$TOOLS" dump "$1" --type portfolio_state --json | tail -1 | python3 -c 'import json,sys; print(json.dumps(json.loads(sys.stdin.read())["body"], sort_keys=True))'; }
expect_eq "the final portfolio equals the uninterrupted run's" "$(last_portfolio "$SCRATCH/reference")" "$(last_portfolio "$crash")"
sessions=$("$TOOLS" stats "$crash" --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["sessions"]))')
echo "kill_loop: $N runs, $races racing writers refused, $kills killed with SIGKILL, $finished had finished first, $resumes resumed, $completed messages regenerated after crashes, $sessions sessions, $(( $(date +%s) - start )) s"
finish
