#!/usr/bin/env bash
# Fuzzes every reader of untrusted bytes (docs/ARCHITECTURE.md, "Testing").
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]     (default: 30 s, every folder of Tests/Fuzz/Corpus)
#
# Builds fuzz-inputs with coverage, AddressSanitizer and libFuzzer in .build-fuzz, then runs each target for
# SECONDS on a temporary copy of its seeds (Tests/Fuzz/Corpus/<target> and Tests/Fuzz/Regressions/<target>;
# the repository is not changed). Prints one line per target. A crash, timeout, leak or out-of-memory is
# saved with its report under Tests/Fuzz/Findings/<target>/ and makes the exit status 1.
# Reproduce one: EPS_FUZZ_TARGET=<target> .build-fuzz/debug/fuzz-inputs Tests/Fuzz/Findings/<target>/<file>
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-30}"
[ $# -gt 0 ] && shift
if ! [[ "$seconds" =~ ^[1-9][0-9]*$ ]]; then
  echo "usage: scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...] (SECONDS: a whole number >= 1, not '$seconds')" >&2
  exit 2
fi
if [ $# -gt 0 ]; then
  targets=("$@")
else
  targets=()
  for d in Tests/Fuzz/Corpus/*/; do targets+=("$(basename "$d")"); done
fi

# swiftc -sanitize=fuzzer links libFuzzer's main, and SwiftPM links executables with
# --defsym main=<Module>_main: the two clash. So the sanitizer coverage -sanitize=fuzzer would
# add is asked for directly, the runtime without main is linked, and FuzzInputs's @main calls
# LLVMFuzzerRunDriver (declared with @_extern(c), hence the Extern feature).
swiftc_path="$(readlink -f "$(command -v swiftc)")"
runtime="$(ls "$(dirname "$swiftc_path")"/../lib/clang/*/lib/linux/libclang_rt.fuzzer_no_main-"$(uname -m)".a \
  2>/dev/null | head -n 1 || true)"
if [ -z "$runtime" ]; then
  echo "fuzz: no libclang_rt.fuzzer_no_main in the Swift toolchain of $swiftc_path" >&2
  exit 1
fi
flags=(
  -Xswiftc -DEPS_FUZZ -Xswiftc -parse-as-library
  -Xswiftc -sanitize=address
  -Xswiftc -sanitize-coverage=edge,indirect-calls,trace-cmp,pc-table,inline-8bit-counters
  -Xswiftc -enable-experimental-feature -Xswiftc Extern
  -Xcc -fsanitize=fuzzer-no-link,address
  -Xlinker "$runtime" -Xlinker -lstdc++
)
echo "== fuzz: building fuzz-inputs (.build-fuzz, debug, AddressSanitizer + libFuzzer)"
build_start=$SECONDS
build_rc=0
# (gold warns about every ASan symbol it cannot export: those lines are dropped)
swift build -c debug --product fuzz-inputs --scratch-path .build-fuzz "${flags[@]}" 2>&1 |
  grep -v "Cannot export local symbol" || build_rc=${PIPESTATUS[0]}
bin=.build-fuzz/debug/fuzz-inputs
if [ "$build_rc" -ne 0 ] || [ ! -x "$bin" ]; then
  echo "fuzz: the build of $bin failed (exit $build_rc)" >&2
  exit 1
fi
echo "   built in $((SECONDS - build_start)) s"

work="$(mktemp -d "${TMPDIR:-/tmp}/eps-fuzz.XXXXXX")"
trap 'rm -rf "$work"' EXIT
# No Swift backtracer (it can outlive the fuzzer, holding its output): libFuzzer reports.
export SWIFT_BACKTRACE=enable=no
# Leaks in the toolchain's libraries, not in eps-dist (each line says why).
export LSAN_OPTIONS="suppressions=$PWD/Tests/Fuzz/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
status=0
rows=()
for t in "${targets[@]}"; do
  dir="$work/$t"
  mkdir -p "$dir/corpus" "$dir/artifacts"
  for seeds in "Tests/Fuzz/Corpus/$t" "Tests/Fuzz/Regressions/$t"; do
    if [ -d "$seeds" ]; then find "$seeds" -maxdepth 1 -type f ! -name '.*' -exec cp {} "$dir/corpus/" \; ; fi
  done
  seeds_n=$(find "$dir/corpus" -type f | wc -l)
  echo "== fuzz: $t for $seconds s ($seeds_n seeds)"
  extra=()
  if [ "$t" = voc-xml ]; then
    # FoundationXML leaks on every malformed document (Tests/Fuzz/lsan.supp), so each new input set off
    # a whole-heap leak check: 3 000 runs in 30 s instead of 160 000. Our code there holds no references.
    extra+=(-detect_leaks=0)
  fi
  rc=0
  # -max_total_time ends libFuzzer; timeout ends it if it does not (a hang outside an input).
  EPS_FUZZ_TARGET="$t" timeout --kill-after=10 $((seconds + 120)) "$bin" \
    -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$dir/artifacts/" ${extra[@]+"${extra[@]}"} "$dir/corpus" >"$dir/log" 2>&1 || rc=$?
  execs=$(awk '/stat::number_of_executed_units/ { n = $2 } END { print n + 0 }' "$dir/log")
  corpus_n=$(find "$dir/corpus" -type f | wc -l)
  findings=()
  for f in "$dir"/artifacts/*; do
    case "$(basename "$f")" in crash-* | timeout-* | leak-* | oom-*) findings+=("$f") ;; esac
  done
  if [ ${#findings[@]} -gt 0 ]; then
    status=1
    mkdir -p "Tests/Fuzz/Findings/$t"
    for f in "${findings[@]}"; do
      cp "$f" "Tests/Fuzz/Findings/$t/"
      cp "$dir/log" "Tests/Fuzz/Findings/$t/$(basename "$f").log"
    done
    result="FOUND ${#findings[@]}: $(for f in "${findings[@]}"; do printf '%s ' "$(basename "$f")"; done)"
    grep -E "^(SUMMARY|==[0-9]+==ERROR)|Fatal error|out-of-memory|ERROR: libFuzzer" "$dir/log" | head -n 5 || true
  elif [ "$rc" -ne 0 ]; then
    status=1
    result="FAILED (exit $rc, no input saved)"
    tail -n 20 "$dir/log"
  else
    result="ok"
  fi
  rows+=("$(printf '%-12s %8s %12s %8s  %s' "$t" "$seconds" "$execs" "$corpus_n" "$result")")
done
echo "== fuzz: results (findings under Tests/Fuzz/Findings/<target>/)"
printf '%-12s %8s %12s %8s  %s\n' target seconds executions corpus result
for r in "${rows[@]}"; do echo "$r"; done
exit $status
