#!/bin/bash
# A one-node Slurm on this machine (root, no systemd): installs slurm-wlm + munge if missing,
# writes /etc/slurm/slurm.conf for `hostname -s`, starts munged, slurmctld and slurmd, and waits
# until `sinfo` shows the node idle. The pids go to $SLURM_STATE/pids for teardown.sh.
# Job completions are logged with jobcomp/filetxt so that `sacct -c` can show finished jobs
# without slurmdbd. See docs/slurm/ and ../../shared/design/slurm-notes.md.
set -euo pipefail
STATE=${SLURM_STATE:-/tmp/layca-slurm}
mkdir -p "$STATE"
if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
  echo "installing slurm-wlm and munge"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq slurm-wlm munge >/dev/null
fi
HOST=$(hostname -s)
CPUS=$(nproc)
MEM=$(( $(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 * 8 / 10 ))

if [ ! -s /etc/munge/munge.key ]; then
  mkdir -p /etc/munge
  head -c 1024 /dev/urandom > /etc/munge/munge.key
fi
chown munge:munge /etc/munge/munge.key
chmod 400 /etc/munge/munge.key
mkdir -p /run/munge /var/log/munge /var/lib/munge
chown munge:munge /run/munge /var/log/munge /var/lib/munge

mkdir -p /etc/slurm /var/spool/slurmctld /var/spool/slurmd /var/log/slurm
cat > /etc/slurm/slurm.conf <<CONF
ClusterName=local
SlurmctldHost=$HOST
SlurmUser=root
AuthType=auth/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=/var/spool/slurmd
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
SlurmctldPidFile=$STATE/slurmctld.pid
SlurmdPidFile=$STATE/slurmd.pid
ReturnToService=2
MpiDefault=none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/filetxt
JobCompLoc=/var/log/slurm/jobcomp.log
MinJobAge=600
NodeName=$HOST CPUs=$CPUS RealMemory=$MEM State=UNKNOWN
PartitionName=debug Nodes=$HOST Default=YES MaxTime=INFINITE State=UP
CONF

start_munged() {
  if munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then return; fi
  runuser -u munge -- /usr/sbin/munged
  sleep 1
  cp /run/munge/munged.pid "$STATE/munged.pid"
  munge -n | unmunge | grep -q 'STATUS: *Success'
  echo "munged up (pid $(cat "$STATE/munged.pid"))"
}
start_munged
/usr/sbin/slurmctld
sleep 2
/usr/sbin/slurmd
for _ in $(seq 60); do
  if sinfo -h -o '%T' 2>/dev/null | grep -qx idle; then
    echo "slurm up: slurmctld pid $(cat "$STATE/slurmctld.pid"), slurmd pid $(cat "$STATE/slurmd.pid")"
    sinfo
    exit 0
  fi
  sleep 1
done
echo "sinfo never showed the node idle:" >&2
sinfo >&2 || true
tail -20 /var/log/slurm/slurmctld.log /var/log/slurm/slurmd.log >&2 || true
exit 1
