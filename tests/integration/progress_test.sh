#!/usr/bin/env bash
# Progress lines: on a terminal (a pseudo-terminal from `script`, with CI unset) replay
# --verify, what-if, import, train, project and sweep draw one, and erase it before their result; with CI
# set, or with output to a pipe, there is none, and the results are the same.
source "$(dirname "$0")/lib.sh"
NODE=${TRADER_NODE:?set TRADER_NODE}
CONFIG=${TRADER_CONFIG:?set TRADER_CONFIG to config/paper.toml}
cd "$(dirname "$CONFIG")/.." || exit 1
command -v script > /dev/null || { bad "script (util-linux) is missing"; finish; exit 1; }
"$NODE" --config "$CONFIG" --set journal.path="$SCRATCH/run" > /dev/null 2>&1 || bad "the main job failed"

# on_tty NAME CMD...: CMD on a pseudo-terminal, CI unset; its output (CR and escapes kept) in $SCRATCH/NAME.tty
on_tty() {
  local name=$1
  shift
  script -qec "$(printf '%q ' env -u CI "$@")" /dev/null < /dev/null > "$SCRATCH/$name.tty" 2>&1
}
drawn() { grep -q $'\r\e\[K'"$2" "$SCRATCH/$1.tty"; }

on_tty verify "$TOOLS" replay "$SCRATCH/run" --verify
drawn verify 'verify  \[[#.]*\] *[0-9]*%  [0-9]*/46794 records' && ok "replay --verify on a terminal draws a bar out of 46794 records" \
  || bad "no verify bar: $(cat -v "$SCRATCH/verify.tty" | head -c 300)"
grep -q $'\r\e\[Kidentical: 46794 messages' "$SCRATCH/verify.tty" && ok "...and erases it before the result" \
  || bad "result not on a clean line: $(cat -v "$SCRATCH/verify.tty" | head -c 300)"
CI=true script -qec "$(printf '%q ' "$TOOLS" replay "$SCRATCH/run" --verify)" /dev/null < /dev/null > "$SCRATCH/ci.tty" 2>&1
grep -q "verify  \[" "$SCRATCH/ci.tty" && bad "a bar with CI set" || ok "with CI set, no bar on the same terminal"
grep -q "^identical: 46794 messages" "$SCRATCH/ci.tty" && ok "...and the same result" || bad "ci: $(cat -v "$SCRATCH/ci.tty")"
env -u CI "$TOOLS" replay "$SCRATCH/run" --verify > "$SCRATCH/pipe.txt" 2>&1
grep -q $'\r' "$SCRATCH/pipe.txt" && bad "control characters in piped output" || ok "piped: no bar, no control character"

on_tty whatif "$TOOLS" replay "$SCRATCH/run" --what-if --config "$CONFIG" --out "$SCRATCH/wi"
drawn whatif 'what-if  \[' && grep -q $'\r\e\[Kwhat-if: ' "$SCRATCH/whatif.tty" && ok "what-if draws a bar and erases it" \
  || bad "what-if: $(cat -v "$SCRATCH/whatif.tty" | head -c 300)"
on_tty import "$TOOLS" import binance-capture "$DATA/btcusdt_20240808_head20k.gz" --journal "$SCRATCH/imp"
drawn import 'import  [0-9]* lines  ' && ok "import counts lines (its total is not known in advance)" \
  || bad "import: $(cat -v "$SCRATCH/import.tty" | head -c 300)"
on_tty train "$TOOLS" train "$SCRATCH/run" --config "$CONFIG" --out "$SCRATCH/m.json" --rounds 400
drawn train 'train  \[[#.]*\] *[0-9]*%  [0-9]*/400 rounds' && ok "train draws its boosting rounds" \
  || bad "train: $(cat -v "$SCRATCH/train.tty" | head -c 400)"
on_tty project "$TOOLS" project "$SCRATCH/run" --db "sqlite:$SCRATCH/history.db"
drawn project 'project  \[[#.]*\] *[0-9]*%  [0-9]*/46794 records' && grep -q $'\r\e\[Kseq 1\.\.46794: ' "$SCRATCH/project.tty" \
  && ok "project draws a bar out of 46794 records and erases it" || bad "project: $(cat -v "$SCRATCH/project.tty" | head -c 400)"
on_tty sweep "$TOOLS" sweep "$SCRATCH/run" --config "$CONFIG" --grid 'risk.max_trades_per_day=[20, 50]' -j 1 --out "$SCRATCH/sw"
drawn sweep 'sweep  \[[#.]*\] *[0-9]*%  [0-9]/2 tasks' && grep -q $'\r\e\[Ksweep: 2 task(s)' "$SCRATCH/sweep.tty" \
  && ok "sweep draws a bar out of its 2 tasks and erases it" || bad "sweep: $(cat -v "$SCRATCH/sweep.tty" | head -c 400)"
finish
