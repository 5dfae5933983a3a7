#!/usr/bin/env bash
# Decisions replay on any build. Two journals recorded by earlier builds of the main job
# (one day of the bundled BTCUSDC klines) must verify and replay --verify identical on
# this one:
#  - paper_20230301.mdb.gz was written before signals and intents carried their values
#    and risk decisions their checks: old journals stay auditable;
#  - paper_20230301_explained.mdb.gz has them, and they must replay to the bit.
# A change that alters decisions fails here, and must re-record the explained journal
# deliberately and say why in its commit (tests/data/README.md says how).
source "$(dirname "$0")/lib.sh"

golden() {  # name, records, decision hash
  mkdir -p "$SCRATCH/$1"
  gzip -dc "$DATA/golden/$1.mdb.gz" > "$SCRATCH/$1/data.mdb"
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
finish
