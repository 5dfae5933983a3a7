# Shared by the integration tests: sourced, not run.
# Usage in a test: source lib.sh; ... check "what" cmd...; finish
set -u
TOOLS=${TRADER_TOOLS:?set TRADER_TOOLS to the trader-tools binary}
DATA=${TRADER_TEST_DATA:?set TRADER_TEST_DATA to tests/data}
FAULT=${JOURNAL_FAULT:-}
SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/trader-it-XXXXXX")
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)  # this folder: the checks the tests share
trap 'rm -rf "$SCRATCH"' EXIT
passed=0
failed=0

ok()   { passed=$((passed + 1)); echo "ok: $*"; }
bad()  { failed=$((failed + 1)); echo "FAIL: $*"; }

# wait_until CMD...: until CMD succeeds (polled every 50 ms), 60 s at most; its status is
# the last try's. For the caller to check what it waited for. Under the sanitizers on a
# loaded machine a server can take seconds to start: the bound is a hang guard, not a
# speed assertion.
wait_until() {
  for _ in $(seq 1200); do "$@" && return 0; sleep 0.05; done
  "$@"
}

# wait_for_file FILE: until FILE is not empty (the port file a server writes once it
# listens); says so when it never is.
wait_for_file() {
  wait_until test -s "$1" || { bad "$1 did not appear within 60 s"; return 1; }
}

# expect_eq WHAT EXPECTED ACTUAL
expect_eq() {
  if [ "$2" = "$3" ]; then ok "$1 ($3)"; else bad "$1: expected '$2', got '$3'"; fi
}

# expect_fail WHAT EXIT_CODE PATTERN CMD...: the command exits with EXIT_CODE and its stderr
# has PATTERN on one line (a clear message, not a crash).
expect_fail() {
  local what=$1 code=$2 pattern=$3
  shift 3
  local err rc
  err=$("$@" 2>&1 >/dev/null)
  rc=$?
  if [ "$rc" -ne "$code" ]; then bad "$what: exit $rc, expected $code (stderr: $err)"; return; fi
  if ! grep -q -- "$pattern" <<<"$err"; then bad "$what: stderr lacks '$pattern': $err"; return; fi
  ok "$what: exit $rc: $(head -1 <<<"$err")"
}

# renders_in_chromium PAGE.html MIN_BYTES WIDTH,HEIGHT: a screenshot of the self-contained
# page in headless chromium (installed by scripts/install-deps.sh) must hold at least
# MIN_BYTES of PNG; a blank or failed page gives far fewer.
renders_in_chromium() {
  local page=$1 min=$2 png="${1%.html}.png" size
  if ! command -v chromium > /dev/null; then
    bad "chromium is missing (scripts/install-deps.sh installs it)"
    return
  fi
  timeout 60 chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking \
    --disable-component-update --disable-sync --user-data-dir="$SCRATCH/chromium" --window-size="$3" \
    --screenshot="$png" "file://$page" > /dev/null 2>&1
  size=$(stat -c %s "$png" 2>/dev/null || echo 0)
  [ "$size" -gt "$min" ] && ok "headless chromium renders $(basename "$page") ($size bytes of PNG)" \
    || bad "screenshot of $(basename "$page"): $size bytes"
}

finish() {
  echo "$passed passed, $failed failed"
  # A failure's evidence (a sanitizer's report is in the binary's log) would go with the
  # scratch directory at exit: the end of every log goes to the test's output first.
  if [ "$failed" -ne 0 ] && [ -d "${SCRATCH:-}" ]; then
    local log
    while IFS= read -r log; do
      echo "--- the end of ${log#"$SCRATCH"/}:"
      tail -n 40 "$log"
    done < <(find "$SCRATCH" -maxdepth 2 -name '*.log' -type f | sort)
  fi
  [ "$failed" -eq 0 ]
}

# main_job_setup: the main job (config/paper.toml) into the journal $SCRATCH/run, run from
# the repository root (which it leaves as the working directory), with NODE and CONFIG
# from the environment; its summary in $SCRATCH/node.out, its log in $SCRATCH/node.log.
main_job_setup() {
  NODE=${TRADER_NODE:?set TRADER_NODE}
  CONFIG=${TRADER_CONFIG:?set TRADER_CONFIG to config/paper.toml}
  cd "$(dirname "$CONFIG")/.." || exit 1
  "$NODE" --config "$CONFIG" --set journal.path="$SCRATCH/run" > "$SCRATCH/node.out" 2> "$SCRATCH/node.log" \
    || bad "the main job failed: $(tail -3 "$SCRATCH/node.log")"
}

# node_with_sim_setup KEY SECRET: for the tests that run the node against exchange-sim.
# NODE and CONFIG from the environment, the repository root as working directory, the
# simulator's account in BINANCE_API_KEY/SECRET, and the sim ($SIM) and node ($NODE_PID)
# killed by PID at exit.
node_with_sim_setup() {
  NODE=${TRADER_NODE:?set TRADER_NODE}
  CONFIG=${TRADER_CONFIG:?set TRADER_CONFIG to config/paper.toml}
  cd "$(dirname "$CONFIG")/.." || exit 1
  export BINANCE_API_KEY=$1 BINANCE_API_SECRET=$2
  SIM=""
  NODE_PID=""
  trap 'kill $SIM $NODE_PID 2>/dev/null; rm -rf "$SCRATCH"' EXIT
}

# start_named_sim NAME ARGS...: an exchange-sim with ARGS beside node_with_sim_setup's (killed
# with $SIM at exit); its port in NAME_PORT, its certificate $SCRATCH/NAME.pem, its log
# $SCRATCH/NAME.log.
start_named_sim() {
  local name=$1
  shift
  "$TOOLS" exchange-sim "$@" --cert-out "$SCRATCH/$name.pem" --port-file "$SCRATCH/$name.port" \
    > "$SCRATCH/$name.out" 2> "$SCRATCH/$name.log" &
  SIM="$SIM $!"
  wait_for_file "$SCRATCH/$name.port"
  printf -v "${name}_PORT" '%s' "$(cat "$SCRATCH/$name.port")"
}

# stop_live_node RUN TRADES: once the journal RUN holds TRADES trade records (a hang guard
# of 60 s only), stop_node.
stop_live_node() {
  local t
  for _ in $(seq 300); do
    t=$("$TOOLS" stats "$1" --json 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["by_type"].get("trade",0))' 2>/dev/null)
    [ "${t:-0}" -ge "$2" ] && break
    sleep 0.2
  done
  stop_node
}

# stop_node: SIGTERM the node ($NODE_PID): it must stop within 10 s and exit 0.
stop_node() {
  kill -TERM "$NODE_PID"
  for _ in $(seq 100); do kill -0 "$NODE_PID" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$NODE_PID" 2>/dev/null; then bad "the node did not stop within 10 s of SIGTERM"; kill -9 "$NODE_PID"; fi
  wait "$NODE_PID"
  expect_eq "the node exits 0 on SIGTERM" 0 "$?"
  NODE_PID=""
}

# journal_count DIR PATTERN: the order events in journal DIR matching PATTERN, committed so far
journal_count() {
  "$TOOLS" dump "$1" --type order_event --json 2>/dev/null | grep -c "$2"
}

# start_postgres: a PostgreSQL cluster of the test's own in $SCRATCH/pg (Debian's
# postgresql package, installed by scripts/install-deps.sh), on a unix socket there and no
# TCP, with a database `trader`. Sets PG_URL (a libpq URI), PSQL (psql on that database,
# one value per line) and PG_CTL (pg_ctl on the cluster, to stop and start it again); the
# server is stopped by its PID at exit. initdb refuses root, so as root the cluster runs
# as the `postgres` user.
start_postgres() {
  local bin as=()
  bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
  if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
    bad "PostgreSQL is missing (scripts/install-deps.sh installs the postgresql package)"
    finish
    exit 1
  fi
  if [ "$(id -u)" -eq 0 ]; then as=(runuser -u postgres --); chmod 755 "$SCRATCH"; fi
  mkdir -p "$SCRATCH/pg"
  [ "$(id -u)" -eq 0 ] && chown postgres "$SCRATCH/pg"
  "${as[@]}" "$bin/initdb" -D "$SCRATCH/pg/data" -A trust -U postgres -E UTF8 --no-sync > "$SCRATCH/pg/initdb.log" 2>&1 \
    || { bad "initdb: $(tail -3 "$SCRATCH/pg/initdb.log")"; finish; exit 1; }
  PG_CTL=("${as[@]}" "$bin/pg_ctl" -D "$SCRATCH/pg/data" -l "$SCRATCH/pg/server.log" -w -t 60
          -o "-k $SCRATCH/pg -c listen_addresses= -F")
  trap 'stop_postgres; rm -rf "$SCRATCH"' EXIT
  "${PG_CTL[@]}" start > /dev/null 2>&1 || { bad "pg_ctl start: $(tail -3 "$SCRATCH/pg/server.log")"; finish; exit 1; }
  PSQL=(psql -h "$SCRATCH/pg" -U postgres -d trader -X -q -t -A -v ON_ERROR_STOP=1)
  psql -h "$SCRATCH/pg" -U postgres -d postgres -X -q -c "CREATE DATABASE trader" > /dev/null \
    || { bad "createdb failed"; finish; exit 1; }
  PG_URL="postgresql://postgres@/trader?host=$SCRATCH/pg"
  ok "PostgreSQL $("${PSQL[@]}" -c 'SHOW server_version') started (pid $(head -1 "$SCRATCH/pg/data/postmaster.pid"))"
}

# start_slurm: a one-host Slurm cluster of the test's own in $SCRATCH/slurm (Debian's
# slurm-wlm and munge, installed by scripts/install-deps.sh): a munge key and socket of its
# own, slurmctld and slurmd on free loopback ports, no accounting, a scheduler that starts
# a job as soon as it is submitted, jobcomp/filetxt keeping each array task's exit code.
# Exports SLURM_CONF for the clients; the three daemons are stopped by PID at exit.
start_slurm() {
  local dir="$SCRATCH/slurm" p1 p2 bin
  for bin in munged slurmctld slurmd sbatch sinfo; do
    command -v "$bin" > /dev/null || { bad "$bin is missing (scripts/install-deps.sh installs slurm-wlm and munge)"; finish; exit 1; }
  done
  mkdir -p "$dir/munge" "$dir/state" "$dir/spool"
  chmod 755 "$SCRATCH" "$dir" "$dir/munge"
  head -c 1024 /dev/urandom > "$dir/munge/munge.key"
  chmod 400 "$dir/munge/munge.key"
  trap 'stop_slurm; rm -rf "$SCRATCH"' EXIT
  munged --force --socket="$dir/munge/socket" --key-file="$dir/munge/munge.key" --pid-file="$dir/munge/munged.pid" \
    --log-file="$dir/munge/munged.log" --seed-file="$dir/munge/seed" \
    || { bad "munged: $(tail -3 "$dir/munge/munged.log")"; finish; exit 1; }
  read -r p1 p2 < <(python3 -c 'import socket
ss = [socket.socket() for _ in range(2)]
for s in ss: s.bind(("127.0.0.1", 0))
print(*[s.getsockname()[1] for s in ss])')
  cat > "$dir/slurm.conf" <<CONF
ClusterName=tradertest
SlurmctldHost=localhost
SlurmctldPort=$p1
SlurmdPort=$p2
AuthType=auth/munge
AuthInfo=socket=$dir/munge/socket
CryptoType=crypto/munge
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
ReturnToService=2
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmdSpoolDir=$dir/spool
StateSaveLocation=$dir/state
SlurmUser=$(id -un)
SlurmdUser=root
SchedulerType=sched/builtin
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
MinJobAge=2
SchedulerParameters=batch_sched_delay=0,sched_interval=1
JobCompType=jobcomp/filetxt
JobCompLoc=$dir/jobcomp.txt
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
NodeName=localhost NodeAddr=127.0.0.1 CPUs=$(nproc) State=UNKNOWN
PartitionName=test Nodes=localhost Default=YES MaxTime=INFINITE State=UP
CONF
  export SLURM_CONF="$dir/slurm.conf"
  slurmctld -D > "$dir/slurmctld.out" 2>&1 &
  SLURMCTLD_PID=$!
  slurmd -D -N localhost > "$dir/slurmd.out" 2>&1 &
  SLURMD_PID=$!
  for _ in $(seq 1 150); do
    sinfo -h -o %t 2>/dev/null | grep -qx idle && break
    sleep 0.1
  done
  sinfo -h -o %t 2>/dev/null | grep -qx idle \
    || { bad "the Slurm node did not come up: $(tail -3 "$dir/slurmctld.log" "$dir/slurmd.log" 2>/dev/null)"; finish; exit 1; }
  ok "Slurm $(sinfo -V | cut -d' ' -f2) one-host cluster up (slurmctld $SLURMCTLD_PID, slurmd $SLURMD_PID)"
}

# stop_slurm: stops slurmd, slurmctld and munged by their PIDs, and waits for each.
stop_slurm() {
  local pid
  for pid in ${SLURMD_PID:-} ${SLURMCTLD_PID:-} $(cat "$SCRATCH/slurm/munge/munged.pid" 2>/dev/null); do
    kill "$pid" 2>/dev/null || continue
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  done
}

# stop_postgres: stops the test's cluster by the PID its postmaster.pid names, and waits.
stop_postgres() {
  local pid
  pid=$(head -1 "$SCRATCH/pg/data/postmaster.pid" 2>/dev/null) || return 0
  [ -n "$pid" ] || return 0
  kill -INT "$pid" 2>/dev/null
  while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
}

# what_if_checks VENUE CONFIG_ARGS...: a session with a fast rule (10 s candles) on the
# capture the arguments name places orders; a what-if with its own config gives its
# decision hash, one with a smaller position limit differs, and diff names the decisions
# that changed. NODE from the environment; journals under $SCRATCH.
what_if_checks() {
  local venue=$1 hash
  shift
  local fast=("$@" --set 'candles.intervals=["10s"]' --set strategy.interval=10s --set strategy.fast_ema=2
              --set strategy.slow_ema=4 --set strategy.momentum_candles=1 --set strategy.entry_momentum_bps=0.5
              --set strategy.reentry_cooldown_candles=1)
  "$NODE" "${fast[@]}" --set journal.path="$SCRATCH/fast" > "$SCRATCH/fast.out" 2>&1 || bad "the trading session failed"
  hash=$(grep -o "decision hash [0-9a-f]*" "$SCRATCH/fast.out" | cut -d' ' -f3)
  grep -q "decisions .* [1-9][0-9]* orders" "$SCRATCH/fast.out" && ok "the session on the $venue capture places orders" \
    || bad "no orders: $(grep decisions "$SCRATCH/fast.out")"
  "$TOOLS" replay "$SCRATCH/fast" --what-if "${fast[@]}" --out "$SCRATCH/same" 2>&1 | grep -q "decision hash $hash" \
    && ok "what-if with the session's config: the same decision hash" || bad "what-if differs from the session"
  "$TOOLS" replay "$SCRATCH/fast" --what-if "${fast[@]}" --set risk.max_position_equity=0.05 --out "$SCRATCH/changed" \
    > /dev/null 2>&1 || bad "what-if with a smaller position limit failed"
  "$TOOLS" diff "$SCRATCH/fast" "$SCRATCH/changed" > "$SCRATCH/diff.txt" 2>&1
  grep -Eq "different [1-9][0-9]* \(of" "$SCRATCH/diff.txt" && ok "diff: $(grep -o 'decisions: .*' "$SCRATCH/diff.txt")" \
    || bad "diff: $(head -3 "$SCRATCH/diff.txt")"
}
