#!/usr/bin/env bash
# The benchmarks behind docs/PERFORMANCE.md (not CI). Writes JSON and logs to
# BENCH_DIR (default /tmp/eps-bench). Needs a release build; the PyTorch
# comparison runs only when torch imports.
set -uo pipefail
cd "$(dirname "$0")/.."
source scripts/mpi-env.sh
bin=.build/release/eps-dist
out="${BENCH_DIR:-/tmp/eps-bench}"
mkdir -p "$out"
run() { echo "== $*"; "$@"; }
# Training step of ResNet-38 (EPS, frozen as the reference) against sgemm on the same shapes.
for crop in 224 448; do
  for t in 1 2; do
    run "$bin" bench --arch resnet38 --crop-size "$crop" --batch-size 1 --threads "$t" --steps 1 --json "$out/r38-$crop-t$t.json"
    if python3 -c "import torch" 2>/dev/null; then
      run python3 bench/pytorch_step.py --crop-size "$crop" --batch-size 1 --threads "$t" --steps 1 --eps-json "$out/r38-$crop-t$t.json"
    fi
  done
done
# DeepLab-v2 ResNet-101 step (seg-train's, crop 321, batch 1 and 5, 1 and 2 threads) alternating with PyTorch,
# and its inference on a 500x375 image.
if python3 -c "import torch" 2>/dev/null; then
  run bash bench/deeplab-step.sh
else
  for t in 1 2; do
    run "$bin" bench --arch deeplabv2-resnet101 --crop-size 321 --batch-size 1 --threads "$t" --steps 1 --json "$out/deeplab-t$t.json"
  done
fi
# Data parallel: 2 ranks × 1 thread (flat vs bucketed, raw allreduce) and 1 rank × 2 threads, same global batch 2.
run mpirun -n 2 env OPENBLAS_NUM_THREADS=1 "$bin" bench --arch resnet38 --crop-size 224 --batch-size 1 --threads 1 --steps 2 --json "$out/r38-224-2ranks.json"
run "$bin" bench --arch resnet38 --crop-size 224 --batch-size 2 --threads 2 --steps 2 --json "$out/r38-224-1rank-b2.json"
# Loader: VOC-sized synthetic images, crop 448, 1 and 2 workers.
[ -f "$out/voc-sized/ImageSets/Segmentation/train.txt" ] || "$bin" synth --difficulty easy --out "$out/voc-sized" --train 64 --val 0 --scale 3
run "$bin" bench-data --data-root "$out/voc-sized" --train-list "$out/voc-sized/ImageSets/Segmentation/train.txt" \
  --saliency-root "$out/voc-sized/saliency" --crop-size 448 --batches 8 --workers 1 2 --json "$out/loader.json"
# Inference of ResNet-38 (4 scales × flip) on VOC-sized images, 1 and 2 ranks (random weights: speed only).
"$bin" bench --arch resnet38 --crop-size 64 --batch-size 1 --steps 1 --threads 2 --save-initial "$out/r38-random.safetensors" > /dev/null
head -n 2 "$out/voc-sized/ImageSets/Segmentation/train.txt" > "$out/infer2.txt"
for n in 1 2; do
  rm -rf "$out/infer-masks-$n"
  start=$(date +%s.%N)
  if [ "$n" = 1 ]; then
    run "$bin" infer --weights "$out/r38-random.safetensors" --data-root "$out/voc-sized" --infer-list "$out/infer2.txt" --cam-png "$out/infer-masks-$n" --threads 2
  else
    run mpirun -n 2 env OPENBLAS_NUM_THREADS=1 "$bin" infer --weights "$out/r38-random.safetensors" --data-root "$out/voc-sized" --infer-list "$out/infer2.txt" --cam-png "$out/infer-masks-$n" --threads 1
  fi
  end=$(date +%s.%N)
  python3 -c "import sys; s=float(sys.argv[2])-float(sys.argv[1]); print(f'infer ResNet-38, 2 VOC-sized images, $n rank(s): {s:.1f} s, {2/s:.3f} images/s')" "$start" "$end"
done
# Dense CRF: seconds per 500×375 image (21 and 3 labels, deeplab and psa sets), the lattice against the exact
# CRF on 64×48, and pydensecrf on the same picture when it imports (pip install pydensecrf2).
run "$bin" bench --crf --steps 3 --json "$out/crf.json"
if python3 -c "import pydensecrf.densecrf" 2>/dev/null; then
  [ -f "$out/crf-synth/JPEGImages/synth_000000.jpg" ] || "$bin" synth --out "$out/crf-synth" --train 1 --val 0 --seed 0 --scale 1.43
  run python3 bench/pydensecrf_crf.py --image "$out/crf-synth/JPEGImages/synth_000000.jpg" --repeats 3 --json "$out/crf-pydensecrf.json"
fi
