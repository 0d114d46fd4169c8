#!/bin/bash
# Stops what setup.sh started: cancels every job, then stops slurmd, slurmctld and munged by
# their pids (from $SLURM_STATE), and waits until they are gone.
set -u
STATE=${SLURM_STATE:-/tmp/layca-slurm}
if command -v scancel >/dev/null && squeue -h >/dev/null 2>&1; then
  scancel --user="$(id -un)" 2>/dev/null || true
  for _ in $(seq 20); do [ -z "$(squeue -h 2>/dev/null)" ] && break; sleep 1; done
fi
for d in slurmd slurmctld munged; do
  f="$STATE/$d.pid"
  [ -s "$f" ] || continue
  pid=$(cat "$f")
  if kill -0 "$pid" 2>/dev/null; then
    kill "$pid"
    for _ in $(seq 20); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    if kill -0 "$pid" 2>/dev/null; then kill -9 "$pid"; fi
    echo "stopped $d (pid $pid)"
  fi
  rm -f "$f"
done
