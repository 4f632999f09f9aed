#!/usr/bin/env bash
# Quality run (not in CI): on the synthetic data, train EPS and the CAM
# baseline with the same budget on 2 ranks, write pseudo-masks of the train
# split, and evaluate them with the context-confusion analysis (rails under
# trains, water under boats). Prints one table per method and a summary.
# QUALITY_DIR (default ./quality) holds everything; ITERS sets the budget.
set -euo pipefail
cd "$(dirname "$0")/.."
ranks="${RANKS:-2}"
source scripts/release-setup.sh
dir="${QUALITY_DIR:-quality}"
iters="${ITERS:-1000}"
data="$dir/data"
[ -f "$data/ImageSets/Segmentation/train.txt" ] || "$bin" synth --difficulty easy --out "$data" --train 320 --val 64 --seed 0
for method in eps cam; do
  rm -rf "$dir/$method-run" "$dir/$method-masks"
  mpirun -n "$ranks" "$bin" train --dataset voc --data-root "$data" \
    --train-list "$data/ImageSets/Segmentation/train.txt" --saliency-root "$data/saliency" --method "$method" \
    --arch tiny --batch-size 8 --crop-size 128 --resize-size 112 176 \
    --max-iters "$iters" --lr 0.05 --momentum 0.9 --log-every 250 --out "$dir/$method-run"
  mpirun -n "$ranks" "$bin" infer --weights "$dir/$method-run/checkpoint.safetensors" --data-root "$data" \
    --infer-list "$data/ImageSets/Segmentation/train.txt" --cam-png "$dir/$method-masks"
  echo "== $method"
  "$bin" eval --gt-dir "$data/SegmentationClassAug" --pred-dir "$dir/$method-masks" \
    --datalist "$data/ImageSets/Segmentation/train.txt" --context-dir "$data/context" --json "$dir/$method-eval.json"
done
python3 - "$dir" <<'PY' || true
import json, sys
d = sys.argv[1]
rows = []
for m in ["eps", "cam"]:
    r = json.load(open(f"{d}/{m}-eval.json"))
    cc = r.get("context_confusion", {})
    rows.append((m, r["miou"] * 100, cc.get("rails", {}).get("train", float("nan")), cc.get("water", {}).get("boat", float("nan"))))
print("| method | mIoU (%) | rails→train | water→boat |")
print("|---|---|---|---|")
for m, miou, rt, wb in rows:
    print(f"| {m.upper()} | {miou:.2f} | {rt:.3f} | {wb:.3f} |")
PY
