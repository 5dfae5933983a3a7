#!/usr/bin/env bash
# trader-tools sweep --slurm on a real one-host Slurm cluster (slurm-wlm and munge, started
# here and stopped by PID): the 12-configuration sweep and a walk-forward as job arrays give
# results byte for byte those of the same sweeps on this machine; a task that fails on the
# cluster is named with its log; --resume runs again only what is missing or failed, on the
# cluster or here, and completes the same results. A changed config is refused.
source "$(dirname "$0")/lib.sh"
main_job_setup
start_slurm
GRID=(--grid 'strategy.position_fraction=[0.1, 0.2, 0.3]' --grid 'strategy.entry_momentum_bps=[3.0, 5.0]'
      --grid 'risk.max_trades_per_day=[20, 50]')
same_results() {  # same_results NAME DIR_A DIR_B
  cmp -s "$2/results.csv" "$3/results.csv" && cmp -s "$2/results.json" "$3/results.json" \
    && ok "$1: results.csv and results.json byte for byte" || bad "$1: results differ: $(diff "$2/results.csv" "$3/results.csv" | head -5)"
}

# --- the grid: locally, then as a job array ----------------------------------------------------
"$TOOLS" sweep "$SCRATCH/run" --config "$CONFIG" "${GRID[@]}" -j 2 --out "$SCRATCH/local" > /dev/null 2>&1 || bad "local sweep"
"$TOOLS" sweep "$SCRATCH/run" --config "$CONFIG" "${GRID[@]}" --slurm --out "$SCRATCH/on-slurm" > "$SCRATCH/on-slurm.out" 2>&1
expect_eq "the 12-task sweep on Slurm exits" 0 "$?"
grep -q "^slurm: 12 task(s) ran as array job [0-9]*$" "$SCRATCH/on-slurm.out" && grep -q "^sweep: 12 task(s) on Slurm, 0 failed" "$SCRATCH/on-slurm.out" \
  && ok "it ran as one array of 12: $(grep '^slurm:' "$SCRATCH/on-slurm.out")" || bad "slurm output: $(cat "$SCRATCH/on-slurm.out")"
job=$(grep -o "array job [0-9]*" "$SCRATCH/on-slurm.out" | cut -d' ' -f3)
elements=$(grep "ArrayJobId=$job " "$SCRATCH/slurm/jobcomp.txt" | grep "JobState=COMPLETED" | grep -c " ExitCode=0:0")
expect_eq "Slurm's job log: 12 elements of array $job completed with exit 0" 12 "$elements"
same_results "the sweep on Slurm and on this machine" "$SCRATCH/local" "$SCRATCH/on-slurm"
[ "$(ls "$SCRATCH/on-slurm/logs" | grep -c '^task-[0-9]*\.log$')" -eq 12 ] && ok "each element's output is in logs/task-K.log" \
  || bad "logs: $(ls "$SCRATCH/on-slurm/logs")"

# --- a walk-forward: the models' array, then the tasks' -----------------------------------------
WF=(--set strategy.kind=xgboost --set strategy.exit_probability=0.2 --grid 'strategy.entry_probability=[0.25, 0.35]'
    --walk-forward 3d:1d:1d --train-rounds 20)
"$TOOLS" sweep "$SCRATCH/run" --config "$CONFIG" "${WF[@]}" -j 2 --out "$SCRATCH/wf-local" > /dev/null 2>&1 || bad "local walk-forward"
"$TOOLS" sweep "$SCRATCH/run" --config "$CONFIG" "${WF[@]}" --slurm --out "$SCRATCH/wf-slurm" > "$SCRATCH/wf.out" 2>&1
expect_eq "a walk-forward on Slurm exits" 0 "$?"
grep -q "^slurm: 4 model(s) ran as array job" "$SCRATCH/wf.out" && grep -q "^slurm: 16 task(s) ran as array job" "$SCRATCH/wf.out" \
  && ok "4 models, then 16 tasks, each an array" || bad "walk-forward output: $(cat "$SCRATCH/wf.out")"
same_results "the walk-forward on Slurm and on this machine" "$SCRATCH/wf-local" "$SCRATCH/wf-slurm"
cmp -s "$SCRATCH/wf-local/models/fold-04.json" "$SCRATCH/wf-slurm/models/fold-04.json" \
  && ok "and the same models, byte for byte" || bad "the models differ"

# --- failures on the cluster, named with their logs; --resume completes ---------------------------
# A copy of the journal with one record flipped: every task meets it and fails, naming its seq.
cp -r "$SCRATCH/run" "$SCRATCH/bad"
"$JOURNAL_FAULT" flip "$SCRATCH/bad" 20000 > /dev/null || bad "journal-fault"
"$TOOLS" sweep "$SCRATCH/bad" --config "$CONFIG" "${GRID[@]}" --slurm --out "$SCRATCH/broken" > "$SCRATCH/broken.out" 2> "$SCRATCH/broken.err"
expect_eq "a sweep whose tasks fail on the cluster exits" 1 "$?"
grep -q "^task 3 (strategy.position_fraction=0.1 strategy.entry_momentum_bps=5.0 risk.max_trades_per_day=20) failed: .*seq 20000.* (log $SCRATCH/broken/logs/task-3.log)$" "$SCRATCH/broken.err" \
  && ok "each failed task is named with its error and its log: $(sed -n 1p "$SCRATCH/broken.err" | cut -c1-160)..." \
  || bad "failures: $(head -3 "$SCRATCH/broken.err")"
grep -q "seq 20000" "$SCRATCH/broken/logs/task-3.log" && ok "and the log says why" || bad "task-3.log: $(cat "$SCRATCH/broken/logs/task-3.log")"
# The record repaired (the journal copied again), --resume runs every failed task again.
rm -rf "$SCRATCH/bad" && cp -r "$SCRATCH/run" "$SCRATCH/bad"
"$TOOLS" sweep --resume --out "$SCRATCH/broken" --slurm > "$SCRATCH/resume.out" 2>&1
expect_eq "--resume --slurm exits" 0 "$?"
grep -q "^resume: 0 of 0 model(s) and 12 of 12 task(s) to run" "$SCRATCH/resume.out" && ok "--resume: the 12 failed tasks run again" \
  || bad "resume output: $(cat "$SCRATCH/resume.out")"
same_results "the failed sweep, resumed" "$SCRATCH/local" "$SCRATCH/broken"
# Two results lost and one turned into a failure: only those three run again, here this time.
rm "$SCRATCH/on-slurm/task-0002/result.json" "$SCRATCH/on-slurm/task-0011/result.json"
sed -i 's/"status":"ok","error":""/"status":"failed","error":"lost"/' "$SCRATCH/on-slurm/task-0007/result.json"
"$TOOLS" sweep --resume --out "$SCRATCH/on-slurm" -j 2 > "$SCRATCH/resume2.out" 2>&1
grep -q "^resume: 0 of 0 model(s) and 3 of 12 task(s) to run" "$SCRATCH/resume2.out" \
  && ok "--resume runs only the 3 tasks missing or failed" || bad "resume output: $(cat "$SCRATCH/resume2.out")"
same_results "resumed on this machine" "$SCRATCH/local" "$SCRATCH/on-slurm"

# --- refused ---------------------------------------------------------------------------------
sed 's/max_trades_per_day = 50/max_trades_per_day = 51/' "$CONFIG" > "$SCRATCH/config.toml"
"$TOOLS" sweep "$SCRATCH/run" --config "$SCRATCH/config.toml" "${GRID[@]}" -j 2 --out "$SCRATCH/edited" > /dev/null 2>&1 || bad "sweep with a copied config"
echo "# edited" >> "$SCRATCH/config.toml"
rm "$SCRATCH/edited/task-0001/result.json"
expect_fail "--resume after the config changed" 2 "changed since the sweep" "$TOOLS" sweep --resume --out "$SCRATCH/edited"
expect_fail "--resume of a directory with no sweep" 2 "no sweep planned there" "$TOOLS" sweep --resume --out "$SCRATCH/run"
expect_fail "--resume with a grid" 2 "give only --out.*(not --grid)" "$TOOLS" sweep --resume --out "$SCRATCH/on-slurm" --grid 'risk.stop_loss_pct=[1]'
expect_fail "--resume with another ranking" 2 "(not --rank-by)" "$TOOLS" sweep --resume --out "$SCRATCH/on-slurm" --rank-by sharpe
expect_fail "--sbatch without --slurm" 2 "goes with --slurm" "$TOOLS" sweep --resume --out "$SCRATCH/on-slurm" --sbatch=--partition=x
expect_fail "sweep-step past the plan's tasks" 2 "has 12 task(s)" "$TOOLS" sweep-step "$SCRATCH/on-slurm" --task 13
expect_fail "a sweep without its grid" 2 "takes DIR, --config, --grid and --out" "$TOOLS" sweep "$SCRATCH/run" --out "$SCRATCH/x"
finish
