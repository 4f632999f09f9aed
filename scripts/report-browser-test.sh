#!/usr/bin/env bash
# `eps-dist report` in a real browser: makes a small synthetic run (synth,
# a few steps of the tiny net, infer with ground truth, context and CAM maps,
# sweep), writes the report, and renders it with headless Chromium. Fails
# when the page logs anything to the console (the report has no script, so
# any message is an error: a load blocked by its content security policy, a
# parse error), when an <img> does not decode, or when a section is missing.
# A negative control (the report with one corrupted image and one network
# image) must fail both checks, so the checks are known to work.
# Keeps report.html and the screenshot report.png in $REPORT_TEST_OUT
# (default .build/report-browser-test). Uses the release binary (built if missing).
set -euo pipefail
cd "$(dirname "$0")/.."
out="${REPORT_TEST_OUT:-.build/report-browser-test}"
bin=.build/release/eps-dist
[ -x "$bin" ] || swift build -c release --product eps-dist
browser="$(command -v chromium || command -v chromium-browser || true)"
if [ -z "$browser" ]; then
  echo "report browser test: chromium is not installed (scripts/install-deps.sh installs it as root)" >&2
  exit 1
fi
rm -rf "$out"
mkdir -p "$out"
export OPENBLAS_NUM_THREADS=1
data="$out/data"
list="$data/ImageSets/Segmentation/train.txt"
"$bin" synth --out "$data" --train 10 --val 2 --seed 3 >/dev/null
"$bin" train --dataset voc --data-root "$data" --train-list "$list" --saliency-root "$data/saliency" \
  --arch tiny --batch-size 4 --crop-size 64 --resize-size 56 96 --max-iters 12 --log-every 3 --threads 1 \
  --out "$out/run" >/dev/null
"$bin" infer --weights "$out/run/checkpoint.safetensors" --data-root "$data" --infer-list "$list" --scales 1.0 \
  --cam-png "$out/masks" --cam-npy "$out/maps" --gt-dir "$data/SegmentationClassAug" \
  --context-dir "$data/context" --threads 1 >/dev/null
"$bin" sweep --cam-dir "$out/maps" --gt-dir "$data/SegmentationClassAug" --datalist "$list" \
  --json "$out/sweep.json" >/dev/null
"$bin" report --run "$out/run" --masks "$out/masks" --sweep "$out/sweep.json" --cams "$out/maps" --gallery 3 \
  --out "$out/report.html"

sandbox=()
[ "$(id -u)" = 0 ] && sandbox=(--no-sandbox) # Chromium refuses to run as root with its sandbox
profile="$(mktemp -d)"
trap 'rm -rf "$profile"' EXIT
chrome() {
  timeout 120 "$browser" --headless "${sandbox[@]}" --disable-gpu --disable-dev-shm-usage --no-first-run \
    --hide-scrollbars --user-data-dir="$profile" --enable-logging=stderr --v=0 --virtual-time-budget=10000 "$@"
}

# check PAGE NAME: prints "console=C images=N broken=B sections=S" for PAGE (an HTML file).
check() {
  local page="$1" name="$2"
  chrome --screenshot="$out/$name.png" --window-size=1280,4000 "file://$PWD/$page" 2>"$out/$name.console.txt" >/dev/null
  local console
  console=$(grep -c ':CONSOLE' "$out/$name.console.txt" || true)
  # A copy whose inline script (allowed by its policy) writes what it finds into the DOM after load.
  sed -e "s/default-src 'none';/default-src 'none'; script-src 'unsafe-inline';/" \
    -e 's|</body>|<script>window.addEventListener("load", () => { const all = [...document.images]; const broken = all.filter(i => !(i.complete \&\& i.naturalWidth > 0)).length; document.body.setAttribute("data-check", "images=" + all.length + " broken=" + broken); });</script></body>|' \
    "$page" >"$out/$name.checked.html"
  chrome --dump-dom "file://$PWD/$out/$name.checked.html" 2>/dev/null >"$out/$name.dom.html"
  local found sections=0
  found=$(grep -o 'data-check="images=[0-9]* broken=[0-9]*"' "$out/$name.dom.html" | head -1 | tr -d '"' | sed 's/data-check=//')
  for id in training scores sweep context gallery configuration; do
    grep -q "<section id=\"$id\">" "$out/$name.dom.html" && sections=$((sections + 1))
  done
  echo "console=$console ${found:-images=? broken=?} sections=$sections"
}

expected_images=$(grep -o '<img ' "$out/report.html" | wc -l)
result=$(check "$out/report.html" report)
echo "report: $result ($expected_images <img> in the file; screenshot $out/report.png)"
if [ "$result" != "console=0 images=$expected_images broken=0 sections=6" ] || [ "$expected_images" -lt 10 ]; then
  echo "report browser test FAILED: expected console=0 images=$expected_images broken=0 sections=6" >&2
  grep ':CONSOLE' "$out/report.console.txt" >&2 || true
  exit 1
fi

# Negative control: one image's bytes corrupted, one image from the network.
sed -e '0,/data:image\/png;base64,[A-Za-z0-9+\/]\{8\}/s//data:image\/png;base64,AAAAAAAA/' \
  -e 's|</body>|<img src="http://127.0.0.1:9/x.png" alt="network"/></body>|' "$out/report.html" >"$out/broken.html"
control=$(check "$out/broken.html" broken)
echo "negative control: $control"
case "$control" in
  console=0* | *broken=0* | *"broken=?"*)
    echo "report browser test FAILED: the checks did not catch a corrupted and a network image" >&2
    exit 1
    ;;
esac
echo "report browser test passed"
