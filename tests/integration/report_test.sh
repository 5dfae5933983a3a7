#!/usr/bin/env bash
# trader-tools report on the main job's journal: the totals are the node's own summary, the
# days' PnL add up to the session's net PnL to the unit (and their fills to its fills), the
# strategies' fills and net PnL add up too; the HTML is well-formed and self-contained, draws every
# fill on the price, and renders in headless chromium. A missing journal, one without a
# portfolio, and an output that cannot be written are clear errors that leave nothing half
# written.
source "$(dirname "$0")/lib.sh"
main_job_setup
"$TOOLS" report "$SCRATCH/run" --html "$SCRATCH/report.html" > "$SCRATCH/report.txt" 2> "$SCRATCH/report.err"
expect_eq "report exits" 0 "$?"
"$TOOLS" dump --json "$SCRATCH/run" > "$SCRATCH/dump.jsonl" || bad "dump"
python3 - "$SCRATCH/node.out" "$SCRATCH/report.txt" "$SCRATCH/dump.jsonl" <<'PY' && ok "the totals are the node's summary; the days add up to them exactly, and so do the strategies' fills and net PnL" || bad "report: $(cat "$SCRATCH/report.txt")"
import json, re, sys
from decimal import Decimal
node, text = open(sys.argv[1]).read(), open(sys.argv[2]).read()
net = re.search(r"pnl +(-?[0-9.]+) \w+ net", node).group(1)
fills = int(re.search(r"trades +(\d+) fills", node).group(1))
assert re.search(r"net PnL +%s " % re.escape(net), text), (net, text[:300])
days = re.findall(r"^  (\d{4}-\d\d-\d\d) +(-?[0-9.]+) +([0-9.]+) +(\d+) ", text, re.M)
assert len(days) == 7, days
assert sum(Decimal(d[1]) for d in days) == Decimal(net), (sum(Decimal(d[1]) for d in days), net)
assert sum(int(d[3]) for d in days) == fills, days
by_strategy = re.findall(r"^  (.+): (\d+) signals, (\d+) intents, (\d+) approved, (\d+) refused, (\d+) fills", text, re.M)
assert sum(int(s[5]) for s in by_strategy) == fills and any(s[0].startswith("rule:") and int(s[5]) > 0 for s in by_strategy), by_strategy
# Who issued each intent is in its id's top byte (1: the strategy, 2: risk's own exit):
# the strategies' intents are the journal's order intents, risk's row its own decisions.
records = [json.loads(l) for l in open(sys.argv[3])]
strategy_intents = sum(1 for r in records if r["type"] == "order_intent")
risk_exits = sum(1 for r in records if r["type"] == "risk_decision" and r["body"]["intent_id"] >> 56 == 2)
rows = {s[0]: int(s[2]) for s in by_strategy}
assert sum(n for name, n in rows.items() if not name.startswith("risk")) == strategy_intents, (rows, strategy_intents)
assert rows.get("risk (stops, take-profits, flatten)", 0) == risk_exits, (rows, risk_exits)
# Each strategy's net PnL (of the positions it opened) adds up to the session's to the unit.
parts = re.findall(r"^  .+: \d+ signals, .* fills, fees [0-9.]+; net PnL (-?[0-9.]+) \(realized", text, re.M)
assert len(parts) == len(by_strategy) and sum(Decimal(p) for p in parts) == Decimal(net), (parts, net)
# What is open at the end is the last portfolio state's, and adds up to its unrealized PnL.
unrealized = Decimal(re.search(r"^  net PnL .*\(realized -?[0-9.]+, unrealized (-?[0-9.]+)\)", text, re.M).group(1))
section = text.split("open at the end (", 1)[1].split("by day", 1)[0]
rows = re.findall(r"^  (\S+): (-?[0-9.]+) at ([0-9.]+), marked ([0-9.]+), unrealized (-?[0-9.]+)", section, re.M)
dust = re.findall(r"^  not a position \(dust below one lot, or oversold\): unrealized (-?[0-9.]+)", section, re.M)
assert rows and sum(Decimal(r[4]) for r in rows) + sum(Decimal(d) for d in dust) == unrealized, (section, unrealized)
last = [r for r in records if r["type"] == "portfolio_state"][-1]["body"]
assert [(r[0], r[1], r[2], r[3], r[4]) for r in rows] == [(p["symbol"], p["qty"], p["avg_entry_price"], p["last_price"], p["unrealized_pnl"]) for p in last["positions"]], (rows, last["positions"])
print(f"{len(days)} days adding up to {net}, {fills} fills, strategies {[(s[0], int(s[5])) for s in by_strategy]}, open at the end {rows}")
PY
python3 - "$SCRATCH/report.html" "$SCRATCH/node.out" <<'PY' && ok "the HTML: well-formed, self-contained, every fill on the price, 7 days, the same net PnL" || bad "html"
import re, sys
from html.parser import HTMLParser
text, node = open(sys.argv[1]).read(), open(sys.argv[2]).read()
class Check(HTMLParser):
    void = {"meta", "br", "rect", "line", "polyline", "path", "text", "title"}
    def __init__(self):
        super().__init__(); self.stack = []
    def handle_starttag(self, tag, attrs):
        if tag not in ("meta", "br"): self.stack.append(tag)
    def handle_startendtag(self, tag, attrs): pass
    def handle_endtag(self, tag):
        assert self.stack and self.stack[-1] == tag, (tag, self.stack[-3:]); self.stack.pop()
c = Check(); c.feed(text); assert not c.stack, c.stack
for ref in ("src=", "href=", "<script", "<link", "url(", "http://", "https://"):
    assert ref not in text.replace('xmlns="http://www.w3.org/2000/svg"', ""), ref
fills = int(re.search(r"trades +(\d+) fills", node).group(1))
assert text.count('class="fill buy"') + text.count('class="fill sell"') == fills, fills
assert len(re.findall(r"<tr><td>\d{4}-\d\d-\d\d</td>", text)) == 7
assert '<table id="open">' in text and "<td>BTCUSDC</td>" in text.split('<table id="open">', 1)[1].split("</table>", 1)[0]
net = re.search(r"pnl +(-?[0-9.]+) \w+ net", node).group(1)
assert f"<td>{net} " in text, net
PY
renders_in_chromium "$SCRATCH/report.html" 30000 1050,1400

# Bad input: clear errors, exit 2, nothing half written.
expect_fail "a journal that does not exist" 2 "does not exist\|no journal\|cannot open" "$TOOLS" report "$SCRATCH/none"
"$TOOLS" import binance-capture "$DATA/btcusdt_20240808_head20k.gz" --journal "$SCRATCH/capture" > /dev/null 2>&1
expect_fail "a journal of market data only" 2 "has no portfolio state to report on" "$TOOLS" report "$SCRATCH/capture"
# A record damaged inside the journal is found while reading: exit 1 and its seq, as dump,
# stats and verify say (it was exit 2, the code for a wrong argument), and no HTML.
if [ -n "$FAULT" ]; then
  cp -r "$SCRATCH/run" "$SCRATCH/damaged"
  "$FAULT" flip "$SCRATCH/damaged" 20000 > /dev/null || bad "journal-fault could not damage seq 20000"
  expect_fail "a journal with a damaged record" 1 "seq 20000: checksum mismatch" \
    "$TOOLS" report "$SCRATCH/damaged" --html "$SCRATCH/damaged.html"
  [ ! -e "$SCRATCH/damaged.html" ] && ok "...and no HTML written" || bad "a failed report wrote $SCRATCH/damaged.html"
fi
echo "keep me" > "$SCRATCH/old.html"
expect_fail "an output whose directory is a file" 2 "cannot write $SCRATCH/old.html/r.html" \
  "$TOOLS" report "$SCRATCH/run" --html "$SCRATCH/old.html/r.html"
expect_eq "...and the file in the way is untouched" "keep me" "$(cat "$SCRATCH/old.html")"
# A wrong --html is refused before the journal is read: no report printed, then the error.
mkdir -p "$SCRATCH/a-dir"
expect_fail "an output that is a directory" 2 "--html: cannot write $SCRATCH/a-dir: it is a directory" \
  "$TOOLS" report "$SCRATCH/run" --html "$SCRATCH/a-dir"
"$TOOLS" report "$SCRATCH/run" --html "$SCRATCH/a-dir" > "$SCRATCH/refused.txt" 2> /dev/null
expect_eq "...and nothing was reported before the refusal" "" "$(cat "$SCRATCH/refused.txt")"
expect_fail "diff with an --html that is a directory" 2 "--html: cannot write $SCRATCH/a-dir: it is a directory" \
  "$TOOLS" diff "$SCRATCH/run" "$SCRATCH/run" --html "$SCRATCH/a-dir"
expect_fail "export trades into a directory" 2 "cannot write $SCRATCH/a-dir: it is a directory" \
  "$TOOLS" export trades "$SCRATCH/run" --csv "$SCRATCH/a-dir"
ls "$SCRATCH" | grep -q "\.tmp-" && bad "a temporary file was left behind" || ok "no temporary file left behind"
expect_fail "report without a journal" 2 "dir is required" "$TOOLS" report
finish
