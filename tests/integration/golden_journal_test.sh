#!/usr/bin/env bash
# Decisions replay on any build: a journal recorded by an earlier build of the main job
# (one day of the bundled BTCUSDC klines, tests/data/golden/paper_20230301.mdb.gz) must
# verify and replay --verify identical on this one. A change that alters decisions fails
# here, and must re-record the golden journal deliberately and say why in its commit
# (tests/data/README.md says how).
source "$(dirname "$0")/lib.sh"
mkdir -p "$SCRATCH/golden"
gzip -dc "$DATA/golden/paper_20230301.mdb.gz" > "$SCRATCH/golden/data.mdb"
out=$("$TOOLS" verify "$SCRATCH/golden")
grep -q "^ok: 6495 records" <<<"$out" && ok "the golden journal verifies: $out" || bad "verify: $out"
out=$("$TOOLS" replay "$SCRATCH/golden" --verify 2>&1)
expect_eq "this build replays the golden journal's decisions exactly" \
  "identical: 6495 messages, decision hash 87eda2a8a62262dda14d757e2a03ecfbe8d621a32bb4abb9dd76bf978abbfa21" \
  "$(head -1 <<<"$out")"
finish
