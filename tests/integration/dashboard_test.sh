#!/usr/bin/env bash
# The dashboard in a real browser (Debian's chromium, driven by puppeteer-core from
# tests/js): a paper node trades a live feed from exchange-sim until the capture is over,
# then the page must load from the node alone with no console error, show exactly what
# /status says, explain a decision when it is clicked, refuse a wrong token and halt with
# the right one; the halt is journaled as an operator command from http, the refusal is
# not. /explain and /events answer on their own too.
source "$(dirname "$0")/lib.sh"
NODE=${TRADER_NODE:?set TRADER_NODE}
CONFIG=${TRADER_CONFIG:?set TRADER_CONFIG to config/paper.toml}
JS=$(cd "$(dirname "$0")/../js" && pwd)
cd "$(dirname "$CONFIG")/.." || exit 1
export BINANCE_API_KEY=dashboard-sim-key BINANCE_API_SECRET=dashboard-sim-secret
export TRADER_CONTROL_TOKEN="dash-secret-token-$RANDOM-$RANDOM"  # 16 characters or more, as the node asks
SIM="" NODE_PID=""
trap 'kill $SIM $NODE_PID 2>/dev/null; rm -rf "$SCRATCH"' EXIT
if [ ! -d "$JS/node_modules/puppeteer-core" ] || ! command -v chromium > /dev/null; then
  bad "puppeteer-core (tests/js, npm ci) or chromium is missing: scripts/install-deps.sh installs both"
  finish
  exit 1
fi

"$TOOLS" exchange-sim --capture "$DATA/btcusdt_20240808_head20k.gz" --speed max --cert-out "$SCRATCH/sim.pem" \
  --port-file "$SCRATCH/sim.port" > /dev/null 2> "$SCRATCH/sim.log" &
SIM=$!
wait_for_file "$SCRATCH/sim.port"
# Fast candles so that the capture's minutes of trades give decisions and fills.
"$NODE" --config "$CONFIG" --set journal.path="$SCRATCH/run" --set feed.source=binance \
  --set "feed.url=wss://127.0.0.1:$(cat "$SCRATCH/sim.port")/stream" --set 'feed.symbols=["BTCUSDT"]' \
  --set 'feed.channels=["trade"]' --set "feed.ca_file=$SCRATCH/sim.pem" --set portfolio.quote_asset=USDT \
  --set 'candles.intervals=["5s"]' --set strategy.interval=5s --set strategy.fast_ema=2 --set strategy.slow_ema=4 \
  --set strategy.momentum_candles=2 --set strategy.entry_momentum_bps=0 --set strategy.reentry_cooldown_candles=1 \
  --set risk.stop_loss_pct=0.01 --set risk.take_profit_pct=0.01 --set control.listen=127.0.0.1:0 \
  > "$SCRATCH/node.out" 2> "$SCRATCH/node.log" &
NODE_PID=$!
for _ in $(seq 600); do grep -q "capture replayed" "$SCRATCH/sim.log" && break; sleep 0.1; done
grep -q "capture replayed" "$SCRATCH/sim.log" && ok "the sim replayed its capture to the node" || bad "sim: $(tail -3 "$SCRATCH/sim.log")"
URL=$(grep -o "control API on http://[0-9.:]*" "$SCRATCH/node.log" | sed 's/control API on //')
# The node is quiet once it has journaled everything the sim sent (its last seq stops moving).
last=""
for _ in $(seq 100); do
  now=$(curl -s "$URL/status" | python3 -c 'import json,sys; print(json.load(sys.stdin)["last_seq"])' 2>/dev/null)
  [ -n "$now" ] && [ "$now" = "$last" ] && break
  last=$now
  sleep 0.3
done
decisions=$(curl -s "$URL/dashboard.json" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["decisions"]))')
[ "${decisions:-0}" -gt 0 ] && ok "the node took $decisions risk decisions on the capture" || bad "no decisions: $(tail -3 "$SCRATCH/node.log")"

# /explain answers from the journal; /events streams the dashboard view.
seq=$(curl -s "$URL/dashboard.json" | python3 -c 'import json,sys; print(json.load(sys.stdin)["decisions"][0]["seq"])')
curl -s "$URL/explain?seq=$seq" | python3 -c '
import json, sys
e = json.load(sys.stdin)
steps = [r["step"] for r in e["chain"]]
assert e["target_seq"] == int(sys.argv[1]) and "risk decision" in steps and steps[0] in ("market data", "clock tick"), steps' "$seq" \
  && ok "/explain?seq=$seq: the decision's chain from its market data" || bad "/explain: $(curl -s "$URL/explain?seq=$seq" | head -c 300)"
expect_eq "/explain of a seq past the end" 404 "$(curl -s -o /dev/null -w '%{http_code}' "$URL/explain?seq=999999999")"
expect_eq "/explain without a seq" 400 "$(curl -s -o /dev/null -w '%{http_code}' "$URL/explain?seq=x")"
timeout 3 curl -s -N "$URL/events" > "$SCRATCH/events.txt"
head -1 "$SCRATCH/events.txt" | sed 's/^data: //' | python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["status"]["last_seq"] > 0 and len(d["limits"]) == 5 and d["equity"], d.keys()' \
  && ok "/events streams the dashboard view as server-sent events" || bad "/events: $(head -c 200 "$SCRATCH/events.txt")"

commands_before=$("$TOOLS" dump "$SCRATCH/run" --type operator_command --json 2>/dev/null | grep -c '"kind":"halt"')
CHROMIUM=$(command -v chromium) timeout 120 node "$JS/dashboard_check.mjs" "$URL" "$TRADER_CONTROL_TOKEN" "$SCRATCH/dashboard.png" \
  > "$SCRATCH/browser.out" 2>&1
rc=$?
cat "$SCRATCH/browser.out"
n_ok=$(grep -c "^ok: " "$SCRATCH/browser.out")
[ "$rc" -eq 0 ] && [ "$n_ok" -ge 16 ] && ok "chromium: $n_ok checks on the dashboard" || bad "chromium: exit $rc, $n_ok checks passed"
size=$(stat -c %s "$SCRATCH/dashboard.png" 2>/dev/null || echo 0)
[ "$size" -gt 30000 ] && ok "a screenshot of the page ($size bytes of PNG)" || bad "screenshot: $size bytes"
[ -z "${DASHBOARD_SCREENSHOT:-}" ] || cp "$SCRATCH/dashboard.png" "$DASHBOARD_SCREENSHOT"  # for docs/

kill -TERM "$NODE_PID"
wait "$NODE_PID"
expect_eq "the node exits 0 on SIGTERM with a dashboard following it" 0 "$?"
NODE_PID=""
"$TOOLS" dump "$SCRATCH/run" --type operator_command --json 2>/dev/null > "$SCRATCH/commands.jsonl"
python3 - "$SCRATCH/commands.jsonl" "$commands_before" <<'PY' && ok "the page's halt is journaled once, from http, with its reason; the refused one is not" || bad "commands: $(cat "$SCRATCH/commands.jsonl")"
import json, sys
halts = [json.loads(l)["body"] for l in open(sys.argv[1]) if '"kind":"halt"' in l]
assert len(halts) == int(sys.argv[2]) + 1, halts
assert halts[-1]["issued_by"] == "http" and halts[-1]["reason"] == "dashboard drill", halts[-1]
PY
grep -q "$TRADER_CONTROL_TOKEN" "$SCRATCH/node.log" "$SCRATCH/node.out" "$SCRATCH/browser.out" \
  && bad "the token appears in a log" || ok "the token appears in no log"
finish
