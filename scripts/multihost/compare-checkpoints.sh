#!/usr/bin/env bash
# compare-checkpoints.sh A.safetensors B.safetensors [TOLERANCE]
# Prints the largest relative difference between the weights of two eps-dist
# checkpoints (every tensor but the optimizer.* state of step checkpoints), max over tensors of max|a - b| / max(max|a|, 1e-6) (the measure of
# Tests/LauncherTests/MultiRankTests.swift), and exits 0 when it is <= TOLERANCE
# (default 1e-4), 1 when it is larger, 2 when the files cannot be compared (not
# safetensors, a tensor only in one file, a shape or dtype mismatch, a dtype
# other than F32, a NaN or infinity). Needs only coreutils (od, head, tail) and awk,
# so CI needs no Python. Safetensors layout: 8-byte little-endian header length
# N, N bytes of JSON {"name": {"dtype", "shape", "data_offsets": [begin, end]}, ...,
# "__metadata__": {...}}, then the tensor bytes (offsets relative to 8 + N).
set -euo pipefail
[ $# = 2 ] || [ $# = 3 ] || { echo "usage: $0 A.safetensors B.safetensors [TOLERANCE]" >&2; exit 2; }
tolerance=${3:-1e-4}

# One line per tensor: name dtype shape begin end (shape with commas, no spaces).
tensor_table() {
    local file=$1 size n
    [ -f "$file" ] || { echo "compare-checkpoints: no file $file" >&2; return 2; }
    size=$(stat -c %s "$file")
    n=$(od -An -t u8 -N 8 "$file" | tr -d ' ')
    if [ -z "$n" ] || [ "$n" -lt 2 ] || [ "$n" -gt $((size - 8)) ]; then
        echo "compare-checkpoints: $file is not a safetensors file (header length '${n:-}')" >&2
        return 2
    fi
    # The metadata strings contain no braces of their own in eps-dist checkpoints,
    # so every tensor entry is a brace pair without nested braces.
    head -c $((8 + n)) "$file" | tail -c "$n" | tr -d ' \n' \
        | grep -o '"[^"]*":{[^{}]*}' | grep '"data_offsets"' \
        | sed -E 's/^"([^"]*)":\{.*"dtype":"([^"]*)".*"shape":\[([^]]*)\].*"data_offsets":\[([0-9]+),([0-9]+)\].*$/\1 \2 [\3] \4 \5/' \
        | sort
    echo "#data $((8 + n))"
}

# Bytes [begin, end) of a file.
bytes_of() { tail -c +$(($2 + 1)) "$1" | head -c $(($3 - $2)); }

table_a=$(tensor_table "$1") || exit 2
table_b=$(tensor_table "$2") || exit 2
data_a=$(sed -n 's/^#data //p' <<< "$table_a")
data_b=$(sed -n 's/^#data //p' <<< "$table_b")
size_a=$(stat -c %s "$1") size_b=$(stat -c %s "$2")
weights() { grep -v '^#' <<< "$1" | grep -v '^optimizer\.' || true; }   # optimizer state: only in step checkpoints
names_a=$(weights "$table_a" | cut -d' ' -f1) names_b=$(weights "$table_b" | cut -d' ' -f1)
[ -n "$names_a" ] || { echo "compare-checkpoints: no tensors in $1" >&2; exit 2; }
if [ "$names_a" != "$names_b" ]; then
    echo "compare-checkpoints: the files hold different tensors: $(diff <(echo "$names_a") <(echo "$names_b") | grep '^[<>]' | head -n 3 | tr '\n' ' ')" >&2
    exit 2
fi

worst=0 worst_name="" count=0
while read -r name dtype shape begin end; do
    read -r name_b dtype_b shape_b begin_b end_b < <(weights "$table_b" | awk -v n="$name" '$1 == n')
    [ "$dtype $shape" = "$dtype_b $shape_b" ] \
        || { echo "compare-checkpoints: $name is $dtype $shape in $1 but $dtype_b $shape_b in $2" >&2; exit 2; }
    if [ $((data_a + end)) -gt "$size_a" ] || [ $((data_b + end_b)) -gt "$size_b" ]; then
        echo "compare-checkpoints: $name lies past the end of a file (truncated?)" >&2; exit 2
    fi
    count=$((count + 1))
    if [ "$dtype" != F32 ]; then   # counters (I64 num_batches_tracked): equal bytes
        cmp -s <(bytes_of "$1" $((data_a + begin)) $((data_a + end))) <(bytes_of "$2" $((data_b + begin_b)) $((data_b + end_b))) \
            || { echo "compare-checkpoints: $name ($dtype) differs" >&2; worst=inf worst_name=$name; }
        continue
    fi
    # One float32 per line from each file (od prints enough digits to round-trip).
    r=$(paste -d' ' <(bytes_of "$1" $((data_a + begin)) $((data_a + end)) | od -An -v -t f4 -w4) \
            <(bytes_of "$2" $((data_b + begin_b)) $((data_b + end_b)) | od -An -v -t f4 -w4) | awk -v t="$name" '
        $1 !~ /^-?[0-9]/ || $2 !~ /^-?[0-9]/ || $0 ~ /nan|inf/ { print "non-finite value in " t ": " $1 " vs " $2; bad = 1; exit 2 }
        { x = $1 + 0; d = x - $2; if (x < 0) x = -x; if (d < 0) d = -d
          if (x > m) m = x; if (d > dmax) dmax = d }
        END { if (bad) exit 2; if (m < 1e-6) m = 1e-6; printf "%.9g\n", dmax / m }') \
        || { echo "compare-checkpoints: $r" >&2; exit 2; }
    if [ "$worst" != inf ] && awk -v r="$r" -v w="$worst" 'BEGIN { exit !(r > w) }'; then worst=$r worst_name=$name; fi
    [ -n "$worst_name" ] || worst_name=$name
done < <(weights "$table_a")

printf 'max relative difference %.3g (%s), %d tensors, tolerance %s\n' "$worst" "$worst_name" "$count" "$tolerance"
awk -v w="$worst" -v t="$tolerance" 'BEGIN { exit !(w <= t) }'
