#!/usr/bin/env bash
# A live feed across a resume: the feed core's state (the last trade id, the clock) is in
# the journal's snapshots, so a resumed node knows where the stream stood. Session 1
# takes capture lines 1..6000 from exchange-sim and stops. Session 2 resumes on a second
# sim at the same address, which sends lines 4001..6000 again (a venue resending after a
# reconnect) and then jumps to line 9001 (what was missed while the node was away). The
# resent trades are refused as stale_id (journaled, delivered to no one), and the jump is
# one gap report whose expected id is session 1's last trade + 1. Both sessions replay
# --verify identical, which re-derives every tick, gap and refusal.
source "$(dirname "$0")/lib.sh"
node_with_sim_setup live-test-key-55aa live-test-secret-never-shown-77bb

CAPTURE="$DATA/btcusdt_20240808_head20k.gz"
zcat "$CAPTURE" | sed -n '1,6000p' | gzip > "$SCRATCH/first.gz"
zcat "$CAPTURE" | sed -n '4001,6000p;9001,12000p' | gzip > "$SCRATCH/second.gz"
count_trades() { zcat "$1" | grep -c '"e":"trade"'; }
# Trade ids in the capture's order (the stream is ordered, so the last is the highest).
trade_ids() { zcat "$1" | grep -o '"e":"trade","E":[0-9]*,"s":"BTCUSDT","t":[0-9]*' | sed 's/.*"t"://'; }
FIRST_TRADES=$(count_trades "$SCRATCH/first.gz")
RESENT=$(zcat "$CAPTURE" | sed -n '4001,6000p' | grep -c '"e":"trade"')
AFTER=$(zcat "$CAPTURE" | sed -n '9001,12000p' | grep -c '"e":"trade"')
LAST_FIRST=$(trade_ids "$SCRATCH/first.gz" | tail -1)
FIRST_AFTER=$(zcat "$CAPTURE" | sed -n '9001,12000p' | gzip | trade_ids /dev/stdin | head -1)
[ "$RESENT" -gt 0 ] && [ "$AFTER" -gt 0 ] && [ "$FIRST_AFTER" -gt $((LAST_FIRST + 1)) ] \
  && ok "slices: $FIRST_TRADES trades, then $RESENT resent and $AFTER after a jump ($LAST_FIRST -> $FIRST_AFTER)" \
  || bad "slices: $FIRST_TRADES $RESENT $AFTER $LAST_FIRST $FIRST_AFTER"

start_sim() {  # start_sim CAPTURE LISTEN
  rm -f "$SCRATCH/sim.port"
  "$TOOLS" exchange-sim --capture "$1" --speed 40 --hold-while-away --listen "$2" \
    --cert-out "$SCRATCH/sim.pem" --port-file "$SCRATCH/sim.port" > "$SCRATCH/sim.out" 2> "$SCRATCH/sim.log" &
  SIM=$!
  wait_for_file "$SCRATCH/sim.port"
}
trades_in() { "$TOOLS" stats "$1" --json 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["by_type"].get("trade",0))' 2>/dev/null; }
# run_session WANT STALE ARGS...: the node until the sim has handed over everything and the
# journal holds WANT trade records (let in or refused) and STALE stale_id errors, then SIGTERM. Hang guards only: the waits end on events.
run_session() {
  local want=$1 errors=$2
  shift 2
  "$NODE" --config "$CONFIG" --set journal.path="$run" --set feed.source=binance --set "feed.url=wss://127.0.0.1:$PORT/stream" \
    --set 'feed.symbols=["BTCUSDT"]' --set 'feed.channels=["trade","bookTicker"]' --set "feed.ca_file=$SCRATCH/sim.pem" \
    --set portfolio.quote_asset=USDT "$@" > "$SCRATCH/node.out" 2> "$SCRATCH/node.log" &
  NODE_PID=$!
  for _ in $(seq 1200); do grep -q "every frame handed to a client" "$SCRATCH/sim.log" && break; sleep 0.1; done
  for _ in $(seq 300); do
    local t e
    t=$(trades_in "$run")
    e=$("$TOOLS" dump "$run" --type error --json 2>/dev/null | grep -c stale_id)
    [ "${t:-0}" -ge "$want" ] && [ "${e:-0}" -ge "$errors" ] && break
    sleep 0.2
  done
  kill -TERM "$NODE_PID"
  for _ in $(seq 100); do kill -0 "$NODE_PID" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$NODE_PID" 2>/dev/null && { bad "the node did not stop within 10 s of SIGTERM"; kill -9 "$NODE_PID"; }
  wait "$NODE_PID"
  expect_eq "the node exits 0 on SIGTERM" 0 "$?"
  NODE_PID=""
  kill "$SIM" 2>/dev/null
  wait "$SIM" 2>/dev/null
  SIM=""
}

run="$SCRATCH/live"
start_sim "$SCRATCH/first.gz" 127.0.0.1:0
PORT=$(cat "$SCRATCH/sim.port")
run_session "$FIRST_TRADES" 0
expect_eq "session 1 journals every trade" "$FIRST_TRADES" "$(trades_in "$run")"

start_sim "$SCRATCH/second.gz" "127.0.0.1:$PORT"
[ "$(cat "$SCRATCH/sim.port")" = "$PORT" ] && ok "the second sim listens where the first did" || bad "port $(cat "$SCRATCH/sim.port")"
run_session $((FIRST_TRADES + RESENT + AFTER)) "$RESENT" --set 'journal.if_exists="resume"'
grep -q "^resumed session 1" "$SCRATCH/node.out" && ok "session 2 resumed session 1" || bad "resume: $(head -3 "$SCRATCH/node.out") $(tail -3 "$SCRATCH/node.log")"
grep -q " 1 gaps, 0 implausible times, $RESENT stale ids" "$SCRATCH/node.out" \
  && ok "session 2 summary: 1 gap, $RESENT stale ids" || bad "summary: $(grep feed "$SCRATCH/node.out")"

"$TOOLS" dump "$run" --json > "$SCRATCH/dump.jsonl"
LAST_FIRST=$LAST_FIRST FIRST_AFTER=$FIRST_AFTER RESENT=$RESENT AFTER=$AFTER FIRST_TRADES=$FIRST_TRADES \
python3 - "$SCRATCH/dump.jsonl" <<'PY' && ok "journal: the resent trades refused, the jump one gap from session 1's last id" || bad "journal content"
import json, os, sys
env = {k: int(os.environ[k]) for k in ("LAST_FIRST", "FIRST_AFTER", "RESENT", "AFTER", "FIRST_TRADES")}
rows = [json.loads(l) for l in open(sys.argv[1])]
gaps = [r["body"] for r in rows if r["type"] == "feed_status" and r["body"]["kind"] == "gap"]
assert len(gaps) == 1, gaps
assert gaps[0]["expected_id"] == env["LAST_FIRST"] + 1 and gaps[0]["received_id"] == env["FIRST_AFTER"], gaps
let_in = [r for r in rows if r["type"] == "trade" and r["destination"] == "none"]
refused = [r for r in rows if r["type"] == "trade" and r["destination"] == "market_feed"]
stale = [r for r in rows if r["type"] == "error" and r["body"]["code"] == "stale_id"]
assert len(let_in) == env["FIRST_TRADES"] + env["AFTER"], len(let_in)
assert len(refused) == len(stale) == env["RESENT"], (len(refused), len(stale))
ids = [r["body"]["trade_id"] for r in let_in]
assert ids == sorted(set(ids)), "a trade let in twice"
# each refusal: the error saying why, then the trade, quarantined
seqs = {r["seq"]: r for r in rows}
assert all(seqs[r["seq"] - 1]["type"] == "error" for r in refused)
PY
"$TOOLS" replay "$run" --verify > "$SCRATCH/replay.txt" && ok "$(head -1 "$SCRATCH/replay.txt")" || bad "replay: $(cat "$SCRATCH/replay.txt")"
"$TOOLS" verify "$run" > /dev/null && ok "journal verifies" || bad "verify"
finish
