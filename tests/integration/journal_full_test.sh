#!/usr/bin/env bash
# A journal that runs out of room: the node halts trading while it can still journal why,
# stops cleanly when the journal is full (no crash, clear message, nothing committed lost),
# the journal verifies and replays identical, and the node resumes once there is room,
# still halted until an operator resumes it. The cap (journal.max_size_mb) is LMDB's real
# map limit; a full filesystem takes the same path (its free space is checked the same way).
source "$(dirname "$0")/lib.sh"
NODE=${TRADER_NODE:?set TRADER_NODE}
CONFIG=${TRADER_CONFIG:?set TRADER_CONFIG to config/paper.toml}
cd "$(dirname "$CONFIG")/.."

run="$SCRATCH/full"
"$NODE" --config "$CONFIG" --set journal.path="$run" --set journal.max_size_mb=4 --set journal.min_free_mb=2 \
  > "$SCRATCH/out.txt" 2> "$SCRATCH/err.txt"
rc=$?
expect_eq "node exits with an error when the journal is full" 1 "$rc"
grep -q "is full: its map reached the cap of 4 MiB; the node stopped: records up to seq [0-9]* are committed, trading had been halted" \
  "$SCRATCH/err.txt" && ok "the error says the journal is full, what is committed, and that trading was halted" \
  || bad "error message: $(tail -3 "$SCRATCH/err.txt")"
grep -qi "sanitizer\|terminate\|segmentation" "$SCRATCH/err.txt" && bad "crash output: $(cat "$SCRATCH/err.txt")" || ok "no crash"
committed=$(sed -n 's/.*records up to seq \([0-9]*\) are committed.*/\1/p' "$SCRATCH/err.txt")

"$TOOLS" verify "$run" > "$SCRATCH/verify.txt" && ok "the full journal verifies" || bad "verify: $(cat "$SCRATCH/verify.txt")"
grep -q "^ok: $committed records" "$SCRATCH/verify.txt" && ok "every committed record is there ($committed)" \
  || bad "verify count vs $committed: $(cat "$SCRATCH/verify.txt")"
"$TOOLS" replay "$run" --verify > "$SCRATCH/replay.txt" && ok "replay --verify identical" || bad "replay: $(cat "$SCRATCH/replay.txt")"

"$TOOLS" dump "$run" --json > "$SCRATCH/dump.jsonl"
python3 - "$SCRATCH/dump.jsonl" <<'PY' && ok "halt journaled by the journal with its reason; risk HALTED; no new position approved after it" || bad "halt in the journal"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
halts = [r for r in rows if r["type"] == "operator_command" and r["body"]["issued_by"] == "journal"]
assert len(halts) == 1, halts
h = halts[0]
assert h["body"]["kind"] == "halt" and "journal space low" in h["body"]["reason"], h
assert "journal.min_free_mb = 2" in h["body"]["reason"], h
states = [r for r in rows if r["type"] == "risk_state" and r["seq"] > h["seq"]]
assert states and states[0]["body"]["state"] == "halted" and "journal space low" in states[0]["body"]["reason"], states[:1]
approved = [r for r in rows if r["seq"] > h["seq"] and r["type"] == "risk_decision" and r["body"]["approved"] and not r["body"]["is_exit"]]
assert not approved, approved[:1]
PY

# Room again (no cap): the node resumes from the journal, stays halted, finishes the feed.
"$NODE" --config "$CONFIG" --set journal.path="$run" --set journal.if_exists=resume > "$SCRATCH/out2.txt" 2> "$SCRATCH/err2.txt" \
  && ok "the node resumes once there is room" || bad "resume: $(tail -3 "$SCRATCH/err2.txt")"
"$TOOLS" dump "$run" --type risk_state | tail -1 | grep -q '"state":"halted"' && ok "still halted after resuming (an operator resumes trading)" \
  || bad "state after resume: $("$TOOLS" dump "$run" --type risk_state | tail -1)"
"$TOOLS" replay "$run" --verify > /dev/null && ok "both sessions replay identical" || bad "replay after resume"
finish
