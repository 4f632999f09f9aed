#!/usr/bin/env bash
# The ResNet-38 EPS training step (frozen as the reference) under --conv-algorithm auto (Winograd for
# the 3x3 stride-1 convolutions) against im2col + sgemm in the same process (bench --compare-conv,
# alternating A B A B) and against PyTorch running the official network code (bench/pytorch_step.py),
# the two programs alternating. Not CI: needs torch and a quiet machine.
#   CONFIGS="crop:threads ..." (default "224:1 224:2 448:2"), BATCH (2), ROUNDS (2), BENCH_DIR.
set -euo pipefail
cd "$(dirname "$0")/.."
bin="${EPS_DIST:-.build/release/eps-dist}"
out="${BENCH_DIR:-/tmp/eps-bench-conv}"
mkdir -p "$out"
batch="${BATCH:-2}"
for cfg in ${CONFIGS:-224:1 224:2 448:2}; do
  crop=${cfg%%:*}
  threads=${cfg#*:}
  for round in $(seq 1 "${ROUNDS:-2}"); do
    json="$out/r38-$crop-b$batch-t$threads-round$round.json"
    echo "== crop $crop, batch $batch, $threads thread(s), round $round"
    "$bin" bench --arch resnet38 --crop-size "$crop" --batch-size "$batch" --threads "$threads" --steps 1 \
      --conv-algorithm auto --compare-conv --json "$json" | grep -E "^step|conv algorithms|peak"
    python3 bench/pytorch_step.py --crop-size "$crop" --batch-size "$batch" --threads "$threads" --steps 1 \
      --eps-json "$json"
  done
done
