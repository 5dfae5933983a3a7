#!/usr/bin/env bash
# Alerts over real HTTPS to a local receiver (alert_receiver.py) that answers 200 on one
# path, 500 on another and never answers on a third. The node runs the main job with
# limits that halt and reduce it, fills announced, and all four channels on:
#   webhook  -> 200, every severity, no rate limit: exactly the alerts the journal calls
#               for (computed here from `dump`, independently of the node), in order;
#   telegram -> 200, 10 a minute: 10 sent, the rest held back and counted;
#   slack    -> 500, critical only: each alert tried 3 times, then given up, logged;
#   discord  -> hangs: the node still finishes, and says what it did not send.
# The decisions are those of the same run without alerts. A live feed whose venue goes
# away is announced while it is still down. No URL or token appears in the
# log or the journal. A channel whose variable is unset, or whose URL is not https, stops
# the node before it touches the journal.
source "$(dirname "$0")/lib.sh"
NODE=${TRADER_NODE:?set TRADER_NODE}
CONFIG=${TRADER_CONFIG:?set TRADER_CONFIG to config/paper.toml}
cd "$(dirname "$CONFIG")/.." || exit 1
RECEIVER="" SIM="" NODE_PID=""
trap 'kill $RECEIVER $SIM $NODE_PID 2>/dev/null; rm -rf "$SCRATCH"' EXIT

python3 "$(dirname "$0")/alert_receiver.py" "$SCRATCH" 2> "$SCRATCH/receiver.err" &
RECEIVER=$!
wait_for_file "$SCRATCH/receiver.port"
PORT=$(cat "$SCRATCH/receiver.port" 2>/dev/null)
[ -n "$PORT" ] && ok "the receiver listens on $PORT" || { bad "receiver: $(cat "$SCRATCH/receiver.err")"; finish; exit 1; }

export HOOK_URL="https://127.0.0.1:$PORT/ok/hook-path-secret-1f1f" SLACK_URL="https://127.0.0.1:$PORT/fail/slack-secret-2e2e"
export DISCORD_URL="https://127.0.0.1:$PORT/hang/discord-secret-3d3d" TG_TOKEN="777:tg-token-secret-4c4c"
# Limits the main job's data crosses: a daily loss limit (REDUCING, ACTIVE the next day)
# and a drawdown (HALTED for good).
trading=(--config "$CONFIG" --set risk.max_daily_loss=15 --set risk.max_drawdown=0.008)
alerting=(--set alerts.fills=true --set alerts.ca_file="$SCRATCH/receiver.pem" --set alerts.timeout_ms=3000
  --set alerts.webhook.url_env=HOOK_URL --set alerts.webhook.min_severity=info --set alerts.webhook.max_per_minute=0
  --set alerts.telegram.token_env=TG_TOKEN --set alerts.telegram.chat_id=-1001 --set "alerts.telegram.api_url=https://127.0.0.1:$PORT/ok/tg"
  --set alerts.telegram.min_severity=info --set alerts.telegram.max_per_minute=10
  --set alerts.slack.url_env=SLACK_URL --set alerts.slack.min_severity=critical
  --set alerts.discord.url_env=DISCORD_URL --set alerts.discord.min_severity=info)

"$NODE" "${trading[@]}" --set journal.path="$SCRATCH/quiet" > "$SCRATCH/quiet.out" 2> "$SCRATCH/quiet.log" \
  || bad "the run without alerts failed: $(tail -3 "$SCRATCH/quiet.log")"
timeout 120 "$NODE" "${trading[@]}" "${alerting[@]}" --set journal.path="$SCRATCH/run" > "$SCRATCH/run.out" 2> "$SCRATCH/run.log"
rc=$?
expect_eq "the node with a failing and a hanging channel finishes, exit" 0 "$rc"
hash_of() { grep -o "decision hash [0-9a-f]*" "$1"; }
expect_eq "the decisions are those of the run without alerts" "$(hash_of "$SCRATCH/quiet.out")" "$(hash_of "$SCRATCH/run.out")"
grep -q "alerts to slack (critical and above, at most 20 a minute), discord (info and above" "$SCRATCH/run.log" \
  && ok "the start log names the channels, not their URLs" || bad "start log: $(grep alerts "$SCRATCH/run.log" | head -2)"

"$TRADER_TOOLS" dump "$SCRATCH/run" --json > "$SCRATCH/dump.jsonl" 2>/dev/null
python3 - "$SCRATCH/dump.jsonl" "$SCRATCH/received.jsonl" "$SCRATCH/run.log" <<'PY' && ok "webhook: every alert the journal calls for, in order (fills, day summaries, state changes), as JSON" || bad "webhook alerts differ"
import json, re, sys
records = [json.loads(l) for l in open(sys.argv[1])]
received = [json.loads(l) for l in open(sys.argv[2])]
log = open(sys.argv[3]).read()
# What the journal calls for, derived here from the records, not from the node's rules.
expected = []
state, day, last_pf = "active", None, None
for r in records:
    t, b = r["type"], r.get("body", {})
    if t == "risk_state" and b["state"] != state:
        state = b["state"]
        expected.append(({"halted": "halted", "reducing": "reducing", "active": "active"}[state], r["seq"]))
    elif t == "order_event" and int(b["fill_qty"].replace(".", "").lstrip("-") or 0) != 0:
        expected.append(("fill", r["seq"]))
    elif t == "portfolio_state":
        d = b["ts_ms"] // 86400000
        if day is not None and d != day:
            expected.append(("daily_summary", last_pf))
        day, last_pf = d, r["seq"]
expected.append(("daily_summary", last_pf))  # the day so far, at the end
hook = [json.loads(x["body"]) for x in received if x["path"] == "/ok/hook-path-secret-1f1f"]
got = [(h["kind"], h["seq"]) for h in hook]
m = re.search(r"alerts to webhook: (\d+) delivered, (\d+) not delivered, (\d+) held back by the rate limit, (\d+) dropped", log)
delivered, failed, held, dropped = map(int, m.groups())
kinds = {k for k, _ in expected}
assert {"halted", "reducing", "active", "fill", "daily_summary"} <= kinds, kinds
assert failed == 0 and held == 0 and delivered == len(got) and delivered + dropped == len(expected), (m.groups(), len(expected))
assert got == expected[:delivered], [(g, e) for g, e in zip(got, expected) if g != e][:3]
assert all(x["content_type"] == "application/json" for x in received), "content type"
h = next(h for h in hook if h["kind"] == "halted")
assert h["severity"] == "critical" and h["text"].startswith("HALTED: ") and h["node"] == "paper-1", h
s = next(h for h in hook if h["kind"] == "daily_summary")
assert re.match(r"20\d\d-\d\d-\d\d: PnL -?[0-9.]+ USDC \(net since start -?[0-9.]+\), equity [0-9.]+, \d+ fills", s["text"]), s
print(f"{delivered} delivered, {dropped} dropped at the stop, of {len(expected)}: "
      f"{sum(k == 'fill' for k, _ in expected)} fills, {sum(k == 'daily_summary' for k, _ in expected)} day summaries")
PY
python3 - "$SCRATCH/received.jsonl" "$SCRATCH/run.log" <<'PY' && ok "telegram: the Bot API's sendMessage with the chat, 10 in the minute, the rest held back and counted" || bad "telegram"
import json, re, sys
received = [json.loads(l) for l in open(sys.argv[1])]
log = open(sys.argv[2]).read()
tg = [x for x in received if x["path"].startswith("/ok/tg/")]
assert len(tg) == 10, len(tg)
assert all(x["path"] == "/ok/tg/bot777:tg-token-secret-4c4c/sendMessage" for x in tg), tg[0]["path"]
bodies = [json.loads(x["body"]) for x in tg]
assert all(b["chat_id"] == "-1001" and b["text"].startswith("[") for b in bodies), bodies[0]
m = re.search(r"alerts to telegram: (\d+) delivered, (\d+) not delivered, (\d+) held back by the rate limit, (\d+) dropped", log)
assert int(m.group(1)) == 10 and int(m.group(3)) > 0, m.groups()
PY
python3 - "$SCRATCH/received.jsonl" "$SCRATCH/run.log" <<'PY' && ok "slack answering 500: each critical alert tried 3 times, retries and the give-up logged" || bad "slack"
import json, re, sys
received = [json.loads(l) for l in open(sys.argv[1])]
log = open(sys.argv[2]).read()
slack = [json.loads(x["body"])["text"] for x in received if x["path"] == "/fail/slack-secret-2e2e"]
assert slack and len(slack) % 3 == 0 and all(s.startswith("[critical]") for s in slack), slack
assert "alert halted to slack: HTTP 500; retrying in 500 ms (attempt 1 of 3)" in log, "no retry line"
assert "alert halted to slack: not delivered: HTTP 500" in log, "no give-up line"
m = re.search(r"alerts to slack: (\d+) delivered, (\d+) not delivered", log)
assert int(m.group(1)) == 0 and int(m.group(2)) == len(slack) // 3, (m.groups(), len(slack))
PY
grep -q "^.*/hang/discord" "$SCRATCH/received.jsonl" && grep -q "alert [a-z_]* to discord: not delivered: .*timed out" "$SCRATCH/run.log" \
  && grep -qE "alerts to discord: [0-9]+ not sent, the node stopped" "$SCRATCH/run.log" \
  && ok "discord hanging: the attempt timed out, and what was left unsent is said" \
  || bad "discord: $(grep discord "$SCRATCH/run.log" | tail -3)"

# A live feed whose venue goes away: the stream journals each failed reconnection attempt,
# and once those span alerts.feed_down_after_s the webhook is told, while it is still down.
export BINANCE_API_KEY=alerts-sim-key BINANCE_API_SECRET=alerts-sim-secret LIVE_HOOK_URL="https://127.0.0.1:$PORT/ok/live"
"$TRADER_TOOLS" exchange-sim --capture "$TRADER_TEST_DATA/btcusdt_20240808_head20k.gz" --speed 1 --cert-out "$SCRATCH/sim.pem" \
  --port-file "$SCRATCH/sim.port" > /dev/null 2> "$SCRATCH/sim.log" &
SIM=$!
wait_for_file "$SCRATCH/sim.port"
"$NODE" --config "$CONFIG" --set journal.path="$SCRATCH/live" --set feed.source=binance \
  --set "feed.url=wss://127.0.0.1:$(cat "$SCRATCH/sim.port")/stream" --set 'feed.symbols=["BTCUSDT"]' --set portfolio.quote_asset=USDT \
  --set "feed.ca_file=$SCRATCH/sim.pem" --set alerts.ca_file="$SCRATCH/receiver.pem" --set alerts.feed_down_after_s=1 \
  --set alerts.webhook.url_env=LIVE_HOOK_URL > "$SCRATCH/live.out" 2> "$SCRATCH/live.log" &
NODE_PID=$!
wait_until grep -q "market feed connected" "$SCRATCH/live.log"
kill -9 "$SIM"
wait "$SIM" 2> /dev/null
for _ in $(seq 300); do grep -q '"/ok/live"' "$SCRATCH/received.jsonl" && break; sleep 0.1; done
kill -TERM "$NODE_PID"
wait "$NODE_PID"
NODE_PID=""
python3 - "$SCRATCH/received.jsonl" <<'PY' && ok "a live feed down for 1 s is announced while it is down: $(grep -o 'feed market data down for [0-9]* s' "$SCRATCH/received.jsonl" | head -1)" || bad "no feed_down alert: $(tail -5 "$SCRATCH/live.log")"
import json, sys
live = [json.loads(json.loads(l)["body"]) for l in open(sys.argv[1]) if json.loads(l)["path"] == "/ok/live"]
down = [a for a in live if a["kind"] == "feed_down"]
assert len(down) == 1 and down[0]["severity"] == "warning" and down[0]["text"].startswith("feed market data down for "), live
PY
n=$("$TRADER_TOOLS" dump "$SCRATCH/live" --type feed_status --json 2>/dev/null | grep -c '"kind":"reconnecting"')
[ "$n" -ge 2 ] && ok "its failed reconnection attempts are journaled ($n)" || bad "reconnecting records: $n"

# No secret anywhere the node writes.
cat "$SCRATCH/run.log" "$SCRATCH/run.out" "$SCRATCH/dump.jsonl" | grep -q -e "secret-1f1f" -e "secret-2e2e" -e "secret-3d3d" -e "secret-4c4c" \
  && bad "a channel's URL or token appears in the log, the output or the journal" \
  || ok "no channel URL or token in the log, the output or the journal"

# Bad setups stop the node before it touches the journal.
expect_fail "a channel whose variable is unset" 1 "alerts.slack.url_env: the environment variable NOT_SET_ANYWHERE is not set" \
  "$NODE" --config "$CONFIG" --set journal.path="$SCRATCH/bad1" --set alerts.slack.url_env=NOT_SET_ANYWHERE
[ ! -e "$SCRATCH/bad1" ] && ok "...and no journal was created" || bad "a journal was created"
export PLAIN_URL="http://127.0.0.1:$PORT/plain-secret-5b5b"
expect_fail "a channel URL that is not https" 1 "alerts.webhook.url_env (\$PLAIN_URL): the webhook channel's URL is not https" \
  "$NODE" --config "$CONFIG" --set journal.path="$SCRATCH/bad2" --set alerts.webhook.url_env=PLAIN_URL
"$NODE" --config "$CONFIG" --set journal.path="$SCRATCH/bad2" --set alerts.webhook.url_env=PLAIN_URL 2>&1 | grep -q "plain-secret" \
  && bad "the error quotes the URL" || ok "...and the error does not quote the URL"
expect_fail "telegram without a chat" 2 "alerts.telegram.chat_id: the Telegram channel needs the chat" \
  "$NODE" --config "$CONFIG" --set journal.path="$SCRATCH/bad3" --set alerts.telegram.token_env=TG_TOKEN
expect_fail "an unknown severity" 2 "alerts.slack.min_severity: \"loud\" is not one of" \
  "$NODE" --config "$CONFIG" --set journal.path="$SCRATCH/bad4" --set alerts.slack.min_severity=loud
finish
