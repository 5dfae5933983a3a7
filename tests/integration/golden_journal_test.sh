#!/usr/bin/env bash
# Decisions replay on any build. Two journals recorded by earlier builds of the main job
# (one day of the bundled BTCUSDC klines) must verify and replay --verify identical on
# this one:
#  - paper_20230301.mdb.gz was written before signals and intents carried their values
#    and risk decisions their checks: old journals stay auditable;
#  - paper_20230301_explained.mdb.gz has them, and they must replay to the bit.
# A change that alters decisions fails here, and must re-record the explained journal
# deliberately and say why in its commit (tests/data/README.md says how).
# A third, paper_20230301_before_intent_ids.mdb.gz, was recorded by a build whose
# decisions differ (intent ids before they named their issuer): verify and a resume must
# fail at its first intent and say which build recorded the session and which is running.
source "$(dirname "$0")/lib.sh"
NODE=${TRADER_NODE:?set TRADER_NODE}

unpack() { mkdir -p "$SCRATCH/$1" && gzip -dc "$DATA/golden/$1.mdb.gz" > "$SCRATCH/$1/data.mdb"; }

golden() {  # name, records, decision hash
  unpack "$1"
  local out
  out=$("$TOOLS" verify "$SCRATCH/$1")
  grep -q "^ok: $2 records" <<<"$out" && ok "$1 verifies: $(head -1 <<<"$out")" || bad "$1: verify: $out"
  out=$("$TOOLS" replay "$SCRATCH/$1" --verify 2>&1)
  expect_eq "this build replays $1's decisions exactly" "identical: $2 messages, decision hash $3" "$(head -1 <<<"$out")"
}

golden paper_20230301 6495 10088bf7dcf7cc76ae838cf00ec8cd685013f9f29a4f8c4611fc7bba4f83cf57
golden paper_20230301_explained 6495 0e10bf58bd8ad9ff35945695f1098a159936ce601a8f991cdac86dc4954dd214

# The explained journal's records carry what explain shows at steps 3 and 6.
"$TOOLS" dump "$SCRATCH/paper_20230301_explained" --type risk_decision --json > "$SCRATCH/decisions.json"
"$TOOLS" dump "$SCRATCH/paper_20230301" --type risk_decision --json > "$SCRATCH/old_decisions.json"
with_checks=$(grep -c '"checks":\[{' "$SCRATCH/decisions.json")
old_with_checks=$(grep -c '"checks":\[{' "$SCRATCH/old_decisions.json")
all=$(wc -l < "$SCRATCH/decisions.json")
[ "$with_checks" -eq "$all" ] && [ "$all" -gt 0 ] && ok "every one of its $all risk decisions lists its checks" \
  || bad "$with_checks of $all risk decisions list checks"
expect_eq "the old journal's risk decisions have none" 0 "$old_with_checks"

# Recorded by another build that decided differently: its chain verifies, its decisions do
# not, and both tools name the two builds.
old=paper_20230301_before_intent_ids
unpack $old
this_build=$("$TOOLS" --version | sed 's/^trader-tools: //')
out=$("$TOOLS" verify "$SCRATCH/$old")
grep -q "^ok: 6495 records" <<<"$out" && ok "$old: its hash chain verifies" || bad "$old: verify: $out"
out=$("$TOOLS" replay "$SCRATCH/$old" --verify 2>&1)
rc=$?
expect_eq "$old does not replay on this build (exit)" 1 "$rc"
expect_eq "it diverges at its first intent" "divergence at seq 317 (from strategy, in response to seq 313):" "$(head -1 <<<"$out")"
grep -q '^  expected: .*"intent_id":5008,' <<<"$out" && ok "the journal's intent id is the old build's (5008)" || bad "expected line: $(grep '^  expected:' <<<"$out")"
expect_eq "the note names both builds" \
  "note: session 1 was recorded by trader 0.1.0, and this is $this_build. A build whose decisions changed since diverges from a faithful record too: verify the session with the build that recorded it ('trader-tools stats' names each session's build)." \
  "$(grep '^note:' <<<"$out")"
expect_eq "stats names the build that recorded the session" "     recorded by trader 0.1.0" \
  "$("$TOOLS" stats "$SCRATCH/$old" | grep 'recorded by')"
"$TOOLS" stats "$SCRATCH/$old" --json | python3 -c 'import json,sys; s=json.load(sys.stdin)["sessions"]; assert [x["code_version"] for x in s] == ["trader 0.1.0"], s' \
  && ok "stats --json names it too" || bad "stats --json: $("$TOOLS" stats "$SCRATCH/$old" --json | head -c 600)"
# A journal this build replays identically prints no such note, whoever recorded it.
grep -q "^note:" <<<"$("$TOOLS" replay "$SCRATCH/paper_20230301_explained" --verify 2>&1)" \
  && bad "a note on an identical replay" || ok "no note on an identical replay"
# Resuming it is refused before anything is appended, naming both builds. From the
# repository root: the session's feed.files is relative to it, and a resume keeps its inputs.
resume_old() (
  cd "$DATA/../.." && exec "$NODE" --config "${TRADER_CONFIG:?}" --set journal.path="$SCRATCH/$old" \
    --set journal.if_exists=resume --set 'feed.files=["tests/data/btcusdc_kline1m_20230301.gz"]' --set node.id=golden
)
before=$(md5sum < "$SCRATCH/$old/data.mdb")
expect_fail "resuming a session another build recorded" 1 \
  "does not replay at seq 317 (from strategy): .*(session 1 was recorded by trader 0.1.0, and this is $this_build)" resume_old
expect_eq "the refused resume left the journal as it was" "$before" "$(md5sum < "$SCRATCH/$old/data.mdb")"
finish
