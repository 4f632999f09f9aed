#!/usr/bin/env bash
# The main job on the embedded default: installs what is missing, builds,
# makes the hard synthetic VOC-style dataset, trains EPS with the small
# network's preset on 2 MPI ranks, writes the pseudo-masks of the training
# images on 2 ranks at the paper's background threshold 0.20, sweeps every
# threshold over the saved maps, refines the masks with the dense CRF
# (eps-dist refine), and does the same for the CAM baseline
# (DEMO_CAM=0 skips it), and writes an HTML report of each (eps-dist report).
# Prints the figures of docs/QUALITY.md for this seed.
# DEMO_DIR (default ./demo) holds everything it writes; ITERS and SEED change
# the run (the preset: 2000 steps, seed 0). About 25 minutes on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
ranks="${RANKS:-2}"
source scripts/release-setup.sh
demo="${DEMO_DIR:-demo}"
data="$demo/data"
lists="$data/ImageSets/Segmentation"
# Made here, or an earlier run's hard data (an easy or older synth output is made anew).
if ! grep -qs "difficulty hard" "$data/SYNTHETIC.txt" || [ ! -f "$lists/train_multiclass.txt" ]; then
  "$bin" synth --out "$data" --train 320 --val 64 --seed 0
fi
iters=()
[ -n "${ITERS:-}" ] && iters=(--max-iters "$ITERS")
methods="eps"
[ "${DEMO_CAM:-1}" != 0 ] && methods="eps cam"
for method in $methods; do
  rm -rf "$demo/$method-run" "$demo/$method-masks" "$demo/$method-maps"
  mpirun -n "$ranks" "$bin" train --dataset voc --data-root "$data" --train-list "$lists/train.txt" \
    --saliency-root "$data/saliency" --method "$method" --arch small --seed "${SEED:-0}" "${iters[@]}" \
    --log-every 100 --out "$demo/$method-run"
  mpirun -n "$ranks" "$bin" infer --weights "$demo/$method-run/checkpoint.safetensors" --data-root "$data" \
    --infer-list "$lists/train.txt" --cam-png "$demo/$method-masks" --cam-npy "$demo/$method-maps" \
    --color-png "$demo/$method-masks/color" --gt-dir "$data/SegmentationClassAug" --context-dir "$data/context" \
    | tee "$demo/$method-infer.txt"
  mpirun -n "$ranks" "$bin" sweep --cam-dir "$demo/$method-maps" --gt-dir "$data/SegmentationClassAug" \
    --datalist "$lists/train.txt" --thr-range 0.05 0.80 0.05 --json "$demo/$method-sweep.json" \
    | tee "$demo/$method-sweep.txt"
  # Dense CRF over the saved maps (psa's parameters, infer's constant background 0.20).
  mpirun -n "$ranks" "$bin" refine --cam-dir "$demo/$method-maps" --data-root "$data" \
    --datalist "$lists/train.txt" --out "$demo/$method-crf-masks" --gt-dir "$data/SegmentationClassAug" \
    --overwrite | tee "$demo/$method-refine.txt"
  "$bin" report --run "$demo/$method-run" --masks "$demo/$method-masks" --sweep "$demo/$method-sweep.json" \
    --cams "$demo/$method-maps" --out "$demo/$method-report.html"
  rm -rf "$demo/$method-maps" # the sweep and the report have read them
  "$bin" eval --gt-dir "$data/SegmentationClassAug" --pred-dir "$demo/$method-masks" \
    --datalist "$lists/train_multiclass.txt" >"$demo/$method-multiclass.txt"
done
echo
echo "== summary (train split, 320 images; docs/QUALITY.md has the 3-seed table)"
for method in $methods; do
  at20=$(grep -m1 '^mIoU' "$demo/$method-infer.txt" | awk '{print $2}')
  best=$(grep -m1 '^best threshold' "$demo/$method-sweep.txt" | sed 's/ (.*//')
  multi=$(grep -m1 '^mIoU' "$demo/$method-multiclass.txt" | awk '{print $2}')
  crf=$(grep -m1 '^mIoU' "$demo/$method-refine.txt" | awk '{print $2}')
  rails=$(awk '$1 == "rails" && $3 == "train" {print $4}' "$demo/$method-infer.txt" | head -1)
  echo "${method^^}: mIoU $at20 at threshold 0.20; $best; with dense CRF $crf; multi-class images $multi; rails→train ${rails:-n/a}"
done
echo "pseudo-masks: $demo/eps-masks (color/ for viewing; report.json, manifest.json)"
echo "HTML report (curves, scores, sweep, gallery; opens offline): $demo/eps-report.html"
