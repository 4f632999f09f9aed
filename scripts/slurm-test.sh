#!/usr/bin/env bash
# End-to-end test of hostfiles/slurm/eps-synthetic.sbatch on a one-node Slurm
# running on loopback (Debian 12, as root; the steps are explained inline below).
#   bash scripts/slurm-test.sh            EPS_DIST=/path/to/eps-dist bash scripts/slurm-test.sh
# It installs slurm + munge if missing, writes /etc/slurm/slurm.conf for this host,
# starts munged, slurmctld and slurmd, submits the synthetic job with `sbatch --wait`,
# and checks the job and its run directory. Then it preempts a longer run with USR1
# (what `--signal=B:USR1@60` sends): eps-dist must checkpoint and exit 3, the
# script requeue the job, and the requeued job resume and finish. Last, a plain
# scancel: checkpoint and exit 3 again, but the job must stay cancelled. Then rank 1
# is killed (SIGKILL), and stopped (SIGSTOP, a hung rank): each time the job must end
# FAILED within KillWait + 15 s, the output naming the failure. The daemons are always
# stopped at the end. Rerunnable; no network beyond loopback (except apt).
set -uo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
EPS_DIST=${EPS_DIST:-$repo/.build/release/eps-dist}
JOB_SCRIPT=$repo/hostfiles/slurm/eps-synthetic.sbatch
KEEP=${KEEP:-0}                 # KEEP=1: keep the temporary folder even on success
passed=0 tmp="" munged_pid=""

say()  { echo "slurm-test: $*"; }
fail() { say "FAIL: $*"; exit 1; }   # the EXIT trap cleans up and prints the summary
pid_alive() { [ -n "$1" ] && kill -0 "$1" 2>/dev/null; }
pid_of() { [ -s "$1" ] && cat "$1"; }   # pid from a pid file, or nothing

# Stop a daemon by the pid in its pid file (leftovers of an earlier run, or ours).
stop_pidfile() {
    local pid; pid=$(pid_of "$1") || return 0
    pid_alive "$pid" || return 0
    kill "$pid" 2>/dev/null
    for _ in $(seq 50); do pid_alive "$pid" || return 0; sleep 0.2; done
    kill -9 "$pid" 2>/dev/null
}

cleanup() {
    local status=$?
    set +e
    if [ -s /run/slurmctld.pid ] && pid_alive "$(pid_of /run/slurmctld.pid)"; then
        timeout 10 scancel --user=root 2>/dev/null
        for _ in $(seq 30); do [ -z "$(timeout 5 squeue -h 2>/dev/null)" ] && break; sleep 0.5; done
        timeout 15 scontrol shutdown >/dev/null 2>&1
    fi
    stop_pidfile /run/slurmctld.pid; stop_pidfile /run/slurmd.pid
    if pid_alive "$munged_pid"; then kill "$munged_pid"; fi
    for _ in $(seq 25); do pid_alive "$munged_pid" || break; sleep 0.2; done
    if [ $status = 0 ] && [ $passed = 1 ]; then
        [ "$KEEP" = 1 ] || { [ -n "$tmp" ] && rm -rf "$tmp"; }
        say "1 passed, 0 failed"; exit 0
    fi
    [ -n "$tmp" ] && say "kept $tmp for inspection; daemon logs in /var/log/slurm"
    say "0 passed, 1 failed"; exit 1
}
trap cleanup EXIT
trap 'fail "interrupted"' INT TERM

[ "$(id -u)" = 0 ] || fail "run as root (it installs packages and starts slurm daemons)"
[ -x "$EPS_DIST" ] || fail "no eps-dist binary at $EPS_DIST (set EPS_DIST)"
started=$(date +%s)

# --- packages --------------------------------------------------------------
if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null || ! command -v sbatch >/dev/null \
        || ! command -v munged >/dev/null; then
    say "installing slurm-wlm slurmctld slurmd slurm-client munge"
    pkgs="slurm-wlm slurmctld slurmd slurm-client munge"
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -qq --no-install-recommends $pkgs >/dev/null \
        || { apt-get update -qq && apt-get install -y -qq --no-install-recommends $pkgs >/dev/null; } \
        || fail "apt-get install $pkgs failed"
fi

# --- host name: slurm needs `hostname -s` to resolve ---------------------------
host=$(hostname -s)
if ! getent hosts "$host" >/dev/null; then
    say "adding '127.0.0.1 $host' to /etc/hosts"
    echo "127.0.0.1 $host" >>/etc/hosts
fi

# --- munge -------------------------------------------------------------------
# munged (as user munge) opens /dev/null; seen replaced by a root-only regular file here.
if [ ! -c /dev/null ]; then
    say "/dev/null is not a character device: recreating it"
    rm -f /dev/null && mknod -m 666 /dev/null c 1 3 || fail "cannot recreate /dev/null"
fi
mkdir -p /run/munge && chown munge:munge /run/munge
[ -s /etc/munge/munge.key ] || { mungekey --create --force && chown munge:munge /etc/munge/munge.key; } \
    || fail "cannot create /etc/munge/munge.key"
stop_pidfile /run/munge/munged.pid   # a munged left by an interrupted run
runuser -u munge -- /usr/sbin/munged || fail "munged did not start"
munged_pid=$(pid_of /run/munge/munged.pid)
munge -n | unmunge >/dev/null || fail "munge -n | unmunge fails"

# --- slurm.conf and daemons --------------------------------------------------
stop_pidfile /run/slurmctld.pid; stop_pidfile /run/slurmd.pid   # leftovers
mkdir -p /etc/slurm /var/spool/slurmctld /var/spool/slurmd /var/log/slurm
node=$(slurmd -C | head -n1)   # NodeName=<host> CPUs=... RealMemory=...
case $node in NodeName=*) ;; *) fail "slurmd -C printed no node line: $node" ;; esac
cat >/etc/slurm/slurm.conf <<EOF
# Written by eps-dist scripts/slurm-test.sh: a one-node cluster on loopback.
ClusterName=local
SlurmctldHost=$host(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
# A requeued job waits cred_expire seconds (default 120) before it may start again.
AuthInfo=cred_expire=10
CredType=cred/munge
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/affinity
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
ReturnToService=2
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=/var/spool/slurmd
SlurmctldPidFile=/run/slurmctld.pid
SlurmdPidFile=/run/slurmd.pid
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
SlurmctldPort=6817
SlurmdPort=6818
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
$node NodeAddr=127.0.0.1 State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP OverSubscribe=YES
EOF
slurmctld -c -i || fail "slurmctld did not start (see /var/log/slurm/slurmctld.log)"   # -c: forget old jobs
slurmd || fail "slurmd did not start (see /var/log/slurm/slurmd.log)"

state=""
for _ in $(seq 60); do
    state=$(timeout 5 sinfo -h -N -n "$host" -o %T 2>/dev/null)
    [ "$state" = idle ] && break
    sleep 1
done
if [ "$state" != idle ]; then
    timeout 5 sinfo; tail -n 5 /var/log/slurm/slurmctld.log /var/log/slurm/slurmd.log
    fail "node $host not idle after 60 s (state '${state:-none}')"
fi
say "slurm up: node $host idle ($(( $(date +%s) - started )) s)"

# --- synthetic data and job environment ---------------------------------------
tmp=$(mktemp -d /tmp/slurm-test.XXXXXX)
# Run a private copy: the build may replace the binary while the test runs.
cp "$EPS_DIST" "$tmp/eps-dist" || fail "cannot copy $EPS_DIST"
EPS_DIST=$tmp/eps-dist
"$EPS_DIST" synth --difficulty easy --out "$tmp/data" --train 16 --val 4 >"$tmp/synth.log" 2>&1 \
    || { cat "$tmp/synth.log"; fail "eps-dist synth failed"; }
# sbatch passes this environment to the job (--export=ALL); the root flags for Open MPI too.
export EPS_DIST DATA_ROOT=$tmp/data OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1

# Checks of a finished run directory: final checkpoint, last step logged, 2 ranks.
check_run() {  # RUN_DIR MAX_ITERS JOB_OUTPUT
    local run=$1 iters=$2 out=$3
    [ -s "$run/checkpoint.safetensors" ] || fail "no $run/checkpoint.safetensors (job output: $out)"
    tail -n1 "$run/metrics.jsonl" 2>/dev/null | grep -q "\"step\":$iters[,}]" \
        || fail "$run/metrics.jsonl does not end at step $iters"
    for r in 0 1; do [ -s "$run/logs/rank-$r.log" ] || fail "no $run/logs/rank-$r.log"; done
    grep -q "2 rank(s)" "$run/logs/rank-0.log" || fail "eps-dist did not see 2 ranks under srun: $(head -n1 "$run/logs/rank-0.log")"
    [ -e "$run/logs/rank-2.log" ] && fail "unexpected $run/logs/rank-2.log"
    grep -q "eps-dist exit status 0" "$out" || fail "job output $out does not report exit status 0"
    return 0
}
job_field() { timeout 5 scontrol show job "$1" 2>/dev/null | tr ' ' '\n' | sed -n "s/^$2=//p" | head -n1; }
# Wait (up to 60 s) until job $1 has logged step 10 in run dir $2; fail if it ends first.
wait_step10() {
    local st
    for _ in $(seq 120); do
        grep -q "step  *10/" "$2/logs/rank-0.log" 2>/dev/null && return 0
        st=$(job_field "$1" JobState)
        case $st in PENDING|CONFIGURING|RUNNING|"") ;; *) cat "$tmp/job-$1.out"; fail "job $1 ended ($st) before step 10" ;; esac
        sleep 0.5
    done
    fail "job $1 did not reach step 10 within 60 s"
}

# --- 1. a short run to completion: sbatch --wait ------------------------------
export RUN_DIR=$tmp/run MAX_ITERS=20
timeout 120 sbatch --wait --parsable --chdir="$tmp" --output="$tmp/job-%j.out" "$JOB_SCRIPT" >"$tmp/sbatch.out" 2>&1
rc=$?
job=$(head -n1 "$tmp/sbatch.out")
out=$tmp/job-$job.out
[ $rc = 124 ] && fail "job $job did not finish within 120 s"
echo "---- job $job output (sbatch exit $rc):"; cat "$out" 2>/dev/null; echo "----"
[ $rc = 0 ] || fail "sbatch --wait exited $rc: $(cat "$tmp/sbatch.out")"
[ "$(job_field "$job" JobState)" = COMPLETED ] || fail "job $job state $(job_field "$job" JobState), not COMPLETED"
check_run "$RUN_DIR" 20 "$out"
say "run to completion OK ($(( $(date +%s) - started )) s)"

# --- 2. preemption: USR1 to the batch shell -> checkpoint, exit 3, requeue, resume
export RUN_DIR=$tmp/run-preempt MAX_ITERS=300 CHECKPOINT_EVERY=50
job=$(sbatch --parsable --chdir="$tmp" --output="$tmp/job-%j.out" "$JOB_SCRIPT") || fail "sbatch failed"
out=$tmp/job-$job.out
wait_step10 "$job" "$RUN_DIR"   # training under way
timeout 10 scancel --batch --signal=USR1 "$job" || fail "scancel --signal=USR1 failed"
state=""
for _ in $(seq 180); do   # the requeued job waits ~10 s (cred_expire), then resumes; up to 90 s
    state=$(job_field "$job" JobState)
    [ "$state" = COMPLETED ] || [ "$state" = FAILED ] || [ "$state" = CANCELLED ] && break
    sleep 0.5
done
echo "---- job $job output (state $state, restarts $(job_field "$job" Restarts)):"; cat "$out" 2>/dev/null; echo "----"
[ "$state" = COMPLETED ] || { timeout 5 scontrol show job "$job"
    fail "preempted job $job ended in state '${state:-unknown}', not COMPLETED"; }
grep -q "requeueing job $job" "$out" || fail "job $job was not requeued by the script (exit 3 expected)"
grep -q "resuming from" "$RUN_DIR/logs/rank-0.log" || fail "the requeued job did not resume from a checkpoint"
check_run "$RUN_DIR" 300 "$out"
say "preemption + requeue + resume OK ($(( $(date +%s) - started )) s)"

# --- 3. scancel: TERM -> checkpoint, exit 3, but no requeue (cancel must stick) ----
export RUN_DIR=$tmp/run-cancel
job=$(sbatch --parsable --chdir="$tmp" --output="$tmp/job-%j.out" "$JOB_SCRIPT") || fail "sbatch failed"
out=$tmp/job-$job.out
wait_step10 "$job" "$RUN_DIR"
timeout 10 scancel "$job" || fail "scancel $job failed"
for _ in $(seq 80); do grep -q "eps-dist exit status" "$out" 2>/dev/null && break; sleep 0.5; done
sleep 2   # a (wrong) requeue would show now
state=$(job_field "$job" JobState) restarts=$(job_field "$job" Restarts)
echo "---- job $job output (state $state, restarts $restarts):"; cat "$out" 2>/dev/null; echo "----"
grep -q "eps-dist exit status 3" "$out" || fail "cancelled job $job: eps-dist did not checkpoint and exit 3"
[ "$state" = CANCELLED ] && [ "$restarts" = 0 ] || fail "cancelled job $job is $state with $restarts restarts (requeued?)"
ls "$RUN_DIR"/checkpoints/step-*.safetensors >/dev/null 2>&1 || fail "cancelled job $job wrote no checkpoint"
say "scancel: checkpoint, no requeue OK ($(( $(date +%s) - started )) s)"

# --- 4. a rank fails: the job ends promptly, FAILED, with the failure in its output --
# Rank 1 of a long run is (a) killed with SIGKILL, (b) stopped with SIGSTOP (a hung
# rank; --collective-timeout 10). Two mechanisms end the step: Slurm's PMIx plugin
# cancels it when a task ends without MPI_Finalize, and srun --kill-on-bad-exit=1 when
# a task exits non-zero (any launch). srun's way is TERM, then KILL after KillWait
# (30 s by default, "Waiting up to 32 seconds"): eps-dist takes TERM as "checkpoint at
# the next step boundary", which a rank stuck in a collective never reaches, so the
# bound is KillWait + 15 s. Without either, rank 0 would wait in the gradient allreduce
# for --collective-timeout (900 s by default), holding the allocation.
rank_fails() {  # SIGNAL BOUND_SECONDS PATTERN [EXTRA_ARGS]
    local sig=$1 bound=$2 pattern=$3 job out victim at state ended
    export RUN_DIR=$tmp/run-$sig MAX_ITERS=5000 EXTRA_ARGS=${4:-}
    job=$(sbatch --parsable --chdir="$tmp" --output="$tmp/job-%j.out" "$JOB_SCRIPT") || fail "sbatch failed"
    out=$tmp/job-$job.out
    wait_step10 "$job" "$RUN_DIR"
    # scontrol listpids: PID JOBID STEPID LOCALID GLOBALID; the task of rank 1 in the srun step.
    victim=$(timeout 5 scontrol listpids "$job" 2>/dev/null | awk '$3 == 0 && $5 == 1 { print $1; exit }')
    [ -n "$victim" ] && [ "$(cat "/proc/$victim/comm" 2>/dev/null)" = eps-dist ] \
        || { timeout 5 scontrol listpids "$job"; fail "job $job: no eps-dist process for rank 1 in scontrol listpids"; }
    at=$(date +%s.%N)
    kill -"$sig" "$victim"
    for _ in $(seq 240); do
        state=$(job_field "$job" JobState)
        case $state in PENDING|CONFIGURING|RUNNING|COMPLETING|"") ;; *) break ;; esac
        sleep 0.25
    done
    ended=$(awk -v a="$at" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
    echo "---- job $job output (state $state, $ended s after SIG$sig to rank 1, pid $victim):"; cat "$out" 2>/dev/null; echo "----"
    [ "$state" = FAILED ] || fail "job $job is '$state' $ended s after SIG$sig to rank 1, not FAILED"
    awk -v t="$ended" -v b="$bound" 'BEGIN { exit !(t < b) }' \
        || fail "job $job took $ended s to end after SIG$sig to rank 1 (bound $bound s)"
    grep -q "eps-dist exit status [1-9]" "$out" || fail "job $job output does not report a failed exit status"
    grep -q "$pattern" "$out" || fail "job $job output does not say '$pattern'"
    grep -q "requeueing" "$out" && fail "job $job was requeued after a failure"
    timeout 5 scontrol listpids "$job" 2>/dev/null | awk 'NR > 1' | grep -q . && fail "job $job still has processes"
    say "SIG$sig to rank 1: job FAILED $ended s later (bound $bound s) OK ($(( $(date +%s) - started )) s)"
}
rank_fails KILL 45 "task 1: Killed"
rank_fails STOP 55 "did not complete within 10 s (--collective-timeout)" "--collective-timeout 10"
passed=1
