#!/bin/bash
# The issue's three tests against a real (one-node) Slurm: needs root (setup.sh starts the
# daemons if no idle node is up; what it starts is stopped at the end).
#   1. a smoke-scale figure sweep submitted as job arrays runs to completion, and its figure
#      (PNG, SVG, JSON) and run records equal the ones `--launcher local` produces;
#   2. an array task preempted mid-run (USR1 as at the time limit, then `scontrol requeue`)
#      resumes, and its final records are byte-identical to an uninterrupted run's;
#   3. resubmitting the finished sweep trains nothing.
# Usage: scripts/slurm/test.sh [path/to/xtask]   (default: `cargo build -p xtask`, dev profile)
# Env: FIG (default 7: two arrays, the AdaptCopy runs after the runs they replay),
#      PREEMPT_EPOCHS (default 300), SLURM_TEST_DIR (default: a fresh /tmp directory).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
FIG=${FIG:-7}
PREEMPT_EPOCHS=${PREEMPT_EPOCHS:-300}
XTASK=${1:-}
if [ -z "$XTASK" ]; then
  (cd "$ROOT" && cargo build -q -p xtask)
  XTASK=${CARGO_TARGET_DIR:-$ROOT/target}/debug/xtask
fi
XTASK=$(realpath "$XTASK")
export LAYCA_XTASK=$XTASK
WORK=${SLURM_TEST_DIR:-$(mktemp -d /tmp/layca-slurm-test.XXXXXX)}
mkdir -p "$WORK"
T0=$(date +%s)
say() { printf '\n=== [%4ss] %s\n' "$(( $(date +%s) - T0 ))" "$*"; }
run() { echo "+ $*"; "$@"; }

STARTED=0
if ! sinfo -h -o '%T' 2>/dev/null | grep -qx idle; then
  say "starting a one-node Slurm (setup.sh)"
  bash "$HERE/setup.sh"
  STARTED=1
fi
cleanup() { if [ "$STARTED" = 1 ]; then say "teardown.sh"; bash "$HERE/teardown.sh"; fi; }
trap cleanup EXIT

# Waits until none of the given jobs is in the queue; prints squeue when it changes.
wait_jobs() {
  local last=""
  while :; do
    local q
    q=$(squeue -h -o '%.14i %.24j %.2t %.10M %R' 2>/dev/null | grep -E "$(echo "$@" | tr ' ' '|')" || true)
    [ -z "$q" ] && break
    if [ "$q" != "$last" ]; then echo "--- squeue $(date -u +%T)"; echo "$q"; last=$q; fi
    sleep 1
  done
}
submit_ids() { sed -n 's/^wave [01]: array job \([0-9]*\)$/\1/p; s/^collect: job \([0-9]*\) .*$/\1/p' "$1" | tr '\n' ' '; }
show_accounting() {
  local ids; ids=$(echo "$@" | tr ' ' ',')
  echo "+ sacct -c -j $ids -o jobid,jobname%24,state,exitcode,start,end   (jobcomp/filetxt, no slurmdbd)"
  sacct -c -j "$ids" -o jobid,jobname%24,state,exitcode,start,end 2>&1 | grep -v 'Unknown type' || true
  echo "  (sacct -c of Slurm 22.05 folds array tasks into their array id; the jobcomp records per task:)"
  for id in "$@"; do
    grep -E "(ArrayJobId|JobId)=$id " /var/log/slurm/jobcomp.log | while read -r line; do
      echo "$line" | tr ' ' '\n' \
        | grep -E '^(JobId|Name|JobState|StartTime|EndTime|ExitCode|ArrayJobId|ArrayTaskId)=' \
        | paste -sd' ' | sed 's/^/    /'
    done
  done
}
# A requeued job waits (BeginTime) about two minutes before it may start again: start it now.
# Not within the second of the requeue: slurmd revoked the killed job's credential at that
# second, and a relaunch in the same second is refused ("Job credential revoked") and fails.
start_now() {
  while [ "$(squeue -h -j "$1" -o %t)" != PD ]; do sleep 0.2; done
  sleep 2
  echo "+ squeue"; squeue
  run scontrol update JobId="$1" StartTime=now
}
cmp_tree() { # cmp every file of run directory $1 with the same file under $2
  local n=0
  while IFS= read -r f; do
    cmp "$1/$f" "$2/$f"; n=$((n + 1))
  done < <(cd "$1" && find . -type f ! -path './checkpoint*' | sort)
  echo "cmp: $n files identical under $(basename "$1")"
}

echo "xtask: $XTASK"; echo "work: $WORK"; sinfo

# ---------------------------------------------------------------------------------------------
say "test 1: figure $FIG at smoke scale, --launcher local, then as Slurm arrays (same paths)"
RUNS=$WORK/t1/runs
RUST_LOG=warn run "$XTASK" sweep figure "$FIG" --scale smoke --launcher local --out "$WORK/t1/local" --runs "$RUNS" --quiet
mv "$RUNS" "$WORK/t1/runs-local"
run "$XTASK" sweep figure "$FIG" --scale smoke --launcher slurm --out "$WORK/t1/sweep" --runs "$RUNS" --max-parallel 2 --quiet --submit | tee "$WORK/t1/submit.txt"
IDS=$(submit_ids "$WORK/t1/submit.txt")
A0=$(echo "$IDS" | awk '{print $1}')
sleep 2
echo "+ squeue (the array, at most 2 tasks at a time)"; squeue
echo "+ scontrol show job $A0 (first array task)"; scontrol show job "$A0" | head -20
wait_jobs $IDS
show_accounting $IDS
for f in "$WORK"/t1/local/fig*.{png,svg,json}; do run cmp "$f" "$WORK/t1/sweep/$(basename "$f")"; done
for d in "$WORK"/t1/runs-local/*_d*; do cmp_tree "$d" "$RUNS/$(basename "$d")"; done
echo "test 1 passed: the array sweep's figure and records equal the local launcher's"

# ---------------------------------------------------------------------------------------------
say "test 2: one run of $PREEMPT_EPOCHS epochs (figure 5, smoke), preempted twice, against an uninterrupted run"
RUNS=$WORK/t2/runs
RUST_LOG=warn run "$XTASK" sweep figure 5 --scale smoke --epochs "$PREEMPT_EPOCHS" --launcher local --out "$WORK/t2/ref" --runs "$RUNS" --quiet
mv "$RUNS" "$WORK/t2/runs-ref"
run "$XTASK" sweep figure 5 --scale smoke --epochs "$PREEMPT_EPOCHS" --launcher slurm --out "$WORK/t2/sweep" --runs "$RUNS" --quiet --submit | tee "$WORK/t2/submit.txt"
IDS=$(submit_ids "$WORK/t2/submit.txt")
A=$(echo "$IDS" | awk '{print $1}')
RUN=$(basename "$(ls -d "$WORK"/t2/runs-ref/*_d*)")
epochs_done() { [ -f "$RUNS/$RUN/history.jsonl" ] && wc -l < "$RUNS/$RUN/history.jsonl" || echo 0; }
wait_epochs() { while [ "$(epochs_done)" -lt "$1" ]; do sleep 0.2; done; }
wait_epochs $(( PREEMPT_EPOCHS / 4 ))
echo "+ squeue"; squeue
echo "epochs recorded: $(epochs_done); sending USR1 to the batch shell (as Slurm does --signal=B:USR1@120 before the time limit)"
run scancel --signal=USR1 --batch "${A}_0"
start_now "${A}_0"
wait_epochs $(( PREEMPT_EPOCHS / 2 ))
echo "epochs recorded: $(epochs_done); scontrol requeue (preemption: Slurm sends SIGTERM, then requeues)"
run scontrol requeue "${A}_0"
echo "+ scontrol show job ${A}_0 | grep -E 'JobState|Restarts|Requeue'"
scontrol show job "${A}_0" | grep -E 'JobState|Restarts|Requeue' || true
start_now "${A}_0"
wait_jobs $IDS
show_accounting $IDS
echo "+ the array task's log:"; grep -hE '^task |USR1|stopped|requeue|resuming|finished|exited' "$WORK"/t2/sweep/logs/*-w0_*.out | sed 's/^/    /'
for f in run.json history.jsonl final.safetensors; do
  [ -f "$RUNS/$RUN/$f" ] || continue
  run cmp "$WORK/t2/runs-ref/$RUN/$f" "$RUNS/$RUN/$f"
done
cmp_tree "$WORK/t2/runs-ref/$RUN" "$RUNS/$RUN"
RESTARTS=$(grep -c '^task ' "$WORK"/t2/sweep/logs/*-w0_*.out)
[ "$RESTARTS" -ge 3 ] || { echo "expected 3 starts of the task, saw $RESTARTS" >&2; exit 1; }
echo "test 2 passed: started $RESTARTS times, final records byte-identical to the uninterrupted run"

# ---------------------------------------------------------------------------------------------
say "test 3: resubmitting the finished sweep of test 1"
RUNS=$WORK/t1/runs
touch "$WORK/t3-marker"; sleep 1
run "$XTASK" sweep figure "$FIG" --scale smoke --launcher slurm --out "$WORK/t1/sweep" --runs "$RUNS" --max-parallel 2 --quiet --submit | tee "$WORK/t3-submit.txt"
IDS=$(submit_ids "$WORK/t3-submit.txt")
wait_jobs $IDS
show_accounting $IDS
N=$(grep -c '"index"' "$WORK/t1/sweep/manifest.json")
SKIPPED=$(cat $(for id in $(echo "$IDS" | awk '{print $1, $2}'); do ls "$WORK"/t1/sweep/logs/*_"${id}"_*.out 2>/dev/null; done) | grep -c 'finished already, nothing trained' || true)
echo "indices: $N; logs saying 'finished already, nothing trained': $SKIPPED"
CHANGED=$(find "$RUNS" -type f -newer "$WORK/t3-marker" | wc -l)
echo "run-store files written since the resubmission: $CHANGED"
[ "$SKIPPED" -eq "$N" ] && [ "$CHANGED" -eq 0 ] || { echo "test 3 failed" >&2; exit 1; }
echo "test 3 passed: nothing trained"
say "all three tests passed"
