#!/usr/bin/env bash
# CAM inference of one VOC-sized image (docs/PERFORMANCE.md, "CAM inference"), not CI: ResNet-38 EPS,
# scales 0.5 1 1.5 2 × flip, random weights. Per round, alternating: eps-dist's plain procedure
# (`bench --infer --infer-baseline`: every input alone, BN unfolded, whole-image im2col, heap kept),
# eps-dist's inference path (`bench --infer`) and PyTorch on the official infer.py procedure
# (bench/pytorch_infer.py). Separate processes, so each peak RSS is its own. Writes the JSON and
# outputs and a summary table to BENCH_DIR (default /tmp/eps-bench/cam-inference).
#   ROUNDS=2 THREADS="2" IMAGES=1 [VARIANTS="baseline optimized"] [EPS_DIST=binary] bash bench/cam-inference.sh
set -uo pipefail
cd "$(dirname "$0")/.."
bin=${EPS_DIST:-.build/release/eps-dist}
out="${BENCH_DIR:-/tmp/eps-bench}/cam-inference"
mkdir -p "$out"
images=${IMAGES:-1}
summary="$out/summary.tsv"
printf 'threads\tround\twho\ts_per_image\tpeak_rss_mb\tload_1min\n' > "$summary"
load() { cut -d' ' -f1 /proc/loadavg; }
for t in ${THREADS:-2}; do
  for r in $(seq 1 "${ROUNDS:-2}"); do
    for variant in ${VARIANTS:-baseline optimized}; do
      json="$out/eps-$variant-t$t-r$r.json"
      l=$(load)
      echo "== eps-dist $variant threads $t round $r (load $l)"
      flag=""; [ "$variant" = baseline ] && flag=--infer-baseline
      OPENBLAS_NUM_THREADS=$t "$bin" bench --arch resnet38 --infer $flag --threads "$t" --steps "$images" \
        --json "$json" || exit 1
      python3 -c 'import json,sys; e=json.load(open(sys.argv[1])); print("\t".join([sys.argv[2], sys.argv[3], "eps-dist " + sys.argv[4], "%.3f" % e["infer_seconds_per_image"], "%.0f" % e["infer_peak_rss_mb"], sys.argv[5]]))' \
        "$json" "$t" "$r" "$variant" "$l" >> "$summary"
    done
    l=$(load)
    echo "== pytorch threads $t round $r (load $l)"
    OMP_NUM_THREADS=$t python3 bench/pytorch_infer.py --threads "$t" --images "$images" \
      --eps-json "$out/eps-optimized-t$t-r$r.json" | tee "$out/pytorch-t$t-r$r.txt" || exit 1
    python3 -c 'import re,sys; s=open(sys.argv[1]).read(); m=re.search(r"([0-9.]+) s/image, peak RSS ([0-9]+) MB", s); print("\t".join([sys.argv[2], sys.argv[3], "pytorch", m.group(1), m.group(2), sys.argv[4]]))' \
      "$out/pytorch-t$t-r$r.txt" "$t" "$r" "$l" >> "$summary"
  done
done
echo "== summary ($summary)"
column -t -s $'\t' "$summary"
