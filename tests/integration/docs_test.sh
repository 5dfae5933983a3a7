#!/usr/bin/env bash
# The docs hold: every `console` transcript in the README and docs/ is run and its counts,
# hashes and amounts must still be what the page says (tests/docs/check_transcripts.py),
# and every option the pages use must be in its command's --help
# (tests/docs/check_options.py). Both are shown to fail on a page edited on purpose.
source "$(dirname "$0")/lib.sh"
REPO=$(cd "$(dirname "$0")/../.." && pwd)
PAGES=("$REPO/README.md" "$REPO"/docs/*.md "$REPO/bench/README.md")

out=$(python3 "$REPO/tests/docs/check_transcripts.py" "$REPO" "${PAGES[@]}" 2>&1)
rc=$?
ran=$(grep -o '[0-9]* transcript command(s)' <<<"$out" | awk '{s += $1} END {print s + 0}')
[ "$rc" -eq 0 ] && [ "$ran" -ge 12 ] && ok "every transcript holds ($ran commands run)" || bad "transcripts (exit $rc): $out"

# A figure edited on purpose: the main job's fill count in a copy of the README, one more.
fills=$(grep -m1 -o '^  trades        [0-9]* fills' "$REPO/README.md" | grep -o '[0-9][0-9]*' || true)
[ -n "$fills" ] || bad "the README quotes no main job fill count"
edited=$((fills + 1))
sed "s/^  trades        $fills fills/  trades        $edited fills/" "$REPO/README.md" > "$SCRATCH/README.md"
grep -q "trades        $edited fills" "$SCRATCH/README.md" || bad "the edit did not apply"
out=$(python3 "$REPO/tests/docs/check_transcripts.py" "$REPO" "$SCRATCH/README.md" 2>&1)
rc=$?
line=$(grep -n "trades        $edited fills" "$SCRATCH/README.md" | cut -d: -f1)
[ "$rc" -eq 1 ] && grep -q "FAIL $SCRATCH/README.md:$line: " <<<"$out" && grep -q "now:  *trades        $fills fills" <<<"$out" \
  && ok "a drifted figure fails, naming the line: $(grep -m1 FAIL <<<"$out" | sed "s|$SCRATCH/||")" || bad "edited figure not caught (exit $rc): $out"

# The same for output quoted under an "output of:" comment: the divergence replay.md quotes.
sed 's/^divergence at seq 1796 /divergence at seq 1797 /' "$REPO/docs/replay.md" > "$SCRATCH/replay.md"
grep -q "seq 1797" "$SCRATCH/replay.md" || bad "the edit of replay.md did not apply"
out=$(python3 "$REPO/tests/docs/check_transcripts.py" "$REPO" "$SCRATCH/replay.md" 2>&1)
rc=$?
[ "$rc" -eq 1 ] && grep -q "now:  *divergence at seq 1796 " <<<"$out" \
  && ok "a drifted quote of a producer's output fails too: $(grep -m1 FAIL <<<"$out" | sed "s|$SCRATCH/||" | cut -c1-60)..." \
  || bad "edited divergence not caught (exit $rc): $out"

out=$(python3 "$REPO/tests/docs/check_options.py" "$REPO" "${PAGES[@]}" 2>&1)
rc=$?
[ "$rc" -eq 0 ] && ok "$out" || bad "options (exit $rc): $out"
printf '```sh\nbuild/bin/trader-tools replay runs/paper --verify --fast\n```\n' > "$SCRATCH/page.md"
out=$(python3 "$REPO/tests/docs/check_options.py" "$REPO" "$SCRATCH/page.md" 2>&1)
rc=$?
[ "$rc" -eq 1 ] && grep -q "page.md:2: trader-tools replay has no option --fast" <<<"$out" \
  && ok "an option --help does not know fails, naming the line" || bad "bogus option not caught (exit $rc): $out"
finish
