#!/usr/bin/env bash
# trader-tools sweep: 12 configurations (3 position sizes x 2 entry thresholds x 2 daily trade caps) over the
# main job's recorded inputs, on 2 workers and on 1: the same results, row for row. A
# task's decision hash is what `replay --what-if` with the same values gives alone, and
# the grid point of the main job's own config gives the main job's hash. Bad grids, unknown
# keys and an out dir in use are refused before anything runs or is written.
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

expect_fail "a grid without an array" 2 "expected a non-empty TOML array" \
  "$TOOLS" sweep "$SCRATCH/run" --config "$CONFIG" --grid 'risk.stop_loss_pct=2' --out "$SCRATCH/x1"
expect_fail "an unknown key, before any task runs" 2 "risk.stop_los_pct" \
  "$TOOLS" sweep "$SCRATCH/run" --config "$CONFIG" --grid 'risk.stop_los_pct=[1, 2]' --out "$SCRATCH/x2"
[ ! -e "$SCRATCH/x2" ] && ok "and nothing was written" || bad "a refused sweep wrote $SCRATCH/x2"
mkdir -p "$SCRATCH/busy" && echo "mine" > "$SCRATCH/busy/notes.txt"
expect_fail "an out dir that holds something" 2 "already holds something" \
  "$TOOLS" sweep "$SCRATCH/run" --config "$CONFIG" --grid 'risk.stop_loss_pct=[1]' --out "$SCRATCH/busy"
expect_eq "and it is left as it was" "mine" "$(ls "$SCRATCH/busy" | xargs -I{} cat "$SCRATCH/busy/{}")"
expect_fail "no journal there" 2 "error: " \
  "$TOOLS" sweep "$SCRATCH/nothing" --config "$CONFIG" --grid 'risk.stop_loss_pct=[1]' --out "$SCRATCH/x3"
finish
