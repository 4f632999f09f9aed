#!/usr/bin/env bash
# Exposed gradient averaging over TCP between two emulated hosts (not CI; root): the
# figures of docs/PERFORMANCE.md, "Gradient averaging over TCP between hosts".
# `eps-dist bench` on 2 ranks, one per host (network namespaces joined by veths,
# scripts/multihost/netns-cluster.sh, btl tcp,self), for each bucket size; each run
# times the bucketed step and the flat step (one blocking MPI_Allreduce) on the same
# batch, then the raw allreduce of the whole gradient arena. Variants alternate inside
# each round (the order rotates), so a change of machine load hits all of them.
#   bash bench/tcp-allreduce.sh                       crop 224, buckets 4 25 100 MB, 2 rounds
#   CROP=448 ROUNDS=1 MBS="25" bash bench/tcp-allreduce.sh
#   SHM=1 ...   also one shared-memory run (both ranks on one host, btl vader,self) per round
# Prints one line per run and writes the JSON of each to BENCH_DIR (default /tmp/eps-bench-tcp).
set -uo pipefail
cd "$(dirname "$0")/.."
C=$PWD/scripts/multihost/netns-cluster.sh
BIN=${EPS_BIN:-$PWD/.build/release}
ARCH=${ARCH:-resnet38} CROP=${CROP:-224} ROUNDS=${ROUNDS:-2} MBS=${MBS:-4 25 100} STEPS=${STEPS:-2} SHM=${SHM:-0}
out=${BENCH_DIR:-/tmp/eps-bench-tcp}
mkdir -p "$out"
export NC_PREFIX=tb NC_SUBNET=10.77.8 NC_STATE=/run/netns-cluster-tb NC_SLOTS=1
cp "$BIN/eps-dist" "$out/eps-dist"   # a build may replace the binary meanwhile
HF=$("$C" up 2 2>/dev/null) || { echo "netns-cluster up failed" >&2; exit 1; }
trap '"$C" down >/dev/null 2>&1' EXIT
one_host=$out/one-host
echo "tb1 slots=2" > "$one_host"

field() { grep -o "\"$2\" *: *[0-9.e+-]*" "$1" | head -n1 | sed 's/.*: *//'; }
variants=()
for mb in $MBS; do variants+=("tcp:$mb"); done
[ "$SHM" = 1 ] && variants+=("shm:25")
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg); crop $CROP, ${#variants[@]} variants x $ROUNDS rounds"
printf '%-5s %-9s %9s %9s %11s %11s %9s %8s %8s\n' round variant step_s flat_step exposed_b exposed_f raw_GB/s buck_GB/s buckets
for round in $(seq "$ROUNDS"); do
    n=${#variants[@]}
    for i in $(seq 0 $((n - 1))); do
        v=${variants[$(((i + round - 1) % n))]}
        kind=${v%%:*} mb=${v#*:}
        json=$out/$ARCH-$CROP-$kind-$mb-round$round.json
        args=(bench --arch "$ARCH" --crop-size "$CROP" --batch-size 1 --threads 1 --steps "$STEPS"
            --bucket-mb "$mb" --json "$json")
        if [ "$kind" = tcp ]; then
            "$C" run "$HF" -n 2 --map-by node "$out/eps-dist" "${args[@]}" > "$json.log" 2>&1
        else
            NC_BTL=vader,self "$C" run "$one_host" -n 2 "$out/eps-dist" "${args[@]}" > "$json.log" 2>&1
        fi || { echo "run $v failed:"; tail -n 5 "$json.log"; continue; }
        printf '%-5s %-9s %9.3f %9.3f %11.4f %11.4f %9.3f %8.3f %8s   load %s\n' "$round" "$v" \
            "$(field "$json" step_seconds)" "$(field "$json" flat_step_seconds)" \
            "$(field "$json" bucketed_allreduce_seconds)" "$(field "$json" flat_allreduce_seconds)" \
            "$(field "$json" raw_allreduce_gbps)" "$(field "$json" bucketed_allreduce_gbps)" \
            "$(field "$json" buckets)" "$(cut -d' ' -f1 /proc/loadavg)"
    done
done
"$C" counters
