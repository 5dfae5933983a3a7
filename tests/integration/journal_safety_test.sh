#!/usr/bin/env bash
# Nothing a user recorded is lost by a mistake: a second node never replaces a journal a
# running node writes, a config that fails any check touches no journal, "replace" deletes
# only a journal's own files, "archive" moves the old journal aside, and a feed that fails
# (a cut capture) fails the run instead of reporting it completed.
source "$(dirname "$0")/lib.sh"
NODE=${TRADER_NODE:?set TRADER_NODE}
CONFIG=${TRADER_CONFIG:?set TRADER_CONFIG to config/paper.toml}
cd "$(dirname "$CONFIG")/.."
A_PID=""
trap 'kill $A_PID 2>/dev/null; rm -rf "$SCRATCH"' EXIT
records() { "$TOOLS" stats "$1" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["records"])'; }
sessions() { "$TOOLS" stats "$1" --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["sessions"]))'; }

# 1. A second node with "replace" while the first one writes: refused, naming the holder.
race="$SCRATCH/race"
"$NODE" --config "$CONFIG" --set journal.path="$race" --set journal.if_exists=error --set feed.speed=60000 \
  --set node.id=a > "$SCRATCH/a.out" 2> "$SCRATCH/a.log" &
A_PID=$!
wait_until grep -qx "$A_PID" "$race/writer.lock" 2>/dev/null
expect_eq "the running node's pid is in its journal's writer lock" "$A_PID" "$(cat "$race/writer.lock" 2>/dev/null)"
expect_fail "a second node with replace is refused and names the holder" 1 "open for writing by process $A_PID" \
  "$NODE" --config "$CONFIG" --set journal.path="$race" --set journal.if_exists=replace --set node.id=b
expect_fail "a second node with archive is refused too" 1 "open for writing by process $A_PID" \
  "$NODE" --config "$CONFIG" --set journal.path="$race" --set journal.if_exists=archive --set node.id=b
expect_fail "a second writer resuming it is refused" 1 "already open for writing by process $A_PID" \
  "$NODE" --config "$CONFIG" --set journal.path="$race" --set journal.if_exists=resume --set node.id=b
kill -TERM "$A_PID"
wait "$A_PID"
expect_eq "the first node stops cleanly" 0 "$?"
A_PID=""
expect_eq "its journal holds its one session" 1 "$(sessions "$race")"
"$TOOLS" verify "$race" > /dev/null && ok "its journal verifies" || bad "verify after the race"
n=$(records "$race")

# 2. Every check runs before the journal is touched.
expect_fail "control.listen with a host name is a config error" 2 'control.listen: "localhost" is not an IP address' \
  "$NODE" --config "$CONFIG" --set journal.path="$race" --set journal.if_exists=replace --set control.listen=localhost:8787
expect_fail "control.listen with a port out of range" 2 'control.listen: "80800" is not a port' \
  "$NODE" --config "$CONFIG" --set journal.path="$race" --set journal.if_exists=replace --set control.listen=127.0.0.1:80800
# a port another process holds on loopback
python3 -c 'import socket,sys,time; s=socket.socket(); s.bind(("127.0.0.1",0)); s.listen(); print(s.getsockname()[1], flush=True); time.sleep(60)' \
  > "$SCRATCH/held.port" &
HOLDER=$!
wait_for_file "$SCRATCH/held.port"
expect_fail "a control address the node cannot bind" 1 "control API cannot listen" \
  "$NODE" --config "$CONFIG" --set journal.path="$race" --set journal.if_exists=replace \
  --set "control.listen=127.0.0.1:$(cat "$SCRATCH/held.port")"
kill "$HOLDER" 2>/dev/null; wait "$HOLDER" 2>/dev/null
# another venue's capture would be journaled line by line as malformed frames (exit 0)
expect_fail "a Coinbase capture read as Binance's is refused, naming the venue that reads it" 1 \
  'feed.files: .*coinbase_btcusd_20240808.gz holds no binance message in its 3119 line.*it reads as feed.capture_venue = "coinbase"' \
  "$NODE" --config "$CONFIG" --set journal.path="$race" --set journal.if_exists=archive \
  --set "feed.files=[\"$DATA/coinbase_btcusd_20240808.gz\"]"
[ -e "$race.1" ] && bad "the refused start archived the journal" || ok "...and the journal was not archived"
expect_eq "after those failures the journal still holds every record" "$n" "$(records "$race")"
# A directory of the user's is no journal, whatever if_exists says: nothing is written into
# it, moved or deleted ("resume" wrote a new journal among its files, exit 0).
mine="$SCRATCH/mine"
mkdir -p "$mine" && echo "my notes" > "$mine/notes.txt"
for how in error archive replace resume; do
  expect_fail "journal.if_exists = $how on a directory of other files is refused" 1 \
    "journal.path $mine is not a journal (it holds notes.txt); choose another path" \
    "$NODE" --config "$CONFIG" --set journal.path="$mine" --set journal.if_exists=$how
done
expect_eq "...and it holds what it held, nothing more" "notes.txt" "$(ls "$mine")"
[ -e "$mine.1" ] && bad "a refused start moved the directory aside" || ok "...nothing was moved aside"
expect_fail "node.clock_tick_ms = 0" 2 "node.clock_tick_ms: 0 is out of range" \
  "$NODE" --config "$CONFIG" --set journal.path="$SCRATCH/x" --set node.clock_tick_ms=0
expect_fail "an empty journal.path" 2 "journal.path: must name the journal's directory" \
  "$NODE" --config "$CONFIG" --set 'journal.path=""'

# 3. "replace" deletes only the journal's own files, and refuses a directory with others.
mkdir -p "$race/plots"
echo "notes" > "$race/analysis.txt"
expect_fail "replace refuses a directory holding other files, naming them" 1 "also holds analysis.txt, plots/" \
  "$NODE" --config "$CONFIG" --set journal.path="$race" --set journal.if_exists=replace
expect_eq "the user's file is still there" "notes" "$(cat "$race/analysis.txt")"
expect_eq "and the journal" "$n" "$(records "$race")"
expect_fail "the default refuses an existing journal and suggests archive" 1 'journal.if_exists = "archive"' \
  "$NODE" --config "$CONFIG" --set journal.path="$race" --set journal.if_exists=error
rm -r "$race/plots" "$race/analysis.txt"
"$NODE" --config "$CONFIG" --set journal.path="$race" --set journal.if_exists=replace > /dev/null 2>&1
expect_eq "replace on a journal-only directory starts afresh" 1 "$(sessions "$race")"

# 4. "archive" (the shipped config's choice): the old journal moves aside, nothing is deleted.
arch="$SCRATCH/runs/paper"
"$NODE" --config "$CONFIG" --set journal.path="$arch" > /dev/null 2>&1 || bad "first archive run"
echo "kept" > "$arch/trades.csv"
first=$(records "$arch")
"$NODE" --config "$CONFIG" --set journal.path="$arch" > /dev/null 2> "$SCRATCH/arch.log" || bad "second archive run"
grep -q "moved the journal at $arch to $arch.1" "$SCRATCH/arch.log" && ok "the log says where the old journal went" \
  || bad "archive log: $(cat "$SCRATCH/arch.log")"
expect_eq "the old journal is whole at PATH.1" "$first" "$(records "$arch.1")"
expect_eq "with the files beside it" "kept" "$(cat "$arch.1/trades.csv")"
"$NODE" --config "$CONFIG" --set journal.path="$arch" > /dev/null 2>&1 || bad "third archive run"
[ -d "$arch.2" ] && ok "a third run archives to PATH.2" || bad "no $arch.2"

# 5. A resume with other inputs is refused, naming the key; 10. so is a resume of a
# journal with a bad record before its last snapshot.
expect_fail "resume with other capture files" 1 "feed.files is .*ethusdt.* now but .*btcusdc.* in the session being resumed" \
  "$NODE" --config "$CONFIG" --set journal.path="$arch.1" --set journal.if_exists=resume \
  --set "feed.files=[\"$DATA/ethusdt_20240808_head8k.gz\"]"
expect_eq "the refused resume left the journal as it was" "$first" "$(records "$arch.1")"
if [ -n "$FAULT" ]; then
  cp -r "$arch.1" "$SCRATCH/tampered"
  "$FAULT" flip "$SCRATCH/tampered" 100
  expect_fail "resume of a journal with a bad record before its snapshot" 1 "does not verify: .*seq 100" \
    "$NODE" --config "$CONFIG" --set journal.path="$SCRATCH/tampered" --set journal.if_exists=resume
  # An export that stops at the bad record leaves the CSV already there as it was.
  printf 'the export before\n' > "$SCRATCH/trades.csv"
  expect_fail "export trades of a journal with a bad record" 1 "seq 100" \
    "$TOOLS" export trades "$SCRATCH/tampered" --csv "$SCRATCH/trades.csv"
  expect_eq "the failed export left the CSV there as it was" "the export before" "$(cat "$SCRATCH/trades.csv")"
  expect_fail "export trades into a directory that does not exist" 2 "no/such/dir is not a directory" \
    "$TOOLS" export trades "$SCRATCH/tampered" --csv "$SCRATCH/no/such/dir/trades.csv"
fi

# An edited session config (which would make replay audit another run) fails verify and
# replay, naming what was edited: the hash chain attests every meta value.
if [ -n "$FAULT" ]; then
  cp -r "$arch.1" "$SCRATCH/edited"
  "$FAULT" set-meta "$SCRATCH/edited" session.1.config "$(printf '[risk]\nmax_open_positions = 1\n')"
  expect_fail "verify of a journal whose session config was edited" 1 \
    'meta value `session.1.config` was edited after it was journaled' "$TOOLS" verify "$SCRATCH/edited"
  expect_fail "replay --verify of it" 1 'meta value `session.1.config` was edited after it was journaled' \
    "$TOOLS" replay "$SCRATCH/edited" --verify
fi

# 6. A cut gzip in the node's feed fails the run and says so.
head -c 51850 "$DATA/btcusdc_kline1m_20230301-07.gz" > "$SCRATCH/cut.gz"
"$NODE" --config "$CONFIG" --set journal.path="$SCRATCH/cut" --set "feed.files=[\"$SCRATCH/cut.gz\"]" \
  > "$SCRATCH/cut.out" 2> "$SCRATCH/cut.log"
expect_eq "a cut capture: the node exits 1" 1 "$?"
grep -q "^session 1 feed failed: " "$SCRATCH/cut.out" && ok "the summary says the feed failed" \
  || bad "summary: $(head -2 "$SCRATCH/cut.out")"
grep -q "error: the feed failed" "$SCRATCH/cut.log" && ok "stderr says why" || bad "stderr: $(tail -2 "$SCRATCH/cut.log")"
"$TOOLS" stats "$SCRATCH/cut" --json | grep -q '"end_reason": *"feed failed' && ok "the session ends as failed in the journal" \
  || bad "session end: $("$TOOLS" stats "$SCRATCH/cut" --json | head -c 600)"

# 8. A damaged LMDB page (the issue's reproduction: byte 12298 of the main job's data.mdb,
# the type of an early page): every reader gives the undamaged journal's output or fails
# naming a seq; none skips silently.
cp -r "$arch.1" "$SCRATCH/dmg"
python3 -c "
f=open('$SCRATCH/dmg/data.mdb','r+b'); f.seek(12298); b=f.read(1); f.seek(12298); f.write(bytes([b[0]^0xff]))"
for args in "dump --from 1 --to 5" "dump --limit 3" "dump" "replay --verify" "verify"; do
  # shellcheck disable=SC2086
  good=$("$TOOLS" ${args%% *} "$arch.1" $( [ "$args" = "${args#* }" ] || echo "${args#* }") 2>&1 | md5sum)
  # shellcheck disable=SC2086
  "$TOOLS" ${args%% *} "$SCRATCH/dmg" $( [ "$args" = "${args#* }" ] || echo "${args#* }") > "$SCRATCH/dmg.out" 2> "$SCRATCH/dmg.err"
  rc=$?
  if [ "$rc" -ne 0 ] && grep -Eq "seq [0-9]+" "$SCRATCH/dmg.err" "$SCRATCH/dmg.out"; then
    ok "damaged page: $args fails naming the seq (exit $rc): $(cat "$SCRATCH/dmg.err" "$SCRATCH/dmg.out" | grep -Eo "seq [0-9]+[^(]*" | head -1)"
  elif [ "$rc" -eq 0 ] && [ "$(cat "$SCRATCH/dmg.out" "$SCRATCH/dmg.err" | md5sum)" = "$good" ]; then
    ok "damaged page: $args reads what the undamaged journal holds"
  else
    bad "damaged page: $args: exit $rc, output differs from the undamaged journal's: $(head -c 300 "$SCRATCH/dmg.err")"
  fi
done

# 11. A read-only journal (an archive, read-only media) can be audited by any reader.
RO=$(mktemp -d "${TMPDIR:-/tmp}/trader-ro-XXXXXX")
cp -r "$race" "$RO/j"
chmod 755 "$RO"
chmod 555 "$RO/j"
chmod 444 "$RO/j"/*
as_reader=()
RO_TOOLS=$TOOLS
if [ "$(id -u)" = 0 ]; then  # root ignores file modes: read as nobody
  as_reader=(runuser -u nobody --)
  # nobody may not reach the build tree (a checkout in a private directory): a copy it can run
  cp "$TOOLS" "$RO/trader-tools"
  chmod 755 "$RO/trader-tools"
  RO_TOOLS=$RO/trader-tools
fi
for cmd in "verify" "stats" "dump --limit 3" "replay --verify"; do
  # shellcheck disable=SC2086
  if "${as_reader[@]}" "$RO_TOOLS" ${cmd%% *} "$RO/j" $( [ "$cmd" = "${cmd#* }" ] || echo "${cmd#* }") > "$SCRATCH/ro.out" 2>&1; then
    ok "read-only journal: $cmd works"
  else
    bad "read-only journal: $cmd: $(head -2 "$SCRATCH/ro.out")"
  fi
done
"${as_reader[@]}" "$RO_TOOLS" export trades "$RO/j" --csv /dev/stdout > /dev/null 2> "$SCRATCH/ro.out" \
  && ok "read-only journal: export trades works" || bad "read-only journal: export: $(head -2 "$SCRATCH/ro.out")"
chmod -R u+w "$RO"; rm -rf "$RO"

# 7. Endless or stalled inputs never hang the node: a device, a FIFO with no writer, a
# line with no end (bounded memory, an error instead).
mkfifo "$SCRATCH/fifo"
expect_fail "feed.files = /dev/zero is refused" 2 "/dev/zero is not a regular file" \
  timeout 20 "$NODE" --config "$CONFIG" --set journal.path="$SCRATCH/z" --set 'feed.files=["/dev/zero"]'
expect_fail "a FIFO with no writer is refused" 2 "fifo is not a regular file" \
  timeout 20 "$NODE" --config "$CONFIG" --set journal.path="$SCRATCH/z" --set "feed.files=[\"$SCRATCH/fifo\"]"
head -c 70000000 /dev/zero > "$SCRATCH/zeros"
expect_fail "a 70 MB line without a newline is an error, not unbounded memory" 1 "longer than 64 MiB without a newline" \
  timeout 60 "$NODE" --config "$CONFIG" --set journal.path="$SCRATCH/z" --set "feed.files=[\"$SCRATCH/zeros\"]"
rm -f "$SCRATCH/zeros"

# 8b. An output path that names a journal's own file is refused before any work: export,
# report, diff and train wrote their file over it (export: "302 fills written to
# .../data.mdb", exit 0, and the journal was gone).
heads() { "$TOOLS" verify "$race" | grep -o 'chain head [0-9a-f]*'; }
before=$(heads)
expect_fail "export --csv onto the journal's data.mdb" 2 "cannot write $race/data.mdb: it is a file of the journal in $race" \
  "$TOOLS" export trades "$race" --csv "$race/data.mdb"
expect_fail "report --html onto its lock.mdb" 2 "it is a file of the journal" "$TOOLS" report "$race" --html "$race/lock.mdb"
ln -s "$race/data.mdb" "$SCRATCH/fills.csv"
expect_fail "...or a link to it" 2 "cannot write $SCRATCH/fills.csv: it is a file of the journal" \
  "$TOOLS" export trades "$race" --csv "$SCRATCH/fills.csv"
expect_fail "train --replace onto it" 2 "it is a file of the journal" \
  "$TOOLS" train "$race" --config "$CONFIG" --out "$race/writer.lock" --replace --rounds 5
TRADER_KEYS_PASSPHRASE=pw BINANCE_API_KEY=k BINANCE_API_SECRET=s expect_fail "keys encrypt --force onto it" 2 \
  "it is a file of the journal" "$TOOLS" keys encrypt --out "$race/data.mdb" --force
expect_eq "...and the journal verifies as before" "$before" "$(heads)"

# Smaller: dump's usage errors.
expect_fail "dump --from after --to" 2 "expected --from <= --to" "$TOOLS" dump "$race" --from 500 --to 100
expect_fail "dump --from -1" 2 "seqs (1 or more)" "$TOOLS" dump "$race" --from -1
expect_fail "dump --limit -5" 2 "a count (0 or more)" "$TOOLS" dump "$race" --limit -5
# 9. A tool that cannot write its output says so (not "the journal is corrupted") and fails.
if [ -w /dev/full ]; then
  expect_fail "dump to a full disk fails and says so" 1 "cannot write the output: No space left" \
    sh -c "'$TOOLS' dump '$race' > /dev/full"
  expect_fail "export to a full disk fails and says so" 1 "No space left on device" \
    "$TOOLS" export trades "$race" --csv /dev/full
  err=$("$TOOLS" export trades "$race" --csv /dev/full 2>&1)
  grep -q "corrupted" <<<"$err" && bad "a full disk reported as a corrupted journal: $err" || ok "a full disk is not called a corrupted journal"
fi

# 10. A node's journal takes no import after its last session: the node resumes it by
# replaying from its last snapshot to the end, and imported records there kept it from
# ever resuming (the import went in, exit 0; the resume then failed on "what the market
# feed would not have written"). A crashed node, whose orders may be open, above all.
crash="$SCRATCH/crash"
"$NODE" --config "$CONFIG" --set journal.path="$crash" --set feed.speed=3000 > /dev/null 2>&1 &
A_PID=$!
committed() { [ "$(records "$crash" 2>/dev/null || echo 0)" -gt 100 ]; }
wait_until committed
kill -KILL "$A_PID"; wait "$A_PID" 2>/dev/null; A_PID=""
n=$(records "$crash")
expect_fail "import into a crashed node's journal" 2 \
  "journal $crash ends with session 1 of node paper-1 (from seq 1, not ended: it crashed, or is running), which the node resumes" \
  "$TOOLS" import binance-capture "$DATA/btcusdt_20240808_head20k.gz" --journal "$crash"
expect_fail "...--again does not override it" 2 "keep it from ever being resumed" \
  "$TOOLS" import binance-capture "$DATA/btcusdt_20240808_head20k.gz" --journal "$crash" --again
expect_eq "...nothing was written" "$n" "$(records "$crash")"
"$NODE" --config "$CONFIG" --set journal.path="$crash" --set journal.if_exists=resume > "$SCRATCH/resumed.out" 2>&1 \
  && ok "...and the node resumes it: $(grep -o 'session [0-9]* completed.*records)' "$SCRATCH/resumed.out")" \
  || bad "the resume failed: $(tail -2 "$SCRATCH/resumed.out")"
expect_fail "import after a node session that ended" 2 "ends with session 2 of node paper-1 (from seq [0-9]*, ended: completed)" \
  "$TOOLS" import binance-capture "$DATA/btcusdt_20240808_head20k.gz" --journal "$crash"
finish
