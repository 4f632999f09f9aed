#!/usr/bin/env bash
# Exposed gradient averaging over TCP between two emulated hosts (not CI; root): the
# figures of docs/PERFORMANCE.md, "Gradient averaging over TCP between hosts".
# `eps-dist bench` on 2 ranks, one per host (network namespaces joined by veths,
# scripts/multihost/netns-cluster.sh, btl tcp,self), for each bucket size; each run
# times the bucketed step and the flat step (one blocking MPI_Allreduce) on the same
# batch, then the raw allreduce of the whole gradient arena. Variants alternate inside
# each round (the order rotates), so a change of machine load hits all of them.
# A variant is KIND:MB[:PROGRESS[:DTYPE]]: KIND tcp (one rank per host) or shm (all ranks on
# one host, btl vader,self), bucket MB, --mpi-progress thread|calls, --allreduce-dtype f32|bf16.
#   bash bench/tcp-allreduce.sh                       crop 224, buckets 4 25 100 MB, 2 rounds
#   CROP=448 ROUNDS=1 MBS="25" bash bench/tcp-allreduce.sh
#   SHM=1 ...   also one shared-memory run (both ranks on one host, btl vader,self) per round
#   VARIANTS="tcp:25:calls tcp:25:thread tcp:25:thread:bf16" ...   any list of variants
#   RANKS=4 DELAY=2ms ...   4 hosts (one rank each), netem delay on every host's link
# Prints one line per run and writes the JSON of each to BENCH_DIR (default /tmp/eps-bench-tcp).
set -uo pipefail
cd "$(dirname "$0")/.."
C=$PWD/scripts/multihost/netns-cluster.sh
BIN=${EPS_BIN:-$PWD/.build/release}
ARCH=${ARCH:-resnet38} CROP=${CROP:-224} ROUNDS=${ROUNDS:-2} MBS=${MBS:-4 25 100} STEPS=${STEPS:-2} SHM=${SHM:-0}
RANKS=${RANKS:-2} DELAY=${DELAY:-}
out=${BENCH_DIR:-/tmp/eps-bench-tcp}
mkdir -p "$out"
export NC_PREFIX=tb NC_SUBNET=10.77.8 NC_STATE=/run/netns-cluster-tb NC_SLOTS=1
cp "$BIN/eps-dist" "$out/eps-dist"   # a build may replace the binary meanwhile
HF=$("$C" up "$RANKS" 2>/dev/null) || { echo "netns-cluster up failed" >&2; exit 1; }
trap '"$C" down >/dev/null 2>&1' EXIT
[ -n "$DELAY" ] && { "$C" fault "$DELAY" 0% >/dev/null || { echo "netns-cluster fault $DELAY failed" >&2; exit 1; }; }
one_host=$out/one-host
echo "tb1 slots=$RANKS" > "$one_host"

field() { grep -o "\"$2\" *: *[0-9.e+-]*" "$1" | head -n1 | sed 's/.*: *//'; }
variants=()
if [ -n "${VARIANTS:-}" ]; then
    read -r -a variants <<< "$VARIANTS"
else
    for mb in $MBS; do variants+=("tcp:$mb"); done
    [ "$SHM" = 1 ] && variants+=("shm:25")
fi
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg); crop $CROP, $RANKS ranks, delay ${DELAY:-none}," \
    "${#variants[@]} variants x $ROUNDS rounds"
printf '%-5s %-22s %9s %9s %11s %11s %9s %8s %8s\n' round variant step_s flat_step exposed_b exposed_f raw_GB/s buck_GB/s buckets
for round in $(seq "$ROUNDS"); do
    n=${#variants[@]}
    for i in $(seq 0 $((n - 1))); do
        v=${variants[$(((i + round - 1) % n))]}
        IFS=: read -r kind mb progress dtype <<< "$v"
        progress=${progress:-calls} dtype=${dtype:-f32}
        json=$out/$ARCH-$CROP-n$RANKS-$kind-$mb-$progress-$dtype${DELAY:+-$DELAY}-round$round.json
        args=(bench --arch "$ARCH" --crop-size "$CROP" --batch-size 1 --threads 1 --steps "$STEPS"
            --bucket-mb "$mb" --mpi-progress "$progress" --allreduce-dtype "$dtype" --json "$json")
        if [ "$kind" = tcp ]; then
            "$C" run "$HF" -n "$RANKS" --map-by node "$out/eps-dist" "${args[@]}" > "$json.log" 2>&1
        else
            NC_BTL=vader,self "$C" run "$one_host" -n "$RANKS" "$out/eps-dist" "${args[@]}" > "$json.log" 2>&1
        fi || { echo "run $v failed:"; tail -n 5 "$json.log"; continue; }
        printf '%-5s %-22s %9.3f %9.3f %11.4f %11.4f %9.3f %8.3f %8s   load %s\n' "$round" "$v" \
            "$(field "$json" step_seconds)" "$(field "$json" flat_step_seconds)" \
            "$(field "$json" bucketed_allreduce_seconds)" "$(field "$json" flat_allreduce_seconds)" \
            "$(field "$json" raw_allreduce_gbps)" "$(field "$json" bucketed_allreduce_gbps)" \
            "$(field "$json" buckets)" "$(cut -d' ' -f1 /proc/loadavg)"
    done
done
"$C" counters
