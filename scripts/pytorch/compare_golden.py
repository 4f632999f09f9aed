#!/usr/bin/env python3
"""Compares two folders of golden cases (numpy only; torch is not needed).

    python3 scripts/pytorch/compare_golden.py DIR_A DIR_B

DIR_A is the reference (e.g. Tests/EngineTests/Golden), DIR_B a regenerated
folder (make_golden_cases.py --out DIR_B). Both must hold the same
*.safetensors names. For each case, these must be the same: the kind, the
tensor names, dtypes and shapes, and the metadata keys. Every tensor of B must
be within the golden tests' tolerance of A:
|b - a| <= 2e-5 max|a| + 1e-4 |a|. The discrete outputs (valid_channel, the
infer_cam pred, nearest and maxpool y, relu, every label_nearest output) and the inputs must be exactly
equal, and the scalar losses must agree to 1e-5 relative. Metadata values
other than the description, torch_version, the float64 error figures and the
losses must be equal strings.

Prints the worst differences (normwise max|b - a| / max|a|, and the largest
fraction of the tolerance used), how many tensors are bit-identical, and
whether the files are byte-identical. Exit code 0 = the folders agree.
"""
import json
import os
import struct
import sys

import numpy as np

RTOL, ATOL_REL, SCALAR_RTOL = 1e-4, 2e-5, 1e-5
EXACT = {"eps_loss": {"valid_channel"}, "infer_cam": {"pred"}, "nearest": {"y"}, "maxpool": {"y"},
         "maxpool_ceil": {"y"}, "relu": {"y", "grad_x"}}
EXACT_KINDS = {"label_nearest"}  # every output is a decision
# metadata whose values may differ between generators or versions
FREE_META = ("description", "torch_version")
FREE_META_PREFIXES = ("f64_abs_err.", "f64_rel_err.")


def read(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    meta = header.pop("__metadata__", {})
    tensors = {}
    for name, info in header.items():
        assert info["dtype"] == "F32", (path, name, info["dtype"])
        b, e = info["data_offsets"]
        tensors[name] = np.frombuffer(data[b:e], "<f4").reshape(info["shape"])
    return meta, tensors


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    dir_a, dir_b = sys.argv[1:]
    names_a = sorted(f for f in os.listdir(dir_a) if f.endswith(".safetensors"))
    names_b = sorted(f for f in os.listdir(dir_b) if f.endswith(".safetensors"))
    problems = [f"only in {dir_a}: {f}" for f in names_a if f not in names_b]
    problems += [f"only in {dir_b}: {f}" for f in names_b if f not in names_a]
    worst_norm = (0.0, "")      # max|b - a| / max|a|
    worst_tol = (0.0, "")       # max over elements of |b - a| / (atol + rtol |a|)
    worst_scalar = (0.0, "")
    tensors_total = tensors_identical = files_identical = 0
    differing_meta = set()
    common = [f for f in names_a if f in names_b]
    for file in common:
        pa, pb = os.path.join(dir_a, file), os.path.join(dir_b, file)
        with open(pa, "rb") as fa, open(pb, "rb") as fb:
            files_identical += fa.read() == fb.read()
        meta_a, ta = read(pa)
        meta_b, tb = read(pb)
        kind = meta_a.get("kind", "")
        if meta_b.get("kind") != kind:
            problems.append(f"{file}: kind {meta_a.get('kind')} vs {meta_b.get('kind')}")
        if set(meta_a) != set(meta_b):
            problems.append(f"{file}: metadata keys only in A {sorted(set(meta_a) - set(meta_b))}, "
                            f"only in B {sorted(set(meta_b) - set(meta_a))}")
        if set(ta) != set(tb):
            problems.append(f"{file}: tensors only in A {sorted(set(ta) - set(tb))}, only in B {sorted(set(tb) - set(ta))}")
        inputs = set(meta_a.get("inputs", "").split(","))
        outputs = meta_a.get("outputs", "").split(",")
        scalars = [k for k in outputs if k and k not in ta]
        for key in sorted(set(meta_a) & set(meta_b)):
            if key in FREE_META or key.startswith(FREE_META_PREFIXES):
                continue
            if key in scalars or (key.endswith("_f64") and key[:-4] in scalars):
                a, b = float(meta_a[key]), float(meta_b[key])
                rel = abs(a - b) / max(abs(a), 1e-12)
                if rel > worst_scalar[0]:
                    worst_scalar = (rel, f"{file}: {key} {meta_a[key]} vs {meta_b[key]}")
                if rel > SCALAR_RTOL:
                    problems.append(f"{file}: {key} = {meta_b[key]}, expected {meta_a[key]} (rel {rel:.2e})")
            elif meta_a[key] != meta_b[key]:
                differing_meta.add(key)
                problems.append(f"{file}: metadata {key}: {meta_a[key][:80]!r} vs {meta_b[key][:80]!r}")
        for name in sorted(set(ta) & set(tb)):
            a, b = ta[name].astype(np.float64), tb[name].astype(np.float64)
            if a.shape != b.shape:
                problems.append(f"{file}: {name} shape {list(a.shape)} vs {list(b.shape)}")
                continue
            tensors_total += 1
            if np.array_equal(ta[name].view(np.uint32), tb[name].view(np.uint32)):
                tensors_identical += 1
                continue
            if name in inputs or name in EXACT.get(kind, ()) or kind in EXACT_KINDS:
                problems.append(f"{file}: {name} must be identical ({np.count_nonzero(a != b)} values differ)")
                continue
            peak = np.abs(a).max() if a.size else 0.0
            diff = np.abs(b - a)
            norm = diff.max() / peak if peak > 0 else diff.max()
            used = (diff / (ATOL_REL * peak + RTOL * np.abs(a))).max() if peak > 0 else (np.inf if diff.max() else 0)
            if norm > worst_norm[0]:
                worst_norm = (norm, f"{file}: {name}")
            if used > worst_tol[0]:
                worst_tol = (used, f"{file}: {name}")
            if used > 1:
                problems.append(f"{file}: {name} out of tolerance ({used:.2f}x the allowed difference)")
    print(f"cases: {len(common)} compared ({len(names_a)} in A, {len(names_b)} in B); "
          f"{files_identical} byte-identical files")
    print(f"tensors: {tensors_total} compared, {tensors_identical} bit-identical")
    print(f"worst tensor difference: {worst_norm[0]:.3e} of max|a| ({worst_norm[1] or '-'})")
    print(f"worst use of the tolerance: {worst_tol[0]:.3f} ({worst_tol[1] or '-'})")
    print(f"worst scalar difference: {worst_scalar[0]:.3e} relative ({worst_scalar[1] or '-'})")
    if differing_meta:
        print("metadata keys whose values differ: " + ", ".join(sorted(differing_meta)))
    for p in problems:
        print("PROBLEM", p)
    print("OK: the folders agree" if not problems else f"FAILED: {len(problems)} problems")
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
