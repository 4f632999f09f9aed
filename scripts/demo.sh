#!/usr/bin/env bash
# The main job on the embedded default: installs what is missing, builds,
# makes the hard synthetic VOC-style dataset, trains EPS with the small
# network's preset on 2 MPI ranks, writes the pseudo-masks of the training
# images on 2 ranks at the paper's background threshold 0.20, sweeps every
# threshold over the saved maps, refines the masks with the dense CRF
# (eps-dist refine), and does the same for the CAM baseline
# (DEMO_CAM=0 skips it), and writes an HTML report of each (eps-dist report).
# Stage 2: trains DeepLab-v2 (deeplabv2-tiny, from scratch) on each method's
# pseudo-masks and on the ground truth (the capacity check; DEMO_GT=0 skips
# it), segments the val images with and without the dense CRF and scores them,
# and writes a report of each (DEMO_STAGE2=0 skips stage 2).
# Prints the figures of docs/QUALITY.md for this seed.
# DEMO_DIR (default ./demo) holds everything it writes; ITERS and SEED change
# the stage-1 run (the preset: 2000 steps, seed 0), SEG_ITERS stage 2's.
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
# Stage 2: DeepLab-v2 on label maps ($2), then val masks with and without the dense CRF.
seg_iters=()
[ -n "${SEG_ITERS:-}" ] && seg_iters=(--max-iters "$SEG_ITERS")
stage2() {
  local name=$1 labels=$2
  rm -rf "$demo/$name-deeplab"
  mpirun -n "$ranks" "$bin" seg-train --dataset voc --data-root "$data" --train-list "$lists/train.txt" \
    --label-dir "$labels" --arch deeplabv2-tiny --seed "${SEED:-0}" "${seg_iters[@]}" --log-every 100 \
    --out "$demo/$name-deeplab"
  for crf in "" --crf; do
    local out="$demo/$name-deeplab-val${crf:+-crf}"
    mpirun -n "$ranks" "$bin" seg-infer --weights "$demo/$name-deeplab/checkpoint.safetensors" --data-root "$data" \
      --infer-list "$lists/val.txt" --gt-dir "$data/SegmentationClassAug" --out "$out" --color-png "$out/color" \
      --overwrite $crf | tee "$out.txt"
  done
  "$bin" report --run "$demo/$name-deeplab" --masks "$demo/$name-deeplab-val" --out "$demo/$name-deeplab-report.html"
}
stage2_sets=""
if [ "${DEMO_STAGE2:-1}" != 0 ]; then
  for method in $methods; do stage2 "$method" "$demo/$method-masks"; done
  stage2_sets="$methods"
  if [ "${DEMO_GT:-1}" != 0 ]; then
    stage2 gt "$data/SegmentationClassAug"
    stage2_sets="$methods gt"
  fi
fi

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
for name in $stage2_sets; do
  val=$(grep -m1 '^mIoU' "$demo/$name-deeplab-val.txt" | awk '{print $2}')
  crf=$(grep -m1 '^mIoU' "$demo/$name-deeplab-val-crf.txt" | awk '{print $2}')
  case $name in gt) what="the ground truth (capacity check)";; *) what="the ${name^^} pseudo-masks";; esac
  echo "stage 2, DeepLab-v2 tiny trained on $what: val mIoU $val; with dense CRF $crf"
done
echo "pseudo-masks: $demo/eps-masks (color/ for viewing; report.json, manifest.json)"
echo "HTML report (curves, scores, sweep, gallery; opens offline): $demo/eps-report.html"
if [ -n "$stage2_sets" ]; then
  echo "stage 2 (DeepLab-v2 on the EPS masks, val): $demo/eps-deeplab-report.html"
fi
