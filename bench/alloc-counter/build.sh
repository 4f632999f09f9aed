#!/usr/bin/env bash
# Builds the allocation counter preloaded by `eps-dist bench` runs that report
# heap allocations per step:  LD_PRELOAD=$(bash bench/alloc-counter/build.sh) eps-dist bench ...
# Prints the path of the shared object (default .build/alloc-counter.so).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here/../../.build/alloc-counter.so}
mkdir -p "$(dirname "$out")"
cc=$(command -v cc || command -v gcc || command -v clang)
"$cc" -O2 -shared -fPIC -o "$out.tmp" "$here/alloc_counter.c"
mv "$out.tmp" "$out"
echo "$(cd "$(dirname "$out")" && pwd)/$(basename "$out")"
