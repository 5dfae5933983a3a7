#!/usr/bin/env bash
# The alert example of docs/operations.md, run against a local HTTPS receiver
# (tests/integration/alert_receiver.py) standing in for Slack and Telegram: the node is
# started as the page shows, with the channels' addresses pointed at the receiver, and the
# log's alert lines are printed. The receiver is stopped by its PID.
set -u
DIR=$(mktemp -d)
python3 tests/integration/alert_receiver.py "$DIR" 2> "$DIR/receiver.err" &
RECEIVER=$!
trap 'kill $RECEIVER 2>/dev/null; wait $RECEIVER 2>/dev/null; rm -rf "$DIR"' EXIT
for _ in $(seq 100); do [ -s "$DIR/receiver.port" ] && break; sleep 0.05; done
PORT=$(cat "$DIR/receiver.port") || exit 1
export TRADER_SLACK_WEBHOOK="https://127.0.0.1:$PORT/ok/slack"
export TRADER_TELEGRAM_TOKEN=123456:ABC
build/bin/trader-node --config config/paper.toml --set journal.path="$DIR/journal" \
  --set alerts.slack.url_env=TRADER_SLACK_WEBHOOK \
  --set alerts.telegram.token_env=TRADER_TELEGRAM_TOKEN --set alerts.telegram.chat_id=-1001234567890 \
  --set alerts.telegram.api_url="https://127.0.0.1:$PORT/ok/telegram" --set alerts.ca_file="$DIR/receiver.pem" \
  --set risk.max_daily_loss=15 --set risk.max_drawdown=0.008 2>&1 > /dev/null \
  | grep "\[info\] alerts " | sed 's/^\[[^]]*\] //'
# What Slack was sent, one text a line.
python3 -c 'import json, sys
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r["path"].endswith("/slack"): print(json.loads(r["body"])["text"])' "$DIR/received.jsonl"
