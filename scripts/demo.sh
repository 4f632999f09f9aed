#!/usr/bin/env bash
# The main job on the embedded default: installs what is missing, builds,
# makes a synthetic VOC-style dataset, trains EPS on 2 MPI ranks, writes the
# pseudo-masks of the training images on 2 ranks and prints their mIoU.
# DEMO_DIR (default ./demo) holds everything it writes.
set -euo pipefail
cd "$(dirname "$0")/.."
ranks="${RANKS:-2}"
source scripts/release-setup.sh
demo="${DEMO_DIR:-demo}"
data="$demo/data"
[ -f "$data/ImageSets/Segmentation/train.txt" ] || "$bin" synth --difficulty easy --out "$data" --train 320 --val 64 --seed 0
rm -rf "$demo/eps-run" "$demo/eps-masks"
mpirun -n "$ranks" "$bin" train --dataset voc --data-root "$data" \
  --train-list "$data/ImageSets/Segmentation/train.txt" --saliency-root "$data/saliency" \
  --arch tiny --batch-size 8 --crop-size 128 --resize-size 112 176 \
  --max-iters "${ITERS:-1000}" --lr 0.05 --momentum 0.9 --log-every 100 --out "$demo/eps-run"
mpirun -n "$ranks" "$bin" infer --weights "$demo/eps-run/checkpoint.safetensors" --data-root "$data" \
  --infer-list "$data/ImageSets/Segmentation/train.txt" --cam-png "$demo/eps-masks" \
  --gt-dir "$data/SegmentationClassAug" --context-dir "$data/context"
echo "pseudo-masks: $demo/eps-masks (report.json, manifest.json)"
