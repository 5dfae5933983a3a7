#!/usr/bin/env bash
# trader-tools project: the main job's journal into SQLite and into a real PostgreSQL (its
# own cluster, started here and stopped by PID). The row counts are the journal's (stats,
# the node's summary); both databases hold the same rows; every query of docs/sql.md runs
# on both and answers what report, stats and the journal say; kill -9 at random moments
# loses and doubles nothing; --follow keeps up with a live node; bad input is refused
# without touching what the user has.
source "$(dirname "$0")/lib.sh"
NODE=${TRADER_NODE:?set TRADER_NODE}
CONFIG=${TRADER_CONFIG:?set TRADER_CONFIG to config/paper.toml}
cd "$(dirname "$CONFIG")/.." || exit 1
REPO=$(pwd)
HERE="$REPO/tests/integration"

"$NODE" --config "$CONFIG" --set journal.path="$SCRATCH/run" > "$SCRATCH/node.out" 2> "$SCRATCH/node.log" \
  || bad "the main job failed: $(tail -3 "$SCRATCH/node.log")"
"$TOOLS" stats --json "$SCRATCH/run" > "$SCRATCH/stats.json" || bad "stats"
"$TOOLS" report "$SCRATCH/run" > "$SCRATCH/report.txt" || bad "report"
"$TOOLS" dump --json "$SCRATCH/run" > "$SCRATCH/dump.jsonl" || bad "dump"

# --- SQLite, the default --------------------------------------------------------------
"$TOOLS" project "$SCRATCH/run" --db "sqlite:$SCRATCH/a.db" > "$SCRATCH/p1.out" 2>&1
expect_eq "project into SQLite exits" 0 "$?"
grep -q "^seq 1\.\.46794: 46794 records" "$SCRATCH/p1.out" && ok "it read every record: $(tail -1 "$SCRATCH/p1.out")" \
  || bad "project output: $(cat "$SCRATCH/p1.out")"
"$TOOLS" project "$SCRATCH/run" --db "sqlite:$SCRATCH/a.db" > "$SCRATCH/p2.out" 2>&1
grep -q "nothing new: up to date at seq 46794" "$SCRATCH/p2.out" && ok "a second run finds nothing new" \
  || bad "second run: $(cat "$SCRATCH/p2.out")"

python3 "$HERE/projection_check.py" counts "$SCRATCH" "sqlite:$SCRATCH/a.db" \
  && ok "SQLite row counts are the journal's" || bad "SQLite row counts"

# --- PostgreSQL -------------------------------------------------------------------------
start_postgres
"$TOOLS" project "$SCRATCH/run" --db "$PG_URL" > "$SCRATCH/pg1.out" 2>&1
expect_eq "project into PostgreSQL exits" 0 "$?"
python3 "$HERE/projection_check.py" counts "$SCRATCH" "$PG_URL" \
  && ok "PostgreSQL row counts are the journal's" || bad "PostgreSQL row counts"
python3 "$HERE/projection_check.py" same "sqlite:$SCRATCH/a.db" "$PG_URL" \
  && ok "SQLite and PostgreSQL hold the same rows, value for value" || bad "the two databases differ"

# --- the documented queries, on both ------------------------------------------------------
for db in "sqlite:$SCRATCH/a.db" "$PG_URL"; do
  python3 "$HERE/projection_check.py" queries "$SCRATCH" "$db" "$REPO/docs/sql.md" \
    && ok "every query of docs/sql.md answers as the journal does (${db%%:*})" || bad "queries on ${db%%:*}"
done

# --- exactly once under kill -9 -------------------------------------------------------------
# Small batches so kills land inside transactions; each run is killed after a random delay,
# 40 times or until one finishes; then one more run, left to finish, completes the rest. The
# result must be the uninterrupted database, row for row. (A fixed number of kills, not "until
# one finishes": how many a run needs depends on the machine's speed, sanitizers and load.)
kill_loop() {
  local db=$1 batch=$2 step=$3 kills=0 rc done=no
  for i in $(seq 1 40); do
    "$TOOLS" project "$SCRATCH/run" --db "$db" --batch "$batch" --candles > "$SCRATCH/kl.out" 2>&1 &
    local pid=$!
    # 5-40 ms, a little longer each time
    sleep "$(( (RANDOM % 8 + 1) * 5 + i * step ))e-3"
    if kill -9 "$pid" 2>/dev/null; then kills=$((kills + 1)); fi
    wait "$pid" 2>/dev/null
    rc=$?
    [ "$rc" -ne 0 ] && [ "$rc" -ne 137 ] && { bad "a killed run's successor failed (exit $rc): $(cat "$SCRATCH/kl.out")"; return; }
    grep -q "nothing new: up to date at seq 46794" "$SCRATCH/kl.out" && { done=yes; break; }
  done
  if [ "$done" = no ]; then
    "$TOOLS" project "$SCRATCH/run" --db "$db" --batch "$batch" --candles > "$SCRATCH/kl.out" 2>&1 \
      || { bad "the run after $kills kills failed: $(cat "$SCRATCH/kl.out")"; return; }
  fi
  echo "$kills"
}
"$TOOLS" project "$SCRATCH/run" --db "sqlite:$SCRATCH/whole.db" --candles > /dev/null || bad "uninterrupted run"
kills=$(kill_loop "sqlite:$SCRATCH/killed.db" 100 2)
[ "${kills:-0}" -ge 3 ] && python3 "$HERE/projection_check.py" same "sqlite:$SCRATCH/whole.db" "sqlite:$SCRATCH/killed.db" \
  && ok "SQLite: $kills kill -9s mid-run, then the same rows as one uninterrupted run (none lost, none twice)" \
  || bad "SQLite kill loop ($kills kills)"
psql -h "$SCRATCH/pg" -U postgres -d postgres -X -q -c "CREATE DATABASE killed" > /dev/null || bad "createdb killed"
# PostgreSQL runs start slower (a connection, the staging tables), the more so on a busy
# machine: their delays grow faster, so that most kills land past the start.
kills=$(kill_loop "postgresql://postgres@/killed?host=$SCRATCH/pg" 1000 10)
[ "${kills:-0}" -ge 3 ] && python3 "$HERE/projection_check.py" same "sqlite:$SCRATCH/whole.db" "postgresql://postgres@/killed?host=$SCRATCH/pg" \
  && ok "PostgreSQL: $kills kill -9s mid-run, then the same rows as one uninterrupted run" \
  || bad "PostgreSQL kill loop ($kills kills)"

# --- two projectors of one journal at once: they take turns, and the rows are the same -------------
for db in "sqlite:$SCRATCH/twice.db" "postgresql://postgres@/twice?host=$SCRATCH/pg"; do
  [ "${db%%:*}" = postgresql ] && { psql -h "$SCRATCH/pg" -U postgres -d postgres -X -q -c "CREATE DATABASE twice" > /dev/null || bad "createdb twice"; }
  "$TOOLS" project "$SCRATCH/run" --db "$db" --batch 500 --candles > "$SCRATCH/one.out" 2>&1 &
  one=$!
  "$TOOLS" project "$SCRATCH/run" --db "$db" --batch 700 --candles > "$SCRATCH/two.out" 2>&1
  rc2=$?
  wait "$one"
  rc1=$?
  [ "$rc1" -eq 0 ] && [ "$rc2" -eq 0 ] && python3 "$HERE/projection_check.py" same "sqlite:$SCRATCH/whole.db" "$db" \
    && ok "two projectors at once into ${db%%:*}: both succeed, the rows are one run's" \
    || bad "two projectors into ${db%%:*}: exits $rc1 $rc2: $(cat "$SCRATCH/one.out" "$SCRATCH/two.out" | grep -v '^seq')"
done

# --- following a journal with nothing committed yet ---------------------------------------------
# A follower started beside a node can open its journal before the first commit. It waits for
# one (it said so once), projects what comes, and SIGTERM stops it whether or not anything came.
: > "$SCRATCH/empty.txt"
"$TOOLS" import binance-capture "$SCRATCH/empty.txt" --journal "$SCRATCH/early" > /dev/null || bad "import of nothing"
"$TOOLS" project "$SCRATCH/early" --db "sqlite:$SCRATCH/early.db" --follow > "$SCRATCH/early.out" 2>&1 &
follower=$!
wait_until grep -q "no committed record yet" "$SCRATCH/early.out"
"$TOOLS" import binance-capture "$REPO/tests/data/xrpeth_aggtrade_20191011_head3k.gz" --journal "$SCRATCH/early" \
  > /dev/null || bad "import into the followed journal"
wait_until grep -q "^seq 1\.\.3000: 3000 records" "$SCRATCH/early.out"
kill -TERM "$follower" 2>/dev/null
wait "$follower"
rc=$?
[ "$rc" -eq 0 ] && [ "$(grep -c "no committed record yet" "$SCRATCH/early.out")" -eq 1 ] \
  && grep -q "^seq 1\.\.3000: 3000 records" "$SCRATCH/early.out" \
  && grep -q "^stopped: projected up to seq 3000" "$SCRATCH/early.out" \
  && ok "--follow on a journal with nothing committed waits for the first commit, then projects it (exit $rc)" \
  || bad "--follow before the first commit: rc=$rc: $(cat "$SCRATCH/early.out")"
rm -rf "$SCRATCH/early"
"$TOOLS" import binance-capture "$SCRATCH/empty.txt" --journal "$SCRATCH/early" > /dev/null || bad "import of nothing"
"$TOOLS" project "$SCRATCH/early" --db "sqlite:$SCRATCH/early2.db" --follow > "$SCRATCH/early2.out" 2>&1 &
follower=$!
wait_until grep -q "no committed record yet" "$SCRATCH/early2.out"
kill -TERM "$follower" 2>/dev/null
wait "$follower"
rc=$?
[ "$rc" -eq 0 ] && grep -q "^stopped: nothing was committed" "$SCRATCH/early2.out" \
  && ok "and SIGTERM while it waits stops it (exit 0, nothing committed, nothing projected)" \
  || bad "SIGTERM while waiting: rc=$rc: $(cat "$SCRATCH/early2.out")"

# --- following a live node --------------------------------------------------------------------
# The node paced at 100,000x real time (the week of klines in about 6 s); the projector follows
# it from its first commit and must hold every record soon after the node ends.
"$NODE" --config "$CONFIG" --set journal.path="$SCRATCH/live" --set feed.speed=100000 > "$SCRATCH/live.out" 2> "$SCRATCH/live.log" &
live=$!
for _ in $(seq 1 100); do
  "$TOOLS" stats "$SCRATCH/live" > /dev/null 2>&1 && break
  sleep 0.1
done
"$TOOLS" project "$SCRATCH/live" --db "$PG_URL" --follow > "$SCRATCH/follow.out" 2> "$SCRATCH/follow.err" &
follower=$!
wait "$live" || bad "the paced node failed: $(tail -3 "$SCRATCH/live.log")"
ended=$(date +%s%N)
last=$("$TOOLS" stats --json "$SCRATCH/live" | python3 -c "import json,sys; print(json.load(sys.stdin)['last_seq'])")
caught=""
for _ in $(seq 1 300); do
  got=$("${PSQL[@]}" -c "SELECT last_seq FROM projection_progress WHERE journal_dir = '$SCRATCH/live'")
  [ "$got" = "$last" ] && { caught=$(date +%s%N); break; }
  sleep 0.1
done
kill -TERM "$follower" 2>/dev/null
wait "$follower"
rc=$?
updates=$(grep -c "^seq " "$SCRATCH/follow.out")
[ -n "$caught" ] && [ "$rc" -eq 0 ] && [ "$updates" -ge 3 ] \
  && ok "--follow kept up with the live node in $updates catch-ups, and held all $last records $(( (caught - ended) / 1000000 )) ms after the node ended; SIGTERM stops it (exit 0)" \
  || bad "--follow: caught='$caught' rc=$rc updates=$updates: $(tail -3 "$SCRATCH/follow.out") $(cat "$SCRATCH/follow.err")"

# --- the node keeps the read model itself ([projection] db) ------------------------------------------
hash=$(grep -o "decision hash [0-9a-f]*" "$SCRATCH/node.out")
"$NODE" --config "$CONFIG" --set journal.path="$SCRATCH/inproc" --set projection.db="sqlite:$SCRATCH/inproc.db" \
  > "$SCRATCH/inproc.out" 2> "$SCRATCH/inproc.log" || bad "the node with a projection failed: $(tail -3 "$SCRATCH/inproc.log")"
expect_eq "the node with a projection decides exactly as without" "$hash" "$(grep -o "decision hash [0-9a-f]*" "$SCRATCH/inproc.out")"
python3 "$HERE/projection_check.py" counts "$SCRATCH" "sqlite:$SCRATCH/inproc.db" \
  && ok "the node's own projection holds the whole session when it ends, its end included" || bad "in-node projection counts"
expect_eq "its session row says how it ended" "completed" \
  "$(python3 -c "import sqlite3; print(sqlite3.connect('$SCRATCH/inproc.db').execute('SELECT end_reason FROM sessions').fetchone()[0])")"

# The database is down when the node starts and comes back while it trades: the node trades
# on, says so once, and the projection resumes and holds everything at the end.
stop_postgres
"$NODE" --config "$CONFIG" --set journal.path="$SCRATCH/outage" --set feed.speed=100000 --set projection.db="$PG_URL" \
  > "$SCRATCH/outage.out" 2> "$SCRATCH/outage.log" &
outage=$!
for _ in $(seq 1 600); do  # until the node has said it cannot reach the database
  grep -q "projection: cannot connect" "$SCRATCH/outage.log" && break
  sleep 0.1
done
"${PG_CTL[@]}" start > /dev/null 2>&1 || bad "pg_ctl start again: $(tail -3 "$SCRATCH/pg/server.log")"
wait "$outage" || bad "the node failed while its database was down: $(tail -3 "$SCRATCH/outage.log")"
expect_eq "it decides exactly as without" "$hash" "$(grep -o "decision hash [0-9a-f]*" "$SCRATCH/outage.out")"
last=$("$TOOLS" stats --json "$SCRATCH/outage" | python3 -c "import json,sys; print(json.load(sys.stdin)['last_seq'])")
got=$("${PSQL[@]}" -c "SELECT last_seq FROM projection_progress WHERE journal_dir = '$SCRATCH/outage'")
# Said once per distinct failure, not once per retry: refused while down, and perhaps a
# retry that met the server starting up (a busy machine widens that window) -- never the
# same failure twice.
warnings=$(grep -o "projection: cannot connect to PostgreSQL.*trading goes on; retrying" "$SCRATCH/outage.log")
warned=$(grep -c . <<<"$warnings")
repeated=$(sort <<<"$warnings" | uniq -d | grep -c .)
[ "$got" = "$last" ] && [ "$warned" -ge 1 ] && [ "$repeated" -eq 0 ] && grep -q "projection: resumed" "$SCRATCH/outage.log" \
  && ok "a database down at the start: said once ($warned distinct failures), trading went on, the projection resumed and holds all $last records" \
  || bad "outage: progress '$got' of $last, warned $warned times ($repeated repeated): $(grep projection "$SCRATCH/outage.log" | head -5)"

# --- bad input ----------------------------------------------------------------------------------
expect_fail "no journal there" 2 "error: " "$TOOLS" project "$SCRATCH/nothing" --db "sqlite:$SCRATCH/x.db"
expect_fail "not a database URL (and no password echoed)" 2 "a database is sqlite:FILE" \
  "$TOOLS" project "$SCRATCH/run" --db "mysql://root:hunter2@db/x"
"$TOOLS" project "$SCRATCH/run" --db "mysql://root:hunter2@db/x" 2>&1 | grep -q hunter2 && bad "the password was echoed"
expect_fail "a negative --from" 2 "--from takes a seq" "$TOOLS" project "$SCRATCH/run" --db "sqlite:$SCRATCH/x.db" --from -1
expect_fail "--from past the progress" 2 "would leave a gap" "$TOOLS" project "$SCRATCH/run" --db "sqlite:$SCRATCH/a.db" --from 50000
printf 'my notes\n' > "$SCRATCH/notes.db"
expect_fail "a file that is not a database" 2 "not a database" "$TOOLS" project "$SCRATCH/run" --db "sqlite:$SCRATCH/notes.db"
expect_eq "and it is left as it was" "my notes" "$(cat "$SCRATCH/notes.db")"
expect_fail "a PostgreSQL that is not there" 2 "cannot connect to PostgreSQL" \
  "$TOOLS" project "$SCRATCH/run" --db "postgresql://postgres@/trader?host=$SCRATCH/nowhere"
expect_fail "a password in [projection] db (the config is journaled)" 2 "projection.db: holds a password" \
  "$NODE" --config "$CONFIG" --set journal.path="$SCRATCH/never" --set projection.db="postgresql://u:hunter2@db/x"
expect_fail "a [projection] db that is no database URL" 2 "projection.db: expected sqlite:FILE" \
  "$NODE" --config "$CONFIG" --set journal.path="$SCRATCH/never" --set projection.db="history.db"
[ ! -e "$SCRATCH/never" ] && ok "and no journal was created" || bad "a refused config created a journal"
if [ -n "$FAULT" ]; then
  cp -r "$SCRATCH/run" "$SCRATCH/bad"
  "$FAULT" flip "$SCRATCH/bad" 20000 > /dev/null
  expect_fail "a corrupted record stops the projection, naming its seq" 1 "seq 20000" \
    "$TOOLS" project "$SCRATCH/bad" --db "sqlite:$SCRATCH/bad.db" --batch 1000
  expect_eq "the rows before it are kept, and the progress says so" "19999" \
    "$(python3 -c "import sqlite3; print(sqlite3.connect('$SCRATCH/bad.db').execute('SELECT last_seq FROM projection_progress').fetchone()[0])")"
fi
finish
