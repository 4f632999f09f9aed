#!/usr/bin/env bash
# Quality run (not in CI; docs/QUALITY.md): on the hard synthetic data, train
# EPS and the CAM baseline with the small net's preset (2 000 steps × batch 16)
# on 2 ranks for each seed, write the pseudo-masks of the train split at the
# paper's threshold 0.20 with the context-confusion analysis, sweep every
# background threshold over the saved maps, and score the multi-class images.
# Prints one summary table (python3, optional). QUALITY_DIR (default ./quality)
# holds everything; SEEDS (default "0 1 2"), METHODS ("eps cam") and ITERS
# (the preset's 2000) change the budget, TRAIN_FLAGS adds flags to every `train`
# (e.g. "--allreduce-dtype bf16"). About 10 minutes per run on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
ranks="${RANKS:-2}"
source scripts/release-setup.sh
bin="${QUALITY_BIN:-$bin}" # a copy, so rebuilding during the hour-long run does not change it
dir="${QUALITY_DIR:-quality}"
data="$dir/data"
lists="$data/ImageSets/Segmentation"
# Made here, or an earlier run's hard data (an easy or older synth output is made anew).
if ! grep -qs "difficulty hard" "$data/SYNTHETIC.txt" || [ ! -f "$lists/train_multiclass.txt" ]; then
  "$bin" synth --out "$data" --train 320 --val 64 --seed 0
fi
iters=()
[ -n "${ITERS:-}" ] && iters=(--max-iters "$ITERS")
for seed in ${SEEDS:-0 1 2}; do
  for method in ${METHODS:-eps cam}; do
    run="$dir/$method-seed$seed"
    [ -f "$run/summary.done" ] && continue # finished earlier: keep it
    rm -rf "$run"
    mpirun -n "$ranks" "$bin" train --dataset voc --data-root "$data" --train-list "$lists/train.txt" \
      --saliency-root "$data/saliency" --method "$method" --arch small --seed "$seed" "${iters[@]}" \
      --log-every 250 ${TRAIN_FLAGS:-} --out "$run/train"
    mpirun -n "$ranks" "$bin" infer --weights "$run/train/checkpoint.safetensors" --data-root "$data" \
      --infer-list "$lists/train.txt" --cam-png "$run/masks" --cam-npy "$run/maps" \
      --gt-dir "$data/SegmentationClassAug" --context-dir "$data/context"
    mpirun -n "$ranks" "$bin" sweep --cam-dir "$run/maps" --gt-dir "$data/SegmentationClassAug" \
      --datalist "$lists/train.txt" --thr-range 0.05 0.80 0.05 --json "$run/sweep.json"
    rm -rf "$run/maps" # 3.6 GB of dense maps: the sweep has what we need
    "$bin" eval --gt-dir "$data/SegmentationClassAug" --pred-dir "$run/masks" \
      --datalist "$lists/train_multiclass.txt" --json "$run/multiclass.json" >/dev/null
    touch "$run/summary.done"
  done
done
python3 scripts/quality_table.py "$dir" || echo "(python3 missing: see $dir/*/masks/report.json and sweep.json)"
