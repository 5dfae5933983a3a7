#!/usr/bin/env bash
# trader-tools sweep: 12 configurations (3 position sizes x 2 entry thresholds x 2 daily trade caps) over the
# main job's recorded inputs, on 2 workers and on 1: the same results, row for row. A
# task's decision hash is what `replay --what-if` with the same values gives alone, and
# the grid point of the main job's own config gives the main job's hash. Bad grids, unknown
# keys and an out dir in use are refused before anything runs or is written. --random draws
# the same points for the same seed. A walk-forward trains one model per fold, byte for byte
# `train --since --until`'s, and its tasks equal what-ifs alone; its report's verdicts per
# fold are checked against the results.
source "$(dirname "$0")/lib.sh"
main_job_setup
main_hash=$(grep -o "decision hash [0-9a-f]*" "$SCRATCH/node.out" | cut -d' ' -f3)
GRID=(--grid 'strategy.position_fraction=[0.1, 0.2, 0.3]' --grid 'strategy.entry_momentum_bps=[3.0, 5.0]'
      --grid 'risk.max_trades_per_day=[20, 50]')

"$TOOLS" sweep "$SCRATCH/run" --config "$CONFIG" "${GRID[@]}" -j 2 --out "$SCRATCH/two" > "$SCRATCH/two.out" 2>&1
expect_eq "a 12-task sweep on 2 workers exits" 0 "$?"
rows=$(tail -n +2 "$SCRATCH/two/results.csv" | grep -c ",ok,")
expect_eq "results.csv has 12 tasks, all run" 12 "$rows"
grep -q "^sweep: 12 task(s) on 2 worker(s), 0 failed" "$SCRATCH/two.out" && ok "it says so: $(head -1 "$SCRATCH/two.out")" \
  || bad "sweep output: $(cat "$SCRATCH/two.out")"
"$TOOLS" sweep "$SCRATCH/run" --config "$CONFIG" "${GRID[@]}" -j 1 --out "$SCRATCH/one" > /dev/null 2>&1
cmp -s "$SCRATCH/one/results.csv" "$SCRATCH/two/results.csv" && cmp -s "$SCRATCH/one/results.json" "$SCRATCH/two/results.json" \
  && ok "1 worker and 2 workers give the same results, byte for byte" || bad "results differ between -j 1 and -j 2"
distinct=$(tail -n +2 "$SCRATCH/two/results.csv" | cut -d, -f6 | sort -u | wc -l)
[ "$distinct" -eq 12 ] && ok "the values matter: $distinct distinct decision hashes among 12 tasks" || bad "only $distinct distinct hashes"

# The report: it renders, ranks every task as results.csv does, and names the best one's
# grid neighbours as counted here from the results.
html="$SCRATCH/two/report.html"
renders_in_chromium "$html" 30000 1200,1600
python3 - "$html" "$SCRATCH/two/results.csv" <<'PY' && ok "report.html: 12 tasks ranked by net PnL, 3 charts, 3 heatmaps, the best one's grid neighbours" || bad "report.html"
import csv, re, sys
from decimal import Decimal
page = open(sys.argv[1]).read()
rows = list(csv.DictReader(open(sys.argv[2])))
axes = ["strategy.position_fraction", "strategy.entry_momentum_bps", "risk.max_trades_per_day"]
ranked = sorted(rows, key=lambda r: -Decimal(r["net_pnl"]))  # stable, as the report ranks
ranking = page[page.index("<h2>Ranked by net_pnl</h2>"):]
tasks = [int(t) for t in re.findall(r"<tr><td>\d+</td><td>(\d+)</td>", ranking)]
assert tasks == [int(r["task"]) for r in ranked], tasks
assert page.count('<div class="chart">') == 3 and page.count('<table class="heat">') == 3
values = {a: sorted({r[a] for r in rows}, key=float) for a in axes}
def pos(r):
    return [values[a].index(r[a]) for a in axes]
best = pos(ranked[0])
near = [r for r in rows if sum(abs(x - y) for x, y in zip(pos(r), best)) == 1]
m = re.search(r"The best, task (\d+) \([^)]*\), has (\d+) grid neighbour", page)
assert m and int(m.group(1)) == int(ranked[0]["task"]) and int(m.group(2)) == len(near), (m and m.groups(), len(near))
print(f"  best task {m.group(1)}, {len(near)} neighbours")
PY

# Two tasks, each run alone as a what-if with its values.
for task in 2 11; do
  IFS=, read -r _ frac bps cap _ hash _ < <(sed -n "$((task + 1))p" "$SCRATCH/two/results.csv")
  "$TOOLS" replay "$SCRATCH/run" --what-if --config "$CONFIG" --set strategy.position_fraction="$frac" \
    --set strategy.entry_momentum_bps="$bps" --set risk.max_trades_per_day="$cap" --out "$SCRATCH/alone$task" > /dev/null 2>&1
  alone=$("$TOOLS" stats --json "$SCRATCH/alone$task" | python3 -c "import json,sys; print(json.load(sys.stdin)['decision_hash'])")
  expect_eq "task $task (fraction $frac, entry momentum $bps bp, $cap trades a day) equals its what-if alone" "$alone" "$hash"
done
"$TOOLS" sweep "$SCRATCH/run" --config "$CONFIG" --grid 'strategy.position_fraction=[0.2]' --keep journal --out "$SCRATCH/own" > /dev/null 2>&1
expect_eq "the main job's own values give the main job's hash" "$main_hash" "$(sed -n 2p "$SCRATCH/own/results.csv" | cut -d, -f4)"
"$TOOLS" verify "$SCRATCH/own/task-0001/journal" > /dev/null 2>&1 && ok "--keep journal keeps each task's journal, and it verifies" \
  || bad "the kept journal does not verify"
[ ! -e "$SCRATCH/two/task-0001/journal" ] && ok "by default only the results are kept" || bad "a journal was kept without --keep journal"

# A task that never trades has no win rate and no Sharpe: empty in the CSV, null in the JSON,
# n/a in the table and the report, ranked after those that have one (it read 0.0%, 0.00).
"$TOOLS" sweep "$SCRATCH/run" --config "$CONFIG" --grid 'risk.max_trades_per_day=[0, 20]' --rank-by sharpe \
  --out "$SCRATCH/none" > "$SCRATCH/none.out" 2>&1 || bad "a sweep with a task that never trades failed"
python3 - "$SCRATCH/none" <<'PY' && ok "no trade: no win rate, no Sharpe, ranked last" || bad "a task without trades: $(cat "$SCRATCH/none.out")"
import csv, json, re, sys
d = sys.argv[1]
rows = list(csv.DictReader(open(d + "/results.csv")))
assert rows[0]["round_trips"] == "0" and rows[0]["win_rate"] == "" and rows[0]["sharpe"] == "", rows[0]
assert rows[1]["win_rate"] != "" and rows[1]["sharpe"] != "", rows[1]
tasks = json.load(open(d + "/results.json"))
assert tasks[0]["win_rate"] is None and tasks[0]["sharpe"] is None and tasks[1]["sharpe"] is not None, tasks
out = open(d + "/../none.out").read()
ranked = re.findall(r"^ +(\d) +\S+ +\d+ +(\S+) +\S+% +(\S+) ", out, re.M)
assert [r[0] for r in ranked] == ["2", "1"] and ranked[1][1:] == ("n/a", "n/a"), ranked
assert "<td>n/a</td>" in open(d + "/report.html").read()
PY

# --random: 5 of the 12 points, the same 5 for the same seed; each task is the full grid's.
"$TOOLS" sweep "$SCRATCH/run" --config "$CONFIG" "${GRID[@]}" --random 5 --seed 3 -j 2 --out "$SCRATCH/rand" > /dev/null 2>&1 \
  || bad "--random 5 --seed 3 failed"
"$TOOLS" sweep "$SCRATCH/run" --config "$CONFIG" "${GRID[@]}" --random 5 --seed 3 -j 1 --out "$SCRATCH/rand2" > /dev/null 2>&1
python3 - "$SCRATCH/rand/results.csv" "$SCRATCH/rand2/results.csv" "$SCRATCH/two/results.csv" <<'PY' \
  && ok "--random 5 --seed 3: 5 distinct points, the same again, each with the full grid's hash for its values" || bad "--random"
import csv, sys
a, b, full = (list(csv.DictReader(open(p))) for p in sys.argv[1:])
key = lambda r: (r["strategy.position_fraction"], r["strategy.entry_momentum_bps"], r["risk.max_trades_per_day"])
assert len(a) == 5 and len({key(r) for r in a}) == 5
assert [key(r) for r in a] == [key(r) for r in b]
by_values = {key(r): r["decision_hash"] for r in full}
assert all(by_values[key(r)] == r["decision_hash"] for r in a)
PY

# --- walk-forward: a model per fold, every configuration in and out of sample ---------------------
XGB=(--set strategy.kind=xgboost --set strategy.exit_probability=0.2 --grid 'strategy.entry_probability=[0.25, 0.3, 0.35]'
     --grid 'risk.max_trades_per_day=[20, 50]' --train-rounds 40)
WF=("${XGB[@]}" --walk-forward 3d:1d:1d)
"$TOOLS" sweep "$SCRATCH/run" --config "$CONFIG" "${WF[@]}" -j 2 --out "$SCRATCH/wf" > "$SCRATCH/wf.out" 2>&1
expect_eq "a walk-forward of 6 configurations over 4 folds exits" 0 "$?"
grep -q "^sweep: 48 task(s) on 2 worker(s), 0 failed" "$SCRATCH/wf.out" && [ "$(grep -c '^fold [1-4]: trained on' "$SCRATCH/wf.out")" -eq 4 ] \
  && ok "48 tasks (6 configurations x 4 folds, in and out of sample), a verdict per fold" || bad "walk-forward output: $(cat "$SCRATCH/wf.out")"
"$TOOLS" sweep "$SCRATCH/run" --config "$CONFIG" "${WF[@]}" -j 1 --out "$SCRATCH/wf1" > /dev/null 2>&1
cmp -s "$SCRATCH/wf/results.csv" "$SCRATCH/wf1/results.csv" && cmp -s "$SCRATCH/wf/models/fold-03.json" "$SCRATCH/wf1/models/fold-03.json" \
  && ok "1 worker and 2 give the same models and results, byte for byte" || bad "walk-forward differs between -j 1 and -j 2"
"$TOOLS" train "$SCRATCH/run" --config "$CONFIG" --since 2023-03-02T00:00:00Z --until 2023-03-05T00:00:00Z --rounds 40 \
  --out "$SCRATCH/fold2.json" > /dev/null 2>&1 || bad "train --since --until"
cmp -s "$SCRATCH/fold2.json" "$SCRATCH/wf/models/fold-02.json" \
  && ok "fold 2's model is train --since 2023-03-02 --until 2023-03-05's, byte for byte" || bad "fold 2's model differs from train's"
# Task 20: fold 2, out of sample (2023-03-05), configuration 4 (entry 0.3, 50 trades a day).
IFS=, read -r _ fold window p cap _ _ hash _ < <(sed -n 21p "$SCRATCH/wf/results.csv")
"$TOOLS" replay "$SCRATCH/run" --what-if --day 2023-03-05 --config "$CONFIG" --set strategy.kind=xgboost \
  --set strategy.exit_probability=0.2 --set strategy.entry_probability="$p" --set risk.max_trades_per_day="$cap" \
  --set strategy.model="$SCRATCH/wf/models/fold-02.json" --out "$SCRATCH/wf-alone" > /dev/null 2>&1 || bad "what-if of task 20"
alone=$("$TOOLS" stats --json "$SCRATCH/wf-alone" | python3 -c "import json,sys; print(json.load(sys.stdin)['decision_hash'])")
expect_eq "task 20 (fold $fold $window of sample, entry $p, $cap a day) equals replay --what-if --day 2023-03-05 with fold 2's model" "$alone" "$hash"
renders_in_chromium "$SCRATCH/wf/report.html" 30000 1200,1600
python3 - "$SCRATCH/wf/report.html" "$SCRATCH/wf/results.csv" "$SCRATCH/wf.out" <<'PY' \
  && ok "report.html: each fold's best in sample and its rank out of sample, as computed here from results.csv" || bad "walk-forward report"
import csv, re, sys
from decimal import Decimal
page, out = open(sys.argv[1]).read(), open(sys.argv[3]).read()
rows = list(csv.DictReader(open(sys.argv[2])))
config = lambda r: (r["strategy.entry_probability"], r["risk.max_trades_per_day"])
configs = list(dict.fromkeys(config(r) for r in rows))
lower = 0
for fold in "1234":
    pnl = {w: {config(r): Decimal(r["net_pnl"]) for r in rows if r["fold"] == fold and r["window"] == w} for w in ("in", "out")}
    best = max(configs, key=lambda c: (pnl["in"][c], -configs.index(c)))
    rank = 1 + sum(1 for c in configs if pnl["out"][c] > pnl["out"][best])
    lower += 2 * rank > len(configs)
    cell = f"<td>configuration {configs.index(best) + 1}</td>"
    row = re.search(rf"<tr><td>{fold}</td><td>[^<]*</td><td>[^<]*</td><td><code>[0-9a-f]{{12}}</code></td>{cell}<td>[^<]*</td><td>[^<]*</td><td>{rank} of 6</td>", page)
    assert row, (fold, best, rank)
    assert f"fold {fold}: trained on" in out and f"configuration {configs.index(best) + 1} ranks {rank} of 6" in out
assert f"lower half out of sample in {lower} of 4 fold(s)" in page, lower
print(f"  the best in sample ranked in the lower half out of sample in {lower} of 4 folds")
PY
expect_fail "a walk-forward that is not TRAIN:TEST:STEP" 2 "expected TRAIN:TEST:STEP" \
  "$TOOLS" sweep "$SCRATCH/run" --config "$CONFIG" "${XGB[@]}" --walk-forward 3d:1d --out "$SCRATCH/x4"
expect_fail "a walk-forward of the rule strategy" 2 'strategy.kind "rule"' \
  "$TOOLS" sweep "$SCRATCH/run" --config "$CONFIG" --grid 'risk.max_trades_per_day=[20]' --walk-forward 3d:1d:1d --out "$SCRATCH/x5"
expect_fail "a walk-forward that sweeps the model it trains" 2 "strategy.model cannot be swept" \
  "$TOOLS" sweep "$SCRATCH/run" --config "$CONFIG" --set strategy.kind=xgboost --grid 'strategy.model=["a.json"]' --walk-forward 3d:1d:1d --out "$SCRATCH/x6"
expect_fail "folds longer than the data" 2 "shorter than one fold" \
  "$TOOLS" sweep "$SCRATCH/run" --config "$CONFIG" "${XGB[@]}" --walk-forward 6d:2d:1d --out "$SCRATCH/x7"
[ ! -e "$SCRATCH/x4" ] && [ ! -e "$SCRATCH/x5" ] && [ ! -e "$SCRATCH/x6" ] && [ ! -e "$SCRATCH/x7" ] \
  && ok "and none of them wrote anything" || bad "a refused walk-forward wrote its out dir"

expect_fail "a grid without an array" 2 "expected a non-empty TOML array" \
  "$TOOLS" sweep "$SCRATCH/run" --config "$CONFIG" --grid 'risk.stop_loss_pct=2' --out "$SCRATCH/x1"
expect_fail "an unknown key, before any task runs" 2 "risk.stop_los_pct" \
  "$TOOLS" sweep "$SCRATCH/run" --config "$CONFIG" --grid 'risk.stop_los_pct=[1, 2]' --out "$SCRATCH/x2"
[ ! -e "$SCRATCH/x2" ] && ok "and nothing was written" || bad "a refused sweep wrote $SCRATCH/x2"
expect_fail "a grid value the node would refuse, before any task runs" 2 \
  "task with risk.stop_loss_pct=0: --set risk.stop_loss_pct: 0 is no stop_loss at all" \
  "$TOOLS" sweep "$SCRATCH/run" --config "$CONFIG" --grid 'risk.stop_loss_pct=[0, 2]' --out "$SCRATCH/x9"
[ ! -e "$SCRATCH/x9" ] && ok "and nothing was written" || bad "a refused sweep wrote $SCRATCH/x9"
# Results that would name values which never ran: the later override wins over the earlier.
expect_fail "one key in two --grid options" 2 "--grid risk.stop_loss_pct is given twice" \
  "$TOOLS" sweep "$SCRATCH/run" --config "$CONFIG" --grid 'risk.stop_loss_pct=[1, 2]' --grid 'risk.stop_loss_pct=[3]' \
  --out "$SCRATCH/x8"
expect_fail "one key in --set and --grid" 2 "risk.stop_loss_pct is in --set and in --grid" \
  "$TOOLS" sweep "$SCRATCH/run" --config "$CONFIG" --set risk.stop_loss_pct=5 --grid 'risk.stop_loss_pct=[1, 2]' \
  --out "$SCRATCH/x9"
expect_fail "a value twice in one axis" 2 "2 appears twice; each value runs once" \
  "$TOOLS" sweep "$SCRATCH/run" --config "$CONFIG" --grid 'risk.stop_loss_pct=[1, 2, 2]' --out "$SCRATCH/x10"
[ ! -e "$SCRATCH/x8" ] && [ ! -e "$SCRATCH/x9" ] && [ ! -e "$SCRATCH/x10" ] && ok "and none of them wrote anything" \
  || bad "a refused grid wrote its out dir"
mkdir -p "$SCRATCH/busy" && echo "mine" > "$SCRATCH/busy/notes.txt"
expect_fail "an out dir that holds something" 2 "already holds something" \
  "$TOOLS" sweep "$SCRATCH/run" --config "$CONFIG" --grid 'risk.stop_loss_pct=[1]' --out "$SCRATCH/busy"
expect_eq "and it is left as it was" "mine" "$(ls "$SCRATCH/busy" | xargs -I{} cat "$SCRATCH/busy/{}")"
expect_fail "no journal there" 2 "error: " \
  "$TOOLS" sweep "$SCRATCH/nothing" --config "$CONFIG" --grid 'risk.stop_loss_pct=[1]' --out "$SCRATCH/x3"
finish
