#!/usr/bin/env bash
# The control API of a running node: /health, /status and /metrics shapes (Prometheus text
# format rules checked), auth (401 without a token, 403 wrong, 200 right), halt -> trading
# halted, flatten -> no positions, resume; every command journaled and reproduced by
# replay; the token never in the journal or the logs.
source "$(dirname "$0")/lib.sh"
NODE=${TRADER_NODE:?set TRADER_NODE}
CONFIG=${TRADER_CONFIG:?set TRADER_CONFIG}
cd "$(dirname "$CONFIG")/.."
export TRADER_CONTROL_TOKEN="ctl-secret-token-$RANDOM-$RANDOM"  # 16 characters or more, as the node asks
run="$SCRATCH/run"
# Starts the node on $run with the control API on an ephemeral port: sets pid, port, url.
start_node() {
  local log=$1
  shift
  "$NODE" --config "$CONFIG" --set journal.path="$run" --set control.listen=127.0.0.1:0 "$@" \
    > "$SCRATCH/$log.out" 2> "$SCRATCH/$log.err" &
  pid=$!
  wait_until grep -q "control API on http://127.0.0.1:[0-9]" "$SCRATCH/$log.err"
  port=$(sed -n 's/.*control API on http:\/\/127.0.0.1:\([0-9]*\).*/\1/p' "$SCRATCH/$log.err")
  url="http://127.0.0.1:$port"
}
# Slow enough (7 days of data in about 10 minutes) that the feed never ends while the test
# drives the node: every wait below is on an event, polled by one python process (a loaded
# machine takes seconds to start each ctl or python; polling with them once let the feed
# end before the test reached its halt). Should the node end anyway, the test says so.
start_node node --set feed.speed=1000
[ -n "$port" ] && ok "control API listening on an ephemeral loopback port ($port)" || bad "no control API: $(cat "$SCRATCH/node.err")"
ctl() { "$TOOLS" ctl "$@" --url "$url"; }
# wait_status EXPR SECONDS: polls GET /status (20 a second) until python EXPR holds for its
# JSON `d`, or SECONDS pass (a hang guard); prints the last status read.
wait_status() {
  python3 - "$url/status" "$1" "$2" <<'PY'
import json, sys, time, urllib.request
url, expr, limit = sys.argv[1], sys.argv[2], float(sys.argv[3])
end, d = time.monotonic() + limit, {}
while True:
    try:
        d = json.load(urllib.request.urlopen(url, timeout=5))
        if eval(expr, {}, {"d": d}): break
    except OSError as e:
        d = {"error": str(e)}
    if time.monotonic() > end: break
    time.sleep(0.05)
print(json.dumps(d))
PY
}
# node_alive WHAT: fails naming the step if the node has ended (its feed finished early).
node_alive() {
  kill -0 "$pid" 2>/dev/null || bad "the node ended before $1: $(tail -3 "$SCRATCH/node.out" "$SCRATCH/node.err")"
}

ctl health | python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["status"]=="ok" and d["last_seq"]>0, d' \
  && ok "/health" || bad "/health"
wait_status 'd["positions"]' 240 > "$SCRATCH/status.json"  # until it holds a position
python3 - "$SCRATCH/status.json" <<'PY' && ok "/status has every field" || bad "/status: $(cat "$SCRATCH/status.json")"
import json, sys
d = json.load(open(sys.argv[1]))
for k in ("trading_state", "positions", "open_orders", "equity", "pnl_today", "drawdown", "model_id", "last_seq",
          "journal_lag", "feed", "session", "fees", "realized_pnl"):
    assert k in d, k
assert d["trading_state"] == "active" and d["model_id"] == "rule:ema-momentum-v1"
assert isinstance(d["positions"], list) and isinstance(d["open_orders"], list)
assert d["starting_state"] == {"from": "config"} and d["starting_capital"] == "10000", d  # paper: portfolio.starting_cash
PY
ctl metrics > "$SCRATCH/metrics.txt"
python3 - "$SCRATCH/metrics.txt" <<'PY' && ok "/metrics follows the Prometheus text format" || bad "/metrics: $(head -20 "$SCRATCH/metrics.txt")"
import re, sys
name = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
sample = re.compile(rf"^({name})(\{{({name}=\"(?:[^\"\\\\\n]|\\\\.)*\"(,{name}=\"(?:[^\"\\\\\n]|\\\\.)*\")*)?\}})? (?P<value>-?[0-9.eE+-]+|\+Inf|-Inf|NaN)$")
types, helps, buckets, counts = {}, set(), {}, {}
for line in open(sys.argv[1]).read().splitlines():
    if line.startswith("# HELP "):
        helps.add(line.split()[2]); continue
    if line.startswith("# TYPE "):
        _, _, n, t = line.split(); assert t in ("counter", "gauge", "histogram", "summary", "untyped"), line
        assert n not in types, "TYPE twice: " + n; types[n] = t; continue
    m = sample.match(line); assert m, "bad sample line: " + line
    metric = m.group(1)
    family = re.sub(r"_(bucket|sum|count)$", "", metric) if re.sub(r"_(bucket|sum|count)$", "", metric) in types else metric
    assert family in types, "sample before its TYPE: " + line
    if metric.endswith("_bucket"):
        le = re.search(r'le="([^"]*)"', line).group(1); v = float(m.group("value"))
        prev = buckets.setdefault(family, [])
        assert not prev or v >= prev[-1], "buckets not cumulative: " + line
        prev.append(v)
        if le == "+Inf": counts[family + "_inf"] = v
    if metric.endswith("_count"): counts[family] = float(m.group("value"))
for f, t in types.items():
    assert f in helps, "no HELP for " + f
    if t == "histogram": assert counts[f + "_inf"] == counts[f], f
for needed in ("trader_messages_total", "trader_journal_commit_seconds", "trader_queue_depth", "trader_tick_to_order_seconds",
               "trader_equity", "trader_drawdown_ratio", "trader_rejects_total", "trader_pnl_today"):
    assert needed in types, needed
PY

# Auth: 401 without a token, 403 with a wrong one, 405/404 for wrong use.
code() { python3 - "$@" <<'PY'
import sys, urllib.request, urllib.error
method, url = sys.argv[1], sys.argv[2]
req = urllib.request.Request(url, method=method, data=b"" if method == "POST" else None)
if len(sys.argv) > 3: req.add_header("Authorization", "Bearer " + sys.argv[3])
try: print(urllib.request.urlopen(req, timeout=5).status)
except urllib.error.HTTPError as e: print(e.code)
PY
}
expect_eq "POST /halt without a token" 401 "$(code POST "$url/halt")"
expect_eq "POST /halt with a wrong token" 403 "$(code POST "$url/halt" wrong-token)"
expect_eq "GET /halt" 405 "$(code GET "$url/halt")"
expect_eq "an unknown path" 404 "$(code GET "$url/nothing")"
# Over the limits: answered with why (they were dropped unanswered), the client sending on.
too_large() { python3 - "$@" <<'PY'
import sys, urllib.request, urllib.error
what, url = sys.argv[1], sys.argv[2]
if what == "body": req = urllib.request.Request(url, method="POST", data=b"x" * 100_000)
else: req = urllib.request.Request(url, headers={"X-Big": "h" * 20_000})
try: print(urllib.request.urlopen(req, timeout=10).status)
except urllib.error.HTTPError as e: print(e.code, e.read().decode())
except OSError as e: print("no answer:", e)
PY
}
expect_eq "a 100 KB body" '413 {"error":"a request body is at most 64 KiB (the API takes none)"}' "$(too_large body "$url/halt")"
expect_eq "a 20 KB header" '431 {"error":"a request'"'"'s header is at most 16 KiB"}' "$(too_large header "$url/status")"
echo wrong > "$SCRATCH/wrong-token"
expect_fail "ctl with a wrong token says so" 1 "403" "$TOOLS" ctl halt --url "$url" --token-file "$SCRATCH/wrong-token"

# The trading state once it is STATE, or the last one seen (hang guard: 60 s).
state_becomes() {
  wait_status "d.get(\"trading_state\") == \"$1\"" 60 | python3 -c 'import json,sys; print(json.load(sys.stdin).get("trading_state"))'
}
# A client that trickles its request (a byte every half second, 20 s in all) holds no one:
# the operator's halt below gets through while it is connected (it held the API until it
# finished: a minute and more), and the API drops it, which took no request of its.
python3 - "$port" > "$SCRATCH/trickler.out" 2>&1 <<'PY' &
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
print("connected", flush=True)
try:
    for ch in b"GET /status HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 40 + b"\r\n\r\n":
        s.send(bytes([ch]))
        time.sleep(0.5)
    s.settimeout(30)
    answer = s.recv(100)
    print("served" if answer else "dropped: closed unanswered", answer)
except OSError as e:
    print("dropped:", e)
PY
trickler=$!
wait_until grep -q connected "$SCRATCH/trickler.out"
node_alive "the halt"
ctl halt --reason "ops drill" | grep -q accepted && ok "ctl halt: 200, while a client trickles its request" || bad "ctl halt"
expect_eq "halted" halted "$(state_becomes halted)"
node_alive "the flatten"
ctl flatten --reason "emergency stop" > /dev/null || bad "ctl flatten"
# The flatten lands wherever the paced feed is. At night the 1-minute klines often have
# no volume and a paper market order expires unfilled (1 run in 4 here): risk then exits
# again at each candle until flat, so this waits for data, not for luck.
positions=$(wait_status 'len(d["positions"]) + len(d["open_orders"]) == 0' 60 |
  python3 -c 'import json,sys; d=json.load(sys.stdin); print(len(d.get("positions", [1])) + len(d.get("open_orders", [])))')
expect_eq "flatten: no positions and no open orders left" 0 "$positions"
ctl resume --reason "drill over" > /dev/null || bad "ctl resume"
expect_eq "resumed" active "$(state_becomes active)"
wait "$trickler"
grep -q "^dropped" "$SCRATCH/trickler.out" && ok "the trickling client was dropped: $(cat "$SCRATCH/trickler.out")" \
  || bad "the trickling client was served: $(cat "$SCRATCH/trickler.out")"

node_alive "the test stopped it"
kill -TERM "$pid"; wait "$pid"; rc=$?
expect_eq "the node stops on SIGTERM" 0 "$rc"
expect_fail "the API is gone with the node" 2 "cannot reach the node" "$TOOLS" ctl status --url "$url"
# A node that accepts but never answers: ctl gives up at its deadline instead of hanging.
python3 -c 'import socket, time; s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(); print(s.getsockname()[1], flush=True); time.sleep(60)' \
  > "$SCRATCH/mute.port" &
mute=$!
wait_until test -s "$SCRATCH/mute.port"
expect_fail "a node that does not answer" 2 "did not answer within 10 s" "$TOOLS" ctl status --url "http://127.0.0.1:$(cat "$SCRATCH/mute.port")"
kill "$mute" 2>/dev/null; wait "$mute" 2>/dev/null
cmds=$("$TOOLS" dump "$run" --type operator_command --json | python3 -c '
import json, sys
print("|".join(":".join((b["kind"], b["issued_by"], b["reason"])) for b in (json.loads(l)["body"] for l in sys.stdin)))')
expect_eq "every command journaled, with who and why" "halt:http:ops drill|flatten:http:emergency stop|resume:http:drill over" "$cmds"
grep -q "^identical" <<<"$("$TOOLS" replay "$run" --verify)" && ok "replay reproduces the session with its operator commands" || bad "replay"
# Restarted on the same journal (at real-time speed, so nothing new happens for a while):
# /status starts from the recovered state, not from an empty view.
start_node node2 --set journal.if_exists=resume --set feed.speed=1
ctl status > "$SCRATCH/status2.json"
kill -TERM "$pid"; wait "$pid"
last=$("$TOOLS" dump "$run" --type portfolio_state --json | tail -1)
python3 - "$SCRATCH/status2.json" "$last" <<'PY' && ok "a resumed node's /status starts from the journal's state" || bad "resumed /status: $(cat "$SCRATCH/status2.json")"
import json, sys
d = json.load(open(sys.argv[1]))
p = json.loads(sys.argv[2])
assert d["last_seq"] >= p["seq"] > 0, (d["last_seq"], p["seq"])
assert d["equity"] == p["body"]["equity"] and d["equity"] != "0", (d["equity"], p["body"]["equity"])
assert len(d["positions"]) == len(p["body"]["positions"]) and d["trading_state"] == "active", d
PY
if "$TOOLS" dump "$run" --json | grep -q "$TRADER_CONTROL_TOKEN" || grep -rq "$TRADER_CONTROL_TOKEN" "$run" "$SCRATCH"/node*.err "$SCRATCH"/node*.out; then
  bad "the token leaked into the journal or the logs"
else
  ok "the token is in neither the journal nor the logs"
fi
# A token anyone could guess, or a token file the node cannot use, stops the start before
# the journal is touched (a one-letter token was taken; a missing file ran the API with no
# token at all, a warning in the log, while the operator believed halt would work).
none="$SCRATCH/none"
api=(--config "$CONFIG" --set journal.path="$none" --set control.listen=127.0.0.1:0)
expect_fail "a short control token is refused" 1 'the control token (\$TRADER_CONTROL_TOKEN) has 5 characters; it needs at least 16' \
  env TRADER_CONTROL_TOKEN=short "$NODE" "${api[@]}"
expect_fail "a token file that does not exist is a config error at its key" 2 "control.token_file: file $SCRATCH/no.tok does not exist" \
  "$NODE" "${api[@]}" --set control.token_file="$SCRATCH/no.tok"
printf '\n' > "$SCRATCH/empty.tok"
expect_fail "an empty token file is refused" 1 "its first line is empty; expected the secret" \
  "$NODE" "${api[@]}" --set control.token_file="$SCRATCH/empty.tok"
[ -e "$none" ] && bad "a refused start made a journal" || ok "...and none of them made a journal"
finish
