#!/usr/bin/env bash
# The ResNet-38 EPS training step (and, with SMALL=1, the small net's) built for a wider vector unit
# (EPS_DIST_TARGET_CPU, e.g. AVX2 `haswell`) against the default build (baseline x86-64, SSE2), and
# against PyTorch on the official network code: the three programs alternating, one round after
# another. Not CI: needs torch and a quiet machine.
#   VECTOR: an eps-dist built for the wider unit, e.g.
#     EPS_DIST_TARGET_CPU=haswell swift build -c release --product eps-dist --scratch-path /tmp/eps-avx2
#     VECTOR=/tmp/eps-avx2/release/eps-dist bash bench/vector-unit.sh
#   CONFIGS="crop:threads ..." (default "224:1"), BATCH (2), ROUNDS (3), BENCH_DIR.
set -euo pipefail
cd "$(dirname "$0")/.."
bin="${VECTOR:?VECTOR=<eps-dist built with EPS_DIST_TARGET_CPU=haswell>}"
base="${EPS_DIST:-.build/release/eps-dist}"
out="${BENCH_DIR:-/tmp/eps-bench-vector}"
mkdir -p "$out"
batch="${BATCH:-2}"
step() { grep -E "^step [0-9.]+ s" | sed 's/ *(.*//'; }
for cfg in ${CONFIGS:-224:1}; do
  crop=${cfg%%:*}
  threads=${cfg#*:}
  for round in $(seq 1 "${ROUNDS:-3}"); do
    json="$out/r38-$crop-b$batch-t$threads-round$round.json"
    echo "== resnet38 crop $crop, batch $batch, $threads thread(s), round $round"
    echo -n "  vector unit: "
    "$bin" bench --arch resnet38 --crop-size "$crop" --batch-size "$batch" --threads "$threads" --steps 1 | step
    echo -n "  baseline:    " # the default build: PyTorch's ratio below is against it
    "$base" bench --arch resnet38 --crop-size "$crop" --batch-size "$batch" --threads "$threads" --steps 1 \
      --json "$json" | step
    python3 bench/pytorch_step.py --crop-size "$crop" --batch-size "$batch" --threads "$threads" --steps 1 \
      --eps-json "$json" | sed 's/^/  /'
  done
done
if [ "${SMALL:-0}" = 1 ]; then
  for round in $(seq 1 "${ROUNDS:-3}"); do
    echo "== small, crop 256, batch 8, 1 thread, round $round"
    for b in "$bin" "$base"; do
      echo -n "  $([ "$b" = "$bin" ] && echo "vector unit" || echo "baseline   "): "
      "$b" bench --arch small --crop-size 256 --batch-size 8 --threads 1 --steps 3 | step
    done
  done
fi
