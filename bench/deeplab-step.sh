#!/usr/bin/env bash
# DeepLab-v2 ResNet-101 training step (docs/PERFORMANCE.md, "DeepLab-v2 training step"), not CI:
# eps-dist bench and PyTorch (bench/pytorch_step.py, the same deeplab-pytorch step) alternating
# A B A B on the same threads, for each of 1 and 2 threads × batch per rank 1 and 5, crop 321.
# The load average is printed with every run (the machine may be shared). Writes the JSON of every
# eps-dist run, the PyTorch output and a summary table to BENCH_DIR (default /tmp/eps-bench/deeplab).
#   ROUNDS=2 THREADS="1 2" BATCHES="1 5" STEPS=1 [EPS_DIST=binary] bash bench/deeplab-step.sh
set -uo pipefail
cd "$(dirname "$0")/.."
source scripts/mpi-env.sh
bin=${EPS_DIST:-.build/release/eps-dist}
pytorch=${PYTORCH_STEP:-bench/pytorch_step.py}
out="${BENCH_DIR:-/tmp/eps-bench}/deeplab"
mkdir -p "$out"
rounds=${ROUNDS:-2}
steps=${STEPS:-1}
summary="$out/summary.tsv"
printf 'threads\tbatch\tround\twho\ts_per_step\tgflops\tsgemm_gflops\tvs_sgemm\tload_1min\n' > "$summary"
load() { cut -d' ' -f1 /proc/loadavg; }
for t in ${THREADS:-1 2}; do
  for b in ${BATCHES:-1 5}; do
    for r in $(seq 1 "$rounds"); do
      json="$out/eps-t$t-b$b-r$r.json"
      l=$(load)
      echo "== eps-dist threads $t batch $b round $r (load $l, $(uptime | sed 's/.*load average: //'))"
      OPENBLAS_NUM_THREADS=$t "$bin" bench --arch deeplabv2-resnet101 --crop-size 321 --batch-size "$b" \
        --threads "$t" --steps "$steps" --json "$json" || exit 1
      python3 -c 'import json,sys; e=json.load(open(sys.argv[1])); print("\t".join(sys.argv[2:5] + ["eps-dist", "%.3f" % e["step_seconds"], "%.1f" % e["step_gflops"], "%.1f" % e["sgemm_gflops"], "%.3f" % e["step_vs_sgemm"], sys.argv[5]]))' \
        "$json" "$t" "$b" "$r" "$l" >> "$summary"
      l=$(load)
      echo "== pytorch threads $t batch $b round $r (load $l, $(uptime | sed 's/.*load average: //'))"
      OMP_NUM_THREADS=$t python3 "$pytorch" --arch deeplabv2-resnet101 --crop-size 321 --batch-size "$b" \
        --threads "$t" --steps "$steps" --eps-json "$json" | tee "$out/pytorch-t$t-b$b-r$r.txt" || exit 1
      python3 -c 'import json,re,sys; e=json.load(open(sys.argv[1])); s=float(re.search(r"([0-9.]+) s/step", open(sys.argv[2]).read()).group(1)); print("\t".join(sys.argv[3:6] + ["pytorch", "%.3f" % s, "%.1f" % (e["step_gflop"] / s), "", "", sys.argv[6]]))' \
        "$json" "$out/pytorch-t$t-b$b-r$r.txt" "$t" "$b" "$r" "$l" >> "$summary"
    done
  done
done
echo "== summary ($summary)"
column -t -s $'\t' "$summary"
